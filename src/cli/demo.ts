// `npm run demo`: the lab up (built on first use), then the app on the lab's tour.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { labRequirements, labTourPath, labUp } from '../../lab/index'
import { runOpen, runServe } from './app'
import { UsageError } from './usage'

export async function runDemo(argv: string[]): Promise<number> {
  let noOpen = false
  let presenter = false
  try {
    const v = parseArgs({ args: argv, strict: true, options: { 'no-open': { type: 'boolean' }, presenter: { type: 'boolean' } } }).values
    noOpen = v['no-open'] === true
    presenter = v.presenter === true
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  let why = labRequirements()
  if (why?.startsWith('missing tool') && (await installLabTools())) why = labRequirements()
  if (why) {
    console.error(`globehop demo: the local lab cannot start: ${why}`)
    if (process.getuid?.() !== 0) console.error('It creates network namespaces and mounts, so it needs root: run `sudo npm run demo`.')
    return 1
  }
  console.error('globehop demo: bringing the lab up (the first run builds root filesystems and downloads the game: a few minutes)…')
  await labUp({ onProgress: (line) => console.error(`  ${line}`) })
  const tour = labTourPath()
  // Running the demo is the user's act, and the lab is this machine: connect at once.
  const args = ['--tour', tour, '--connect', ...(presenter ? ['--presenter'] : [])]
  return noOpen ? runServe(args) : runOpen(args)
}

/** The host packages the lab needs on Debian/Ubuntu (root only), so a fresh machine needs no manual step. */
export const LAB_APT_PACKAGES = ['debootstrap', 'iproute2', 'util-linux', 'gcc', 'libc6-dev', 'openssh-client', 'rsync', 'procps', 'ca-certificates']

async function installLabTools(): Promise<boolean> {
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return false
  console.error(`globehop demo: installing the lab's host tools with apt-get: ${LAB_APT_PACKAGES.join(' ')}`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  if (update.status !== 0) return false
  return spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...LAB_APT_PACKAGES], { stdio: 'inherit', env }).status === 0
}

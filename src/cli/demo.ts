// `npm run demo`: the lab up (built on first use), then the app on the lab's tour.
import { parseArgs } from 'node:util'
import { labRequirements, labTourPath, labUp } from '../core/lab/index'
import { runOpen, runServe } from './app'
import { UsageError } from './usage'

export async function runDemo(argv: string[]): Promise<number> {
  let noOpen = false
  try {
    noOpen = parseArgs({ args: argv, strict: true, options: { 'no-open': { type: 'boolean' } } }).values['no-open'] === true
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const why = labRequirements()
  if (why) {
    console.error(`globehop demo: the local lab cannot start: ${why}`)
    if (process.getuid?.() !== 0) console.error('It creates network namespaces and mounts, so it needs root: run `sudo npm run demo`.')
    return 1
  }
  console.error('globehop demo: bringing the lab up (the first run builds root filesystems and downloads the game: a few minutes)…')
  await labUp({ onProgress: (line) => console.error(`  ${line}`) })
  const tour = labTourPath()
  return noOpen ? runServe(['--tour', tour]) : runOpen(['--tour', tour])
}

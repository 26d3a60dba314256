// Builds the cache once: the hosts' Debian forky tree, the game bundle (bookworm +
// darkplaces-server + Nexuiz data), the delay line binary, and the SSH keys. Each stage
// builds into a temp dir and is renamed into place when done, so an interrupted build
// restarts cleanly and a finished stage is never rebuilt.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { cmd } from './exec'
import { BUNDLE_PATH, LAB_HOSTS } from './hosts'
import { cacheLayout, labAssetDir } from './paths'
import { renderBundleConfig, renderServerCfg } from './render'
import { formatDuration } from '../src/shared/format'

const MIRROR = process.env.GLOBEHOP_LAB_MIRROR ?? 'http://deb.debian.org/debian'
/** Debian testing: criu >= 4.2 (4.1 cannot dump INET sockets on kernels >= 6.16, lab.md). */
const HOST_SUITE = 'forky'
const HOST_PACKAGES = [
  'criu', 'runc', 'iproute2', 'procps', 'openssh-server', 'openssh-client', 'keepalived', 'rsync',
  'iputils-arping', 'iputils-ping', 'tini', 'util-linux', 'zstd',
  // The second runtime: forky's crun is built with CRIU, which it loads from libcriu2 at run time.
  'crun', 'libcriu2',
  // The third: Podman (checkpoint --export / restore --import) over the same crun/runc and CRIU;
  // the game runs with the host's network, so no bridge backend beyond what podman depends on.
  'podman', 'conmon', 'golang-github-containers-common', 'netavark',
]
const GAME_SUITE = 'bookworm'

type Progress = (line: string) => void

/** Debian 12's debootstrap has no forky script; the sid script builds any testing suite. */
function debootstrapScript(suite: string): string[] {
  const own = `/usr/share/debootstrap/scripts/${suite}`
  if (existsSync(own)) return []
  return ['/usr/share/debootstrap/scripts/sid']
}

function throttled(prefix: string, progress: Progress): (line: string) => void {
  let last = 0
  return (line) => {
    const now = Date.now()
    // debootstrap prints a line per package; pass stage changes and one line every 5 s.
    if (!/^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) /.test(line) || now - last > 5000) {
      last = now
      progress(`${prefix} ${line}`)
    }
  }
}

async function debootstrap(suite: string, include: string[], dir: string, progress: Progress, prefix: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(path.dirname(dir), { recursive: true })
  await cmd(['debootstrap', '--variant=minbase', `--include=${include.join(',')}`, suite, dir, MIRROR, ...debootstrapScript(suite)], {
    onLine: throttled(prefix, progress),
  })
}

async function timed<T>(what: string, progress: Progress, f: () => Promise<T>): Promise<T> {
  const t0 = Date.now()
  progress(`${what}...`)
  const v = await f()
  progress(`${what}: done in ${formatDuration(Date.now() - t0)}`)
  return v
}

async function buildHostRoot(dest: string, progress: Progress): Promise<void> {
  const tmp = dest + '.tmp'
  await debootstrap(HOST_SUITE, HOST_PACKAGES, tmp, progress, '[hosts]')
  // Every machine gets its own host key (written at boot); none may come from the shared tree.
  const sshDir = path.join(tmp, 'etc/ssh')
  for (const f of readdirSync(sshDir)) if (f.startsWith('ssh_host_')) rmSync(path.join(sshDir, f))
  // Services are started by the machine's boot script, never by maintainer scripts.
  rmSync(path.join(tmp, 'var/cache/apt/archives'), { recursive: true, force: true })
  mkdirSync(path.join(tmp, 'var/cache/apt/archives/partial'), { recursive: true })
  renameSync(tmp, dest)
}

async function buildBundle(layer: string, progress: Progress): Promise<void> {
  const tmp = layer + '.tmp'
  const bundle = path.join(tmp, BUNDLE_PATH)
  const rootfs = path.join(bundle, 'rootfs')
  await debootstrap(GAME_SUITE, ['darkplaces-server'], rootfs, progress, '[game]')
  // nexuiz-data's dependency nexuiz-textures (455 MB) is client-only: fetch and unpack the
  // two packages the server needs without their dependencies.
  progress('[game] downloading nexuiz-data (267 MB) and nexuiz-server')
  await cmd(['chroot', rootfs, 'sh', '-c', 'cd /tmp && apt-get update -q && apt-get download -q nexuiz-data nexuiz-server'], { onLine: throttled('[game]', progress) })
  for (const deb of readdirSync(path.join(rootfs, 'tmp')).filter((f) => f.endsWith('.deb'))) {
    await cmd(['dpkg-deb', '-x', path.join(rootfs, 'tmp', deb), rootfs])
    rmSync(path.join(rootfs, 'tmp', deb))
  }
  rmSync(path.join(rootfs, 'var/lib/apt/lists'), { recursive: true, force: true })
  rmSync(path.join(rootfs, 'var/cache/apt'), { recursive: true, force: true })
  mkdirSync(path.dirname(layer), { recursive: true })
  writeBundleFiles(bundle)
  rmSync(layer, { recursive: true, force: true })
  renameSync(tmp, layer)
}

/** config.json and the server config: cheap, rewritten on every `lab up` so edits apply. */
export function writeBundleFiles(bundle: string): void {
  writeIfChanged(path.join(bundle, 'config.json'), JSON.stringify(renderBundleConfig(), null, 2) + '\n')
  writeIfChanged(path.join(bundle, 'rootfs/usr/share/games/nexuiz/data/globehop.cfg'), renderServerCfg())
  // Podman mounts over /etc/hosts and links /etc/mtab, creating them in the rootfs when missing:
  // present from the start, the rootfs stays identical on every host (preflight compares it).
  writeIfChanged(path.join(bundle, 'rootfs/etc/hosts'), '127.0.0.1\tlocalhost\n')
  const mtab = path.join(bundle, 'rootfs/etc/mtab')
  if (!existsSync(mtab)) symlinkSync('/proc/mounts', mtab)
}

function writeIfChanged(file: string, text: string): void {
  try {
    if (readFileSync(file, 'utf8') === text) return
  } catch {
    // missing: write it
  }
  writeFileSync(file, text)
}

async function buildDelayline(out: string, progress: Progress): Promise<void> {
  const src = path.join(labAssetDir(), 'delayline.c')
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) return
  progress('compiling the delay line (gcc)')
  mkdirSync(path.dirname(out), { recursive: true })
  await cmd(['gcc', '-O2', '-Wall', '-o', out + '.tmp', src])
  renameSync(out + '.tmp', out)
}

async function buildKeys(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const keygen = async (file: string, comment: string) => {
    if (!existsSync(file)) await cmd(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file])
  }
  await keygen(path.join(dir, 'id_ed25519'), 'globehop-lab')
  for (const h of LAB_HOSTS) await keygen(path.join(dir, `host_${h.name}_ed25519`), `root@${h.name}`)
}

/** Makes sure every cache stage exists; returns true when something was built. */
export async function ensureCache(cacheDir: string, progress: Progress): Promise<boolean> {
  const c = cacheLayout(cacheDir)
  mkdirSync(c.root, { recursive: true })
  const jobs: Promise<void>[] = []
  if (!existsSync(c.hostRoot)) jobs.push(timed(`building host root filesystem (Debian ${HOST_SUITE}) in ${c.hostRoot}`, progress, () => buildHostRoot(c.hostRoot, progress)))
  if (!existsSync(c.bundleLayer)) jobs.push(timed(`building game bundle (DarkPlaces + Nexuiz data) in ${c.bundleLayer}`, progress, () => buildBundle(c.bundleLayer, progress)))
  const built = jobs.length > 0
  // The two debootstraps are network- and disk-bound: run them side by side.
  const results = await Promise.allSettled(jobs)
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
  await buildDelayline(c.delayline, progress)
  await buildKeys(c.keys)
  writeBundleFiles(path.join(c.bundleLayer, BUNDLE_PATH))
  return built
}

// The game container and the floating IP on the running lab.
import type { RuntimeName } from '../src/shared/tour'
import { ALL_RUNTIMES, runtimeNamed } from '../src/core/pipeline/runtime/registry'
import { quoteArgv } from '../src/core/ssh/quote'
import { cmd, waitFor } from './exec'
import { BUNDLE_PATH, CONTAINER_ID, FLOATING_IP, GAME_PORT, TRACK_FILE } from './hosts'
import { inMachine, shInMachine } from './machine'
import { queryServer, type ServerInfo } from './query'
import { gameArgs, IMAGE_STORE, renderBundleConfig } from './render'
import type { HostState } from './state'

/** Podman on the lab's cgroup-v1 hosts warns on every command (lab/README.md, "Podman"). */
export const PODMAN_ENV = 'PODMAN_IGNORE_CGROUPSV1_WARNING=1'

/** Status a runtime reports for the game container on this host, or null when none has it. */
export async function gameStatus(h: HostState): Promise<string | null> {
  // Each runtime keeps its own state (/run/runc, /run/crun, podman's storage): ask all of them.
  for (const rt of ALL_RUNTIMES) {
    const r = await inMachine(h, ['env', PODMAN_ENV, ...rt.state(CONTAINER_ID)], { allowFail: true, timeoutMs: 10_000 })
    if (r.code === 0) return (JSON.parse(r.stdout) as { status: string }).status
  }
  return null
}

export async function ownsFloatingIp(h: HostState): Promise<boolean> {
  const r = await cmd(['ip', '-n', h.netns, '-j', 'addr', 'show', 'dev', 'eth0'], { allowFail: true })
  if (r.code !== 0) return false
  const links = JSON.parse(r.stdout || '[]') as { addr_info?: { local: string }[] }[]
  return links.some((l) => (l.addr_info ?? []).some((a) => a.local === FLOATING_IP))
}

/** Writes the keepalived track files: 1 on `owner`, 0 (FAULT) everywhere else. */
export async function setOwner(hosts: readonly HostState[], owner: string): Promise<void> {
  // The others first: the owner then takes over alone, one Master_Down_Interval after its write.
  for (const h of hosts) if (h.name !== owner) await shInMachine(h, `echo 0 > ${TRACK_FILE}`)
  const o = hosts.find((h) => h.name === owner)
  if (o) await shInMachine(o, `echo 1 > ${TRACK_FILE}`)
}

export async function waitOwner(hosts: readonly HostState[], owner: string, timeoutMs = 10_000): Promise<void> {
  await waitFor(`${owner} to own ${FLOATING_IP}`, timeoutMs, async () => {
    const owns = await Promise.all(hosts.map(ownsFloatingIp))
    return hosts.every((h, i) => owns[i] === (h.name === owner))
  })
}

/** Starts the game with null stdio (a file would break checkpoints, lab.md). */
export async function startGame(h: HostState, runtime: RuntimeName = 'runc'): Promise<void> {
  if (runtime === 'podman') await preparePodman(h)
  const run = runtime === 'podman' ? podmanRunArgv() : [runtime, 'run', '-d', CONTAINER_ID]
  await shInMachine(h, `cd ${BUNDLE_PATH} && ${quoteArgv(run)} </dev/null >/dev/null 2>&1`, { timeoutMs: 60_000 })
}

/** The bundle's rootfs as a Podman image: `restore --import` needs the container's image on the destination. */
export const PODMAN_IMAGE = 'localhost/globehop-xonotic'

/**
 * Imports the game's image into the machines' shared store once (~10 s; podman cannot restore a
 * container made with `--rootfs`, and `restore --import` looks the image up by its ID).
 */
export async function preparePodman(h: HostState): Promise<void> {
  const store = `podman --root ${IMAGE_STORE} --runroot /run/globehop-images`
  const script = `${store} image exists ${PODMAN_IMAGE} || tar -C ${BUNDLE_PATH}/rootfs -c . | ${store} import --quiet - ${PODMAN_IMAGE} >/dev/null`
  await inMachine(h, ['env', PODMAN_ENV, 'sh', '-c', script], { timeoutMs: 300_000 })
}

/**
 * The bundle's container as Podman runs it: its image, process, capabilities and limits, the
 * host's network. `--log-driver none`: the game's output would grow a log file inside every
 * checkpoint archive, shifting the pages behind it. The cgroup parent is relative, so it names no
 * host (a restore elsewhere reuses it).
 */
export function podmanRunArgv(): string[] {
  const p = renderBundleConfig().process as { args: string[]; env: string[]; cwd: string; capabilities: { bounding: string[] }; rlimits: { hard: number; soft: number }[] }
  const nofile = p.rlimits[0]!
  return [
    'env', PODMAN_ENV, 'podman', 'run', '--detach', '--name', CONTAINER_ID, '--network', 'host', '--cgroup-parent', 'globehop',
    '--log-driver', 'none', '--read-only', '--security-opt', 'no-new-privileges', '--cap-drop', 'all',
    ...p.capabilities.bounding.flatMap((c) => ['--cap-add', c]), '--ulimit', `nofile=${nofile.soft}:${nofile.hard}`,
    '--workdir', p.cwd, ...p.env.flatMap((e) => ['--env', e]), PODMAN_IMAGE, ...p.args,
  ]
}

/** Removes the game under every runtime (a test may have left it under any). */
export async function removeGame(h: HostState): Promise<void> {
  for (const rt of ALL_RUNTIMES) await inMachine(h, ['env', PODMAN_ENV, ...rt.forceDelete(CONTAINER_ID)], { allowFail: true, timeoutMs: 30_000 })
}

/** Why the lab's hosts cannot run the game under `runtime`, or null when they can. */
export async function runtimeUnavailable(h: HostState, runtime: RuntimeName): Promise<string | null> {
  const r = await inMachine(h, [runtime, '--version'], { allowFail: true, timeoutMs: 5000 })
  if (r.code !== 0) return `${runtime} is not in the lab's host tree (built before it was added: remove the lab cache's hostroot and bring the lab up again)`
  return runtimeNamed(runtime).cannotCheckpoint(r.stdout)
}

export function waitGameAnswers(timeoutMs = 20_000): Promise<ServerInfo> {
  return waitFor(`the game to answer getinfo at ${FLOATING_IP}:${GAME_PORT}`, timeoutMs, () => queryServer(FLOATING_IP, GAME_PORT, 'getinfo', 500))
}

/** True when the bundle's rootfs still holds the game (a delete through a killed restore's bind mount had emptied it). */
export async function rootfsIntact(h: HostState): Promise<boolean> {
  return (await inMachine(h, ['test', '-x', `${BUNDLE_PATH}/rootfs${gameArgs()[0]}`], { allowFail: true })).code === 0
}

/** True when the bundle's config.json is present on this host (a test may have removed it). */
export async function hasBundle(h: HostState): Promise<boolean> {
  return (await inMachine(h, ['test', '-f', `${BUNDLE_PATH}/config.json`], { allowFail: true })).code === 0
}

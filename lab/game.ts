// The game container and the floating IP on the running lab.
import type { RuntimeName } from '../src/shared/tour'
import { cmd, waitFor } from './exec'
import { BUNDLE_PATH, CONTAINER_ID, FLOATING_IP, GAME_PORT, TRACK_FILE } from './hosts'
import { inMachine, shInMachine } from './machine'
import { queryServer, type ServerInfo } from './query'
import type { HostState } from './state'

/** The lab's game runs under one of these; each keeps its own state (/run/runc, /run/crun). */
const LAB_RUNTIMES: readonly RuntimeName[] = ['runc', 'crun']

/** Status a runtime reports for the game container on this host, or null when none has it. */
export async function gameStatus(h: HostState): Promise<string | null> {
  for (const rt of LAB_RUNTIMES) {
    const r = await inMachine(h, [rt, 'state', CONTAINER_ID], { allowFail: true, timeoutMs: 5000 })
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

/** Starts the game from the bundle with null stdio (a file would break checkpoints, lab.md). */
export async function startGame(h: HostState, runtime: RuntimeName = 'runc'): Promise<void> {
  await shInMachine(h, `cd ${BUNDLE_PATH} && ${runtime} run -d ${CONTAINER_ID} </dev/null >/dev/null 2>&1`, { timeoutMs: 30_000 })
}

/** Removes the game under every runtime (a test may have left it under either). */
export async function removeGame(h: HostState): Promise<void> {
  for (const rt of LAB_RUNTIMES) await inMachine(h, [rt, 'delete', '-f', CONTAINER_ID], { allowFail: true, timeoutMs: 15_000 })
}

/** Why the lab's hosts cannot run the game under `runtime`, or null when they can. */
export async function runtimeUnavailable(h: HostState, runtime: RuntimeName): Promise<string | null> {
  const r = await inMachine(h, [runtime, '--version'], { allowFail: true, timeoutMs: 5000 })
  if (r.code !== 0) return `${runtime} is not in the lab's host tree (built before it was added: remove the lab cache's hostroot and bring the lab up again)`
  if (runtime === 'crun' && !/\+CRIU\b/.test(r.stdout)) return 'the lab\'s crun was built without CRIU'
  return null
}

export function waitGameAnswers(timeoutMs = 20_000): Promise<ServerInfo> {
  return waitFor(`the game to answer getinfo at ${FLOATING_IP}:${GAME_PORT}`, timeoutMs, () => queryServer(FLOATING_IP, GAME_PORT, 'getinfo', 500))
}

/** True when the bundle's config.json is present on this host (a test may have removed it). */
export async function hasBundle(h: HostState): Promise<boolean> {
  return (await inMachine(h, ['test', '-f', `${BUNDLE_PATH}/config.json`], { allowFail: true })).code === 0
}

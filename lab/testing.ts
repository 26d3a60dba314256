// Helpers for tests that need the lab (the `lab` vitest project brings it up in global setup).
import type { ServerStatus } from '../src/shared/contract'
import type { RuntimeName, Tour } from '../src/shared/tour'
import { ALL_RUNTIMES } from '../src/core/pipeline/runtime/registry'
import { queryStatus } from '../src/core/pipeline/game-query'
import type { SshPool } from '../src/core/ssh/pool'
import { cmd } from './exec'
import { BRIDGE_NETNS } from './hosts'
import { FLOATING_IP, GAME_PORT, labLink, labRequirements, labTourPath } from './index'
import { hostPort } from './net'
import { GameTestClient, type TestClientOptions } from './test-client'
import { resetGame } from './reset'
import { readState } from './state'
import { labIsUp } from './up'

export function labForTests(): { available: boolean; reason: string; tourPath: string } {
  const why = labRequirements()
  if (why) return { available: false, reason: why, tourPath: labTourPath() }
  if (!labIsUp(readState())) return { available: false, reason: 'the lab is not up (the lab project global setup did not run or failed)', tourPath: labTourPath() }
  return { available: true, reason: '', tourPath: labTourPath() }
}

/** Game on the tour's first host (under the lab's runtime unless told), floating IP owned by it, no game container elsewhere. */
export function labResetGame(runtime?: RuntimeName): Promise<void> {
  return resetGame(runtime)
}

/** A scripted game client holding a player slot on the lab's game (at the floating IP); close() it. */
export async function connectTestClient(name: string, opts: TestClientOptions = {}): Promise<GameTestClient> {
  const c = new GameTestClient(opts)
  await c.connect(FLOATING_IP, GAME_PORT, name)
  return c
}

/** Which hosts run the container and hold the floating IP, asked of every host over SSH. */
export async function whereIsEverything(pool: SshPool, tour: Tour): Promise<{ running: string[]; ip: string[] }> {
  const running: string[] = []
  const ip: string[] = []
  for (const h of tour.hosts) {
    const r = await pool.get(h.name)
    // Under any runtime: a copy left under another one is a second server all the same.
    for (const rt of ALL_RUNTIMES) {
      const st = await r.run(rt.state(tour.container.id), { allowFail: true, log: false })
      if (st.code === 0 && JSON.parse(st.stdout).status === 'running') running.push(h.name)
    }
    const a = await r.run(['ip', '-o', '-4', 'addr', 'show'], { log: false })
    if (a.stdout.includes(` inet ${tour.floatingIp.address}/`)) ip.push(h.name)
  }
  return { running, ip }
}

export const fragSum = (st: ServerStatus) => st.players.reduce((a, p) => a + Math.abs(p.frags), 0)

/** The game's status at the floating IP; throws when it does not answer for ~10 s. */
export async function gameStatus(tour: Tour): Promise<ServerStatus> {
  for (let i = 0; i < 20; i++) {
    const st = await queryStatus(tour.floatingIp.address, tour.container.gamePort, 500)
    if (st) return st
  }
  throw new Error(`the game does not answer at ${tour.floatingIp.address}`)
}

/** Waits until the bots scored (a fresh server has every frag at 0: nothing to lose yet). */
export async function scoredStatus(tour: Tour): Promise<ServerStatus> {
  const deadline = Date.now() + 90_000
  for (;;) {
    const st = await gameStatus(tour)
    if (fragSum(st) >= 3 || Date.now() > deadline) return st
    await new Promise((r) => setTimeout(r, 2000))
  }
}

/**
 * Cuts a lab host off the network (both directions, carrier kept: like a failed upstream router)
 * with a blackhole qdisc on each end of its link; `restore` puts its shaping back.
 */
export async function labCut(host: string): Promise<{ restore: () => Promise<void> }> {
  const s = readState()
  const h = s?.hosts.find((x) => x.name === host)
  if (!s || !h) throw new Error(`no lab host ${host}`)
  await cmd(['ip', 'netns', 'exec', h.netns, 'tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'blackhole'])
  await cmd(['ip', 'netns', 'exec', BRIDGE_NETNS, 'tc', 'qdisc', 'replace', 'dev', hostPort(host).veth, 'root', 'blackhole'])
  const link = { ...h.link }
  return {
    restore: async () => {
      // applyLink replaces the root qdiscs; with no shaping at all, remove the blackholes by hand.
      await cmd(['ip', 'netns', 'exec', h.netns, 'tc', 'qdisc', 'del', 'dev', 'eth0', 'root'], { allowFail: true })
      await cmd(['ip', 'netns', 'exec', BRIDGE_NETNS, 'tc', 'qdisc', 'del', 'dev', hostPort(host).veth, 'root'], { allowFail: true })
      await labLink(host, link.delayMs === 0 && link.rateMbit === null ? { off: true } : { delayMs: link.delayMs, rateMbit: link.rateMbit })
    },
  }
}

// The second runtime on the lab: the game started by crun (built with CRIU) moves stuttgart ->
// strasbourg in stop-and-copy and back in pre-copy through the same pipeline, chosen by the tour's
// `container.runtime: crun` alone. After each hop: one server (under any runtime), the IP with it,
// the game answering with its bots' frags. Preflight says why post-copy is out for crun.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HopResult } from '../../shared/contract'
import type { Tour } from '../../shared/tour'
import { formatHop } from '../../cli/pipeline-format'
import { runtimeUnavailable } from '../../../lab/game'
import { readState } from '../../../lab/state'
import { Prober } from '../probe/prober'
import { stateCarried } from '../probe/status'
import { SshPool } from '../ssh/pool'
import { loadTour } from '../tour/load'
import { fragSum, gameStatus, labForTests, labResetGame, scoredStatus, whereIsEverything } from '../../../lab/testing'
import { PipelineSession, type ClientObserver } from './session'

const lab = labForTests()
const first = readState()?.hosts[0]
const crunMissing = lab.available && first ? await runtimeUnavailable(first, 'crun') : null
const skipWhy = !lab.available ? ` (skipped: ${lab.reason})` : crunMissing ? ` (skipped: ${crunMissing})` : ''

let tour: Tour
let pool: SshPool

describe.skipIf(!lab.available || crunMissing !== null)(`crun on the lab${skipWhy}`, { timeout: 600_000 }, () => {
  beforeAll(async () => {
    const loaded = await loadTour(lab.tourPath)
    tour = { ...loaded, container: { ...loaded.container, runtime: 'crun' } }
    pool = new SshPool(tour, { sshConfig: null })
    await labResetGame('crun')
  })
  afterAll(async () => {
    await pool?.close()
    // Back to where `lab up` left it (every other lab test expects that).
    if (lab.available) await labResetGame()
  })

  it('preflight checks crun, not runc; post-copy is refused for want of lazy pages', async () => {
    const s = new PipelineSession({ tour, remote: (h) => pool.get(h), emit: () => {} })
    const rep = await s.preflight()
    for (const h of rep.hosts) expect(h.checks.find((c) => c.id === 'runtime')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^crun \d/) })
    expect(rep.modes.find((m) => m.mode === 'post-copy')).toMatchObject({ available: false, reason: expect.stringMatching(/crun has no lazy pages/) })
    expect(rep.modes.find((m) => m.mode === 'stop-and-copy')).toMatchObject({ available: true })
  })

  it('stop-and-copy there and pre-copy back: one server, the IP with it, the frags carried', async () => {
    const prober = new Prober({ address: tour.floatingIp.address, port: tour.container.gamePort, hz: 20, emit: () => {} })
    prober.start()
    const client: ClientObserver = { hopStarted: (id) => prober.setHop(id), hopEnded: () => prober.setHop(null), clientView: (id) => prober.clientView(id) }
    const s = new PipelineSession({ tour, remote: (h) => pool.get(h), emit: () => {}, client })
    try {
      let last = await scoredStatus(tour)
      expect(fragSum(last)).toBeGreaterThanOrEqual(3)
      const hops: [string, 'stop-and-copy' | 'pre-copy', string][] = [
        ['strasbourg', 'stop-and-copy', 'stop-and-copy'],
        ['stuttgart', 'pre-copy', 'pre-copy (rsync delta)'],
      ]
      const results: HopResult[] = []
      for (const [to, mode, technique] of hops) {
        const r = await s.hop({ to, mode })
        console.log(`[crun] ${formatHop(r)}`)
        results.push(r)
        expect(r.error, r.rollback).toBeUndefined()
        expect(r).toMatchObject({ ok: true, technique, containerOn: to })
        expect(await whereIsEverything(pool, tour)).toEqual({ running: [to], ip: [to] })
        // The destination runs it under crun (runc never saw it).
        const st = await (await pool.get(to)).run(['crun', 'state', tour.container.id], { log: false })
        expect(JSON.parse(st.stdout).status).toBe('running')
        const now = await gameStatus(tour)
        expect(stateCarried(last, now), `frags before ${JSON.stringify(last.players)} after ${JSON.stringify(now.players)}`).toBe(true)
        last = now
      }
      expect(results.every((r) => (r.client?.downtimeMs ?? 0) > 0)).toBe(true)
    } finally {
      await prober.stop()
    }
  })
})

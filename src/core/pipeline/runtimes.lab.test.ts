// The other runtimes on the lab: the game started by crun (built with CRIU), then by Podman (from
// the bundle's rootfs imported as an image), moves stuttgart -> strasbourg in stop-and-copy and back
// in pre-copy through the same pipeline, chosen by the tour's `container.runtime` alone. After each
// hop: one server (under any runtime), the IP with it, the game answering with its bots' frags, and
// CRIU's figures as the runtime reported them. Preflight says why post-copy is out for both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HopResult } from '../../shared/contract'
import type { RuntimeName, Tour } from '../../shared/tour'
import { formatHop } from '../../cli/pipeline-format'
import { runtimeUnavailable } from '../../../lab/game'
import { readState } from '../../../lab/state'
import { Prober } from '../probe/prober'
import { stateCarried } from '../probe/status'
import { SshPool } from '../ssh/pool'
import { loadTour } from '../tour/load'
import { fragSum, gameStatus, labForTests, labResetGame, scoredStatus, whereIsEverything } from '../../../lab/testing'
import { parseRuntimeState } from './remote-files'
import { runtimeNamed } from './runtime/registry'
import { PipelineSession, type ClientObserver } from './session'

const lab = labForTests()
const first = readState()?.hosts[0]

describe.each<RuntimeName>(['crun', 'podman'])('%s on the lab', async (name) => {
  const missing = lab.available && first ? await runtimeUnavailable(first, name) : null
  const skipWhy = !lab.available ? ` (skipped: ${lab.reason})` : missing ? ` (skipped: ${missing})` : ''
  const rt = runtimeNamed(name)
  let tour: Tour
  let pool: SshPool

  describe.skipIf(!lab.available || missing !== null)(`the game under ${name}${skipWhy}`, { timeout: 600_000 }, () => {
    beforeAll(async () => {
      const loaded = await loadTour(lab.tourPath)
      tour = { ...loaded, container: { ...loaded.container, runtime: name } }
      pool = new SshPool(tour, { sshConfig: null })
      await labResetGame(name)
    })
    afterAll(async () => {
      await pool?.close()
      // Back to where `lab up` left it (every other lab test expects that).
      if (lab.available) await labResetGame()
    })

    it(`preflight checks ${name}, not runc; post-copy is refused for want of lazy pages`, async () => {
      const s = new PipelineSession({ tour, remote: (h) => pool.get(h), emit: () => {} })
      const rep = await s.preflight()
      for (const h of rep.hosts) {
        expect(h.checks.find((c) => c.id === 'runtime')).toMatchObject({ status: 'ok', detail: expect.stringMatching(new RegExp(`^${name} \\d`)) })
        // Podman restores onto the container's image: every host must hold it (the lab's shared store).
        if (rt.image) expect(h.checks.find((c) => c.id === 'image')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/image [0-9a-f]{12}/) })
      }
      expect(rep.modes.find((m) => m.mode === 'post-copy')).toMatchObject({ available: false, reason: expect.stringMatching(new RegExp(`${name} has no lazy pages`)) })
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
          console.log(`[${name}] ${formatHop(r)}`)
          results.push(r)
          expect(r.error, r.rollback).toBeUndefined()
          expect(r).toMatchObject({ ok: true, technique, containerOn: to })
          expect(await whereIsEverything(pool, tour)).toEqual({ running: [to], ip: [to] })
          // The destination runs it under this runtime (runc never saw it).
          const st = await (await pool.get(to)).run(rt.state(tour.container.id), { log: false })
          expect(parseRuntimeState(st.stdout).state).toBe('running')
          // CRIU's figures, from stats-dump (crun) or `--print-stats` (podman).
          expect(r.criuDump?.frozenTimeUs).toBeGreaterThan(0)
          expect(r.criuRestore?.pagesRestored).toBeGreaterThan(1000)
          const now = await gameStatus(tour)
          expect(stateCarried(last, now), `frags before ${JSON.stringify(last.players)} after ${JSON.stringify(now.players)}`).toBe(true)
          last = now
        }
        expect(results.every((r) => (r.client?.downtimeMs ?? 0) > 0)).toBe(true)
        // Pre-copy's frozen transfer is a delta against the snapshot, on podman's archive as on
        // CRIU's image dir (the whole image compresses to ~10 MiB; the game's changes to ~100 KiB).
        const back = results[1]!
        expect(back.steps.find((x) => x.step === 'transfer')?.bytes).toBeLessThan((back.imageBytes ?? 0) / 20)
      } finally {
        await prober.stop()
      }
    })
  })
})

// A whole lab tour as globehop runs it (mode from the tour: auto), watched by the prober and by an
// independent 100 Hz observer: every hop's client-observed downtime matches the observer within
// 2 probe intervals, and the RTT after each hop is the destination's emulated delay.
import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { labForTests, labResetGame } from '../../../lab/testing'
import { labHost } from '../../../lab/hosts'
import { startTourRuntime } from '../tour-runtime'
import { loadTour } from '../tour/load'
import { GapMeter } from './gap-meter'

const lab = labForTests()
const INTERVAL_MS = 50 // the lab tour probes at 20 Hz

describe.skipIf(!lab.available)(`client-observed downtime per hop on a lab tour${lab.available ? '' : `: skipped, ${lab.reason}`}`, () => {
  it('matches an independent observer within 2 probe intervals on every hop', { timeout: 600_000 }, async () => {
    await labResetGame()
    const tour = await loadTour(lab.tourPath)
    expect(tour.options.probeHz).toBe(1000 / INTERVAL_MS)
    const rt = startTourRuntime(tour, { emit: () => {} })
    const meter = new GapMeter(tour.floatingIp.address, tour.container.gamePort)
    meter.start()
    const rows: string[] = []
    try {
      await new Promise((r) => setTimeout(r, 3000)) // RTT "before" needs replies first
      expect((await rt.pipeline.preflight()).ok).toBe(true)
      while (rt.pipeline.nextHopIndex !== null) {
        const t0 = performance.now()
        const r = await rt.pipeline.hop({})
        await new Promise((res) => setTimeout(res, 1500)) // the outage's end settles after the probe timeout
        const observed = meter.longestGap(t0, performance.now())
        expect(r.ok, r.error).toBe(true)
        // Read after the settle: the hop result's copy was taken before the outage's end was final.
        const view = rt.prober!.clientView(r.hopId)
        const downtime = view.downtimeMs
        const after = view.rttAfterMs
        const dstRtt = labHost(r.to).rttMs
        rows.push(
          `${r.from} -> ${r.to} (${r.technique}): globehop downtime ${downtime?.toFixed(0)} ms, RTT ${view.rttBeforeMs?.toFixed(1)} -> ${after?.toFixed(1)} ms | ` +
            `independent observer ${observed.ms.toFixed(0)} ms | emulated RTT of ${r.to} ${dstRtt} ms`,
        )
        expect(downtime).not.toBeNull()
        expect(Math.abs(downtime! - observed.ms)).toBeLessThanOrEqual(2 * INTERVAL_MS)
        // The wire is the floor; the server answers between its frames (up to ~17 ms later).
        expect(after).not.toBeNull()
        expect(after!).toBeGreaterThanOrEqual(dstRtt - 0.5)
        expect(after!).toBeLessThanOrEqual(dstRtt + 34)
      }
    } finally {
      console.log(`[tour-gap]\n${rows.join('\n')}`)
      await meter.stop()
      await rt.close()
      await labResetGame()
    }
  })
})

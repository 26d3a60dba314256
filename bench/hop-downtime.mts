// Client downtime of one hop, stop-and-copy vs pre-copy, measured side by side on the local lab
// (Stuttgart <-> Strasbourg over the emulated 10 Mbit/s link), by globehop's own 20 Hz prober.
// The goal: pre-copy cuts what players feel by far more than half. Beside each hop: the IP move
// (it starts at the freeze; what is left of it after the dump) against keepalived's takeover floor,
// and the final transfer against its physical limit (the bytes on the wire at the link's rate plus
// one one-way delay). Pre-copy runs GLOBEHOP_BENCH_RUNS times (default 3, alternating directions)
// for medians. Needs root on Linux (the lab).
import type { HopResult } from '../src/shared/contract'
import { labResetGame } from '../lab/testing'
import { labDown, labRequirements, labStatus, labTourPath, labUp } from '../src/core/lab/index'
import { readState } from '../src/core/lab/state'
import { startTourRuntime } from '../src/core/tour-runtime'
import { loadTour } from '../src/core/tour/load'

const why = labRequirements()
if (why) {
  console.log(`hop downtime: skipped, the lab cannot run here: ${why}`)
  process.exit(0)
}
const runs = Math.max(1, Number(process.env.GLOBEHOP_BENCH_RUNS ?? 3))
// keepalived's Master_Down_Interval at the lab's advert_int 0.1 and the new owner's priority 200
// (RFC 5798 6.1: 3 x advert + (256 - priority) x advert / 256): no takeover comes sooner.
const TAKEOVER_FLOOR_MS = 300 + ((256 - 200) * 100) / 256
// tbf at 10mbit carries ~9.1 Mbit/s of rsync (lab.md).
const GOODPUT = 0.91

const wasUp = (await labStatus())?.up === true
if (!wasUp) await labUp()
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)]!
const ms = (n: number | undefined) => (n === undefined ? '?' : `${Math.round(n)} ms`)
try {
  const tour = await loadTour(labTourPath())
  const links = new Map((readState()?.hosts ?? []).map((h) => [h.name, h.link]))
  /** The final transfer's floor: its wire bytes at the slower link's goodput plus one one-way delay. */
  const transferFloor = (r: HopResult, wire: number) => {
    const [a, b] = [links.get(r.from), links.get(r.to)]
    const rates = [a?.rateMbit, b?.rateMbit].filter((x): x is number => typeof x === 'number')
    const rate = rates.length ? Math.min(...rates) * 1e6 * GOODPUT : Infinity
    return (wire * 8 * 1000) / rate + (a?.delayMs ?? 0) + (b?.delayMs ?? 0)
  }
  const downtime: Record<string, number[]> = {}
  const rows: { ip: number; transfer: number; floor: number; gap: number; dump: number }[] = []
  const plan: { mode: 'stop-and-copy' | 'pre-copy'; to: string }[] = [{ mode: 'stop-and-copy', to: 'strasbourg' }]
  for (let i = 0; i < runs; i++) plan.push({ mode: 'pre-copy', to: i % 2 === 0 ? 'stuttgart' : 'strasbourg' })
  await labResetGame()
  const rt = startTourRuntime(tour, { emit: () => {} })
  try {
    await new Promise((r) => setTimeout(r, 3000)) // replies before the hop, for the prober's baseline
    for (const { mode, to } of plan) {
      const r = await rt.pipeline.hop({ to, mode })
      await new Promise((res) => setTimeout(res, 1500)) // the outage's end settles
      const v = rt.prober!.clientView(r.hopId)
      if (!r.ok || v.downtimeMs == null) throw new Error(`${mode} hop failed: ${r.error ?? 'no downtime measured'}`)
      ;(downtime[mode] ??= []).push(v.downtimeMs)
      const step = (s: string) => r.steps.find((x) => x.step === s)
      const dump = step('checkpoint')?.ms ?? 0
      const xfer = step('transfer')
      const floor = transferFloor(r, xfer?.bytes ?? 0)
      if (mode === 'pre-copy') rows.push({ ip: step('ip-move')?.ms ?? NaN, transfer: xfer?.ms ?? NaN, floor, gap: v.downtimeMs, dump })
      console.log(
        `${mode.padEnd(14)} ${`${r.from} -> ${r.to}`.padEnd(24)} client downtime ${(v.downtimeMs / 1000).toFixed(2)} s, ${((r.wireBytes ?? 0) / 2 ** 20).toFixed(1)} MiB on the wire; ` +
          `dump ${ms(dump)}; ip-move after the dump ${ms(step('ip-move')?.ms)} (keepalived's floor ${ms(TAKEOVER_FLOOR_MS)} from the freeze); ` +
          `final transfer ${ms(xfer?.ms)} for ${((xfer?.bytes ?? 0) / 1024).toFixed(0)} KiB (physical limit ${ms(floor)})`,
      )
    }
  } finally {
    await rt.close()
  }
  const pre = median(downtime['pre-copy']!)
  console.log(`downtime ratio stop-and-copy / pre-copy (median of ${runs}): ${(downtime['stop-and-copy']![0]! / pre).toFixed(1)}x`)
  console.log(
    `pre-copy, median of ${rows.length}: client downtime ${ms(pre)}; ip-move after the dump ${ms(median(rows.map((x) => x.ip)))} (target <= 300 ms; keepalived's floor ${ms(TAKEOVER_FLOOR_MS)} from the freeze, dump ${ms(median(rows.map((x) => x.dump)))}); ` +
      `final transfer ${ms(median(rows.map((x) => x.transfer)))} against a physical limit of ${ms(median(rows.map((x) => x.floor)))} (${(median(rows.map((x) => x.transfer / x.floor))).toFixed(1)}x)`,
  )
} finally {
  await labResetGame()
  if (!wasUp) await labDown()
}

// The held restore against the plain gate, side by side on the local lab: runc's restore started
// with the gate, CRIU's restore run from the verified copy on and held at its post-restore
// notification in a shim until the go-ahead (transfer/criu-hold.ts), against runc started at the
// go-ahead (as every runtime that does not declare `restoreRunsCriu` restores). Pairs of hops take
// turns (held, held, plain, plain: both directions in each), each hop's gap split at the engine's
// go-ahead: freeze -> go-ahead (the hold must not slow it) and go-ahead -> first reply (what the
// hold saves: runc's start and CRIU's restore, as far as the go-ahead's round trip covers them).
// Gaps from a 100 Hz meter beside the prober (probe/gap-meter.ts), the go-ahead from the engine's restore step event. Mann-Whitney z per row:
// beyond +-2 the two differ by more than these VMs' noise.
// Env: GLOBEHOP_BENCH_HOPS (default 16, 8 each; GLOBEHOP_BENCH_QUICK=1: 8), GLOBEHOP_BENCH_PAIR
// (stuttgart,strasbourg). Root, the lab.
import { performance } from 'node:perf_hooks'
import { wilcoxonRankSum } from 'simple-statistics'
import { FLOATING_IP, GAME_PORT, labRequirements, labTourPath } from '../lab/index'
import { labResetGame } from '../lab/testing'
import { runc } from '../src/core/pipeline/runtime/runc'
import { GapMeter } from '../src/core/probe/gap-meter'
import { median } from '../src/core/probe/hop-ledger'
import { startTourRuntime } from '../src/core/tour-runtime'
import { loadTour } from '../src/core/tour/load'

const why = labRequirements()
if (why) {
  console.log(`held restore: skipped, the lab cannot run here: ${why}`)
  process.exit(0)
}
const hops = Math.max(4, Number(process.env.GLOBEHOP_BENCH_HOPS ?? (process.env.GLOBEHOP_BENCH_QUICK === '1' ? 8 : 16)))
const pair = (process.env.GLOBEHOP_BENCH_PAIR ?? 'stuttgart,strasbourg').split(',').map((s) => s.trim())
type Arm = 'held' | 'plain'
interface Hop {
  gap: number
  beforeGo: number
  afterGo: number
}

/** The Wilcoxon rank sum of a against b (= Mann-Whitney U) as a z score, the normal approximation. */
function rankSumZ(a: number[], b: number[]): number {
  const [n1, n2] = [a.length, b.length]
  return (wilcoxonRankSum(a, b) - (n1 * (n1 + n2 + 1)) / 2) / Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12)
}

const tour = await loadTour(labTourPath())
await labResetGame()
let goAt = NaN
const rt = startTourRuntime(tour, {
  emit: (name, p) => {
    const e = p as { step: string; phase: string }
    if (name === 'step' && e.step === 'restore' && e.phase === 'start') goAt = performance.now()
  },
})
const meter = new GapMeter(FLOATING_IP, GAME_PORT)
meter.start()
const runtime = runc as { restoreRunsCriu?: boolean }
const declared = runtime.restoreRunsCriu
const got: Record<Arm, Hop[]> = { held: [], plain: [] }
try {
  await new Promise((r) => setTimeout(r, 3000))
  if (!pair.includes(rt.pipeline.currentHost ?? '')) {
    const r = await rt.pipeline.hop({ to: pair[0]!, mode: 'pre-copy' })
    if (!r.ok) throw new Error(`positioning hop to ${pair[0]} failed: ${r.error}`)
  }
  for (let i = 0; i < hops; i++) {
    const arm: Arm = Math.floor(i / 2) % 2 === 0 ? 'held' : 'plain'
    runtime.restoreRunsCriu = arm === 'held'
    const to = rt.pipeline.currentHost === pair[0] ? pair[1]! : pair[0]!
    goAt = NaN
    const t0 = performance.now()
    const r = await rt.pipeline.hop({ to, mode: 'pre-copy' })
    await new Promise((res) => setTimeout(res, 1500)) // the outage's end settles
    if (!r.ok) throw new Error(`${arm} ${r.from} -> ${r.to} failed: ${r.error}`)
    const g = meter.longestGap(t0, performance.now())
    const criu = (r.criuRestore?.restoreTimeUs ?? NaN) / 1000
    const hop = { gap: g.ms, beforeGo: goAt - g.start, afterGo: g.end - goAt }
    got[arm].push(hop)
    const ms = (x: number) => Math.round(x)
    console.log(`  ${arm.padEnd(5)} ${`${r.from} -> ${r.to}`.padEnd(24)} gap ${ms(hop.gap)} ms: freeze -> go-ahead ${ms(hop.beforeGo)}, go-ahead -> reply ${ms(g.end - goAt)} (CRIU's restore ${ms(criu)})`)
  }
} finally {
  runtime.restoreRunsCriu = declared
  await meter.stop()
  await rt.close()
}
const row = (label: string, f: (h: Hop) => number) => {
  const [a, b] = [got.held.map(f), got.plain.map(f)]
  return `| ${label} | ${Math.round(median(a) ?? NaN)} | ${Math.round(median(b) ?? NaN)} | ${rankSumZ(a, b).toFixed(1)} |`
}
console.log(`\nThe held restore against the plain gate, ${pair.join(' <-> ')}, ${got.held.length} hops each (medians, ms):\n`)
console.log('| | held | plain | Mann-Whitney z |\n|---|---|---|---|')
console.log(row('client gap (100 Hz meter)', (h) => h.gap))
console.log(row('freeze -> go-ahead', (h) => h.beforeGo))
console.log(row('go-ahead -> first reply', (h) => h.afterGo))

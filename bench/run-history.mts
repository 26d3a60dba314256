// What folding one probe batch into the run's history costs with 10 minutes of samples held (the
// engine and every page do it 5 times a second), beside immutable folds that copy the sample array
// on every batch: the reducer one would write (spread + filter) and the cheapest copy (concat +
// slice). Run: node --expose-gc --import tsx bench/run-history.mts
import { HISTORY_LIMITS, type AnyEvent, type ProbeSample, type RunHistory } from '../src/shared/contract'
import { emptyHistory, RunHistoryFold } from '../src/shared/run-history'

const PER_SECOND = 5 // probe batches a second
const T0 = 1_800_000_000_000
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

function batches(hz: number, count: number): AnyEvent[] {
  const per = hz / PER_SECOND
  return Array.from({ length: count }, (_, k) => {
    const samples: ProbeSample[] = []
    for (let j = k * per; j < (k + 1) * per; j++) samples.push({ seq: j, at: T0 + (j * 1000) / hz, rttMs: j % 500 === 0 ? null : 15 + (j % 13) })
    return { name: 'probe', payload: { samples, state: 'answering', target: 'x' } }
  })
}

function spreadFilter(h: RunHistory, e: AnyEvent): RunHistory {
  if (e.name !== 'probe') return h
  const all = [...h.probe.samples, ...e.payload.samples]
  const newest = all.reduce((m, s) => Math.max(m, s.at), -Infinity)
  return { ...h, probe: { state: e.payload.state, target: e.payload.target, samples: all.filter((s) => s.at >= newest - HISTORY_LIMITS.probeWindowMs) } }
}

function concatSlice(h: RunHistory, e: AnyEvent): RunHistory {
  if (e.name !== 'probe') return h
  const all = h.probe.samples.concat(e.payload.samples)
  const from = all[all.length - 1]!.at - HISTORY_LIMITS.probeWindowMs
  let first = 0
  while (all[first]!.at < from) first++
  return { ...h, probe: { state: e.payload.state, target: e.payload.target, samples: first ? all.slice(first) : all } }
}

/** µs per batch once the window is full: median of rounds of `timed` batches, GC included. */
function measure(make: () => (e: AnyEvent) => number, input: AnyEvent[], warm: number): { us: number; held: number } {
  const rounds: number[] = []
  let held = 0
  for (let r = 0; r < 5; r++) {
    const apply = make()
    for (let k = 0; k < warm; k++) apply(input[k]!)
    gc()
    const t = performance.now()
    for (let k = warm; k < input.length; k++) held = apply(input[k]!)
    rounds.push(((performance.now() - t) * 1000) / (input.length - warm))
  }
  return { us: rounds.sort((a, b) => a - b)[2]!, held }
}

for (const hz of [20, 50]) {
  const warm = (HISTORY_LIMITS.probeWindowMs / 1000) * PER_SECOND // batches that fill 10 minutes
  const input = batches(hz, warm + 1500) // then 5 more minutes, timed
  const fold = measure(() => {
    const f = new RunHistoryFold()
    return (e) => (f.apply(e), f.sampleCount)
  }, input, warm)
  const naive = (step: typeof spreadFilter) => () => {
    let h = emptyHistory()
    return (e: AnyEvent) => (h = step(h, e)).probe.samples.length
  }
  const spread = measure(naive(spreadFilter), input, warm)
  const concat = measure(naive(concatSlice), input, warm)
  if (Math.abs(spread.held - fold.held) > 1 || Math.abs(concat.held - fold.held) > 1) throw new Error(`the folds disagree: ${fold.held} ${spread.held} ${concat.held}`)
  const f = new RunHistoryFold()
  for (const e of input) f.apply(e)
  const t = performance.now()
  f.snapshot()
  const snapMs = performance.now() - t
  console.log(`${hz} Hz, 10 minutes held = ${fold.held} samples, ${hz / PER_SECOND} per batch:`)
  console.log(`  run-history fold (deque): ${fold.us.toFixed(2)} µs per batch; snapshot for getHistory ${snapMs.toFixed(2)} ms (once per page that opens)`)
  console.log(`  immutable spread + filter: ${spread.us.toFixed(1)} µs per batch, ratio ${(spread.us / fold.us).toFixed(0)}x`)
  console.log(`  immutable concat + slice:  ${concat.us.toFixed(1)} µs per batch, ratio ${(concat.us / fold.us).toFixed(1)}x (and ${((fold.held * 8) / 1024).toFixed(0)} KiB of array garbage per batch)`)
}

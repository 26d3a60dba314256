// Memory of the ping graph's store after a long run at 20 Hz, against the naive approach of keeping
// every sample object in an array. Run: node --expose-gc --import tsx bench/probe-store.mts [hours]
import { PingStore } from '../src/renderer/src/ping/ping-store'
import type { ProbeSample } from '../src/shared/contract'

const hours = Number(process.argv[2] ?? 1)
const n = Math.round(hours * 3600 * 20)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc --import tsx')

function heap(): number {
  gc!()
  gc!()
  return process.memoryUsage().heapUsed
}

function feed(add: (batch: ProbeSample[]) => void): number {
  const t0 = Date.now()
  for (let k = 0; k < n; k += 4) {
    const batch: ProbeSample[] = []
    for (let j = k; j < Math.min(n, k + 4); j++) batch.push({ seq: j, at: t0 + j * 50, rttMs: j % 500 === 0 ? null : 15 + (j % 13) })
    add(batch)
  }
  return n
}

const base = heap()
const store = new PingStore()
let t = performance.now()
feed((samples) => store.addProbe({ samples, state: 'answering', target: 'x' }))
const storeMs = performance.now() - t
t = performance.now()
const w = store.window(Date.now() + n * 50, 60_000)
const windowMs = performance.now() - t
const storeBytes = heap() - base

const naive: ProbeSample[] = []
const base2 = heap()
feed((samples) => naive.push(...samples))
const naiveBytes = heap() - base2

const mb = (b: number) => (b / 1e6).toFixed(2)
console.log(`${hours} h at 20 Hz = ${n} samples`)
console.log(`ring-buffer store: ${mb(storeBytes)} MB heap (typed arrays ${mb(store.bytes())} MB), ingest ${storeMs.toFixed(0)} ms, one 60 s window ${windowMs.toFixed(2)} ms (${w.x.length} points), overview ${store.overview.used} buckets of ${store.overview.bucketMs / 1000} s`)
console.log(`naive array of samples: ${mb(naiveBytes)} MB heap, growing ${mb(naiveBytes / hours)} MB per hour`)
if (naive.length !== n) throw new Error('naive lost samples')
// The goal: bounded memory. Ratio of the naive array to the ring store's whole footprint, same run.
const ringTotal = Math.max(storeBytes, 0) + store.bytes()
console.log(`memory ratio naive/ring after ${hours} h: ${(naiveBytes / ringTotal).toFixed(1)}x (ring stays ${mb(ringTotal)} MB for any duration)`)

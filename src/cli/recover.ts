// `globehop recover TOUR`: after a crash, a kill -9 or a failed rollback, ask every host what runs
// where, read the hop journal, and repair what can safely be repaired (src/core/pipeline/recover.ts).
// Prints what it found and what it did; exits 0 when exactly one copy runs and the IP is with it.
import { parseArgs } from 'node:util'
import { startTourRuntime } from '../core/tour-runtime'
import { loadTour, TourError } from '../core/tour/load'
import { UsageError } from './usage'

export async function runRecover(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { 'dry-run': { type: 'boolean' }, wait: { type: 'string' } }, allowPositionals: true, strict: true })
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing TOUR' : `one TOUR expected, got: ${positionals.join(' ')}`)
  const wait = values.wait === undefined ? 120 : Number(values.wait)
  if (!Number.isFinite(wait) || wait < 0) throw new UsageError(`--wait takes seconds, got "${values.wait}"`)
  let tour
  try {
    tour = await loadTour(positionals[0]!)
  } catch (err) {
    if (err instanceof TourError) {
      console.error(err.message)
      return 1
    }
    throw err
  }
  const rt = startTourRuntime(tour, { emit: () => {}, probe: false })
  try {
    const r = await rt.recover((l) => console.log(l), { dryRun: values['dry-run'], unreachableMs: wait * 1000 })
    console.log(r.ok ? `recovered: the game runs on ${r.containerOn}` : 'not fully recovered: see the lines above')
    return r.ok ? 0 : 1
  } finally {
    await rt.close()
  }
}

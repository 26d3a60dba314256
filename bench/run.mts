// `npm run bench`: every benchmark, each printing its ratio measured side by side in one run.
import { spawnSync } from 'node:child_process'
import path from 'node:path'

const here = import.meta.dirname
let failed = 0
// soak.mts runs GLOBEHOP_SOAK_MINUTES (default 30; 0 skips it) on the lab: nothing else may use the lab meanwhile.
// GLOBEHOP_BENCH_QUICK=1: hop-downtime's short variant (one run, the 50 ms link) and no soak unless asked for.
const env = { ...process.env }
if (env.GLOBEHOP_BENCH_QUICK === '1' && env.GLOBEHOP_SOAK_MINUTES === undefined) env.GLOBEHOP_SOAK_MINUTES = '0'
for (const bench of ['probe-store.mts', 'run-history.mts', 'snapshot-pause.mts', 'hop-downtime.mts', 'hop-timeline.mts', 'held-restore.mts', 'stage-fps.mts', 'soak.mts']) {
  console.log(`\n== ${bench}`)
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(here, bench)], { stdio: 'inherit', env })
  if (r.status !== 0) failed++
}
process.exit(failed ? 1 : 0)

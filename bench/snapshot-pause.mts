// How long a pre-copy snapshot holds the game, side by side in one run: CRIU freezing it itself
// against globehop freezing it first (src/core/criu/freeze-first.ts), each writing the image to
// disk (the hops' image dir) and to RAM (/dev/shm, where hops put their snapshots: decide.ts
// snapshotsInRam), and in RAM with the container's tmpfs mounts left unarchived (what hops do now:
// src/core/criu/snapshot-mounts.ts). `runc checkpoint --leave-running` of the lab's game, the five
// kinds in turn, each round starting one kind later.
// Each hold is measured three ways: independently by lab/freeze-watch.ts (the game's freezer left
// THAWED or a tracer holds its task, looked at every ms), by CRIU's stats (freezing + frozen) and
// as the app reports it. Target (issue 12): no snapshot pause over 250 ms.
// Env: GLOBEHOP_BENCH_SNAPSHOTS (dumps per kind, default 8). Needs root on Linux (the lab).
import { labResetGame, whereIsEverything } from '../lab/testing'
import { watchFreeze } from '../lab/freeze-watch'
import { labDown, labRequirements, labStatus, labTourPath, labUp } from '../lab/index'
import { freezeFirstArgv, parseFreezeFirst, pauseMs } from '../src/core/criu/freeze-first'
import { SNAPSHOT_CRIU_CONF } from '../src/core/criu/snapshot-mounts'
import { median as medianOf } from '../src/core/probe/hop-ledger'
import { RAM_SNAPSHOTS } from '../src/core/pipeline/decide'
import { criuPauseMs } from '../src/core/criu/stats'
import { runtimeOf } from '../src/core/pipeline/runtime/registry'
import { SshPool } from '../src/core/ssh/pool'
import { loadTour } from '../src/core/tour/load'

const why = labRequirements()
if (why) {
  console.log(`snapshot pause: skipped, the lab cannot run here: ${why}`)
  process.exit(0)
}
const perKind = Math.max(2, Number(process.env.GLOBEHOP_BENCH_SNAPSHOTS ?? 8))
const TARGET_MS = 250

const KINDS = ['CRIU freezes, disk', 'globehop freezes first, disk', 'CRIU freezes, RAM', 'globehop freezes first, RAM', 'globehop freezes first, RAM, tmpfs unarchived'] as const
type Kind = (typeof KINDS)[number]
interface Dump {
  kind: Kind
  /** The game held, as lab/freeze-watch.ts saw it. */
  watchedMs: number
  /** What the app reports (snapshot step): CRIU's figures, or the longer of those and the wrapper's hold. */
  reportedMs: number
  /** CRIU's first look found the freezer still FREEZING and it slept 100 ms. */
  slept: boolean
}

const median = (xs: number[]) => medianOf(xs) ?? Number.NaN

const wasUp = (await labStatus())?.up === true
if (!wasUp) await labUp()
const dumps: Dump[] = []
let host = '?'
try {
  await labResetGame()
  const tour = await loadTour(labTourPath())
  const pool = new SshPool(tour, { sshConfig: null })
  try {
    host = (await whereIsEverything(pool, tour)).running[0]!
    const r = await pool.get(host)
    const rt = runtimeOf(tour)
    const id = tour.container.id
    const dirs = { disk: `${tour.options.imageDir}/${id}/bench-snapshot`, RAM: `${RAM_SNAPSHOTS}/${id}/bench-snapshot` }
    for (let i = 0; i < KINDS.length * perKind; i++) {
      const kind = KINDS[(i + Math.floor(i / KINDS.length)) % KINDS.length]!
      const dir = kind.includes('RAM') ? dirs.RAM : dirs.disk
      const img = `${dir}/img`
      const work = `${dir}/work`
      await r.run(['sh', '-c', 'rm -rf "$1" && mkdir -p "$1"', 'sh', dir])
      const checkpoint = rt.checkpoint({ id, imagePath: img, workPath: work, leaveRunning: true })
      const watch = watchFreeze(host)
      await new Promise((res) => setTimeout(res, 100))
      const snapshotConf = kind.endsWith('unarchived') ? `${work}/${SNAPSHOT_CRIU_CONF}` : undefined
      const ran = await r.run(kind.startsWith('CRIU') ? checkpoint : freezeFirstArgv({ checkpoint, state: rt.state(id), log: `${work}/${rt.dumpLog!}`, img, snapshotConf }))
      await new Promise((res) => setTimeout(res, 20))
      await watch.stop()
      const holds = watch.holds().map((h) => (h.endMs ?? Number.NaN) - h.startMs)
      const stats = rt.stats.decode(Buffer.from((await r.run(['base64', '-w0', `${work}/${rt.stats.dump}`], { log: false })).stdout, 'base64'))
      const log = (await r.run(['cat', `${work}/${rt.dumpLog!}`], { log: false })).stdout
      dumps.push({
        kind,
        watchedMs: Math.max(...holds),
        reportedMs: pauseMs(parseFreezeFirst(ran.stdout), criuPauseMs(stats)) ?? Number.NaN,
        slept: /freezing processes: [1-9]\d* attempts done/.test(log),
      })
      await new Promise((res) => setTimeout(res, 1000))
    }
    await r.run(['rm', '-rf', '--', dirs.disk, dirs.RAM])
  } finally {
    await pool.close()
  }
} finally {
  await labResetGame().catch(() => undefined)
  if (!wasUp) await labDown()
}

const lines = [
  `Snapshot pauses on the lab (${host}, the game's ~93 MiB image), ${perKind} dumps per kind, in turn`,
  '',
  '| kind | game held ms, median / longest (freeze watch) | app reports ms, median / longest | CRIU slept 100 ms on the freezer | longest <= 250 ms |',
  '|---|---|---|---|---|',
]
const by = (k: Kind) => dumps.filter((d) => d.kind === k)
for (const k of KINDS) {
  const d = by(k)
  const w = d.map((x) => x.watchedMs)
  const a = d.map((x) => x.reportedMs)
  const longest = Math.max(...w, ...a)
  lines.push(`| ${k} | ${median(w).toFixed(0)} / ${Math.max(...w).toFixed(0)} | ${median(a).toFixed(0)} / ${Math.max(...a).toFixed(0)} | ${d.filter((x) => x.slept).length} of ${d.length} | ${longest <= TARGET_MS ? 'ok' : 'MISSED'} (${longest.toFixed(0)}) |`)
}
const held = (k: Kind) => by(k).map((x) => x.watchedMs)
const longest = (xs: number[]) => Math.max(...xs)
const ratio = (a: Kind, b: Kind) => `median ${(median(held(a)) / median(held(b))).toFixed(2)}x, longest ${(longest(held(a)) / longest(held(b))).toFixed(2)}x`
lines.push('')
lines.push(`game held, globehop freezes first / CRIU freezes: on disk ${ratio('globehop freezes first, disk', 'CRIU freezes, disk')}; in RAM ${ratio('globehop freezes first, RAM', 'CRIU freezes, RAM')}`)
lines.push(`game held, RAM / disk: CRIU freezing ${ratio('CRIU freezes, RAM', 'CRIU freezes, disk')}; globehop freezing first ${ratio('globehop freezes first, RAM', 'globehop freezes first, disk')}`)
lines.push(`game held, tmpfs mounts unarchived / archived (globehop first, RAM): ${ratio('globehop freezes first, RAM, tmpfs unarchived', 'globehop freezes first, RAM')}`)
lines.push(`what hops do now (globehop first, RAM, tmpfs unarchived) / what they did (CRIU, disk): ${ratio('globehop freezes first, RAM, tmpfs unarchived', 'CRIU freezes, disk')}`)
const gap = Math.max(...dumps.map((d) => d.watchedMs - d.reportedMs))
lines.push(`the app's figure against the freeze watch: at most ${gap.toFixed(1)} ms short (the watch looks every ms)`)
console.log(lines.join('\n'))

// Where a hop's outage goes, on the local lab: a few hops, each laid out on one clock from the game's
// freeze (lab/freeze-watch.ts) to the first reply after it (a 100 Hz gap meter beside the prober):
// the engine's step events and the tail chain's marker lines (back-dated by the host's one-way
// delay to the engine: the lab's engine sits on the bridge), CRIU's dump and restore logs (kept by
// tour options.keepLogs; their lines are dated from the log's mtime, which is its last line's time:
// the lab's machines share one clock). Then the phases per hop and their medians. Issue 12's
// "say where the remaining overhead goes".
// Env: GLOBEHOP_BENCH_HOPS (default 4), GLOBEHOP_BENCH_PAIR (stuttgart,strasbourg),
// GLOBEHOP_BENCH_MODE (pre-copy), GLOBEHOP_BENCH_VERBOSE=1 (every timeline line), GLOBEHOP_BENCH_UNSHAPED=1
// (the pair's shaping off for the run, as the hop table's unthrottled link), GLOBEHOP_BENCH_COMPRESSION
// (the tour's options.compression: auto, zstd, none). Root, the lab.
import { performance } from 'node:perf_hooks'
import { FLOATING_IP, GAME_PORT, labLink, labRequirements, labTourPath } from '../lab/index'
import { watchFreeze } from '../lab/freeze-watch'
import { readState } from '../lab/state'
import { labResetGame } from '../lab/testing'
import { logsDir } from '../src/core/pipeline/plan'
import { GapMeter } from '../src/core/probe/gap-meter'
import { median } from '../src/core/probe/hop-ledger'
import { startTourRuntime } from '../src/core/tour-runtime'
import { loadTour } from '../src/core/tour/load'
import type { Mode } from '../src/shared/tour'

const why = labRequirements()
if (why) {
  console.log(`hop timeline: skipped, the lab cannot run here: ${why}`)
  process.exit(0)
}
const hops = Math.max(1, Number(process.env.GLOBEHOP_BENCH_HOPS ?? 4))
const pair = (process.env.GLOBEHOP_BENCH_PAIR ?? 'stuttgart,strasbourg').split(',').map((s) => s.trim())
const mode = (process.env.GLOBEHOP_BENCH_MODE ?? 'pre-copy') as Mode
const verbose = process.env.GLOBEHOP_BENCH_VERBOSE === '1'
const unshaped = process.env.GLOBEHOP_BENCH_UNSHAPED === '1'
const shaping = new Map((readState()?.hosts ?? []).map((h) => [h.name, { ...h.link }]))
const delay = new Map([...shaping].map(([h, l]) => [h, unshaped && pair.includes(h) ? 0 : l.delayMs]))

/** CRIU's log lines on the epoch clock: the log's mtime dates its last line. */
function datedLog(text: string): { at: number; line: string }[] {
  const [mtime, ...rest] = text.split('\n')
  const lines = rest.map((line) => ({ t: Number(/^\((\d+\.\d+)\)/.exec(line)?.[1] ?? NaN), line })).filter((x) => Number.isFinite(x.t))
  const last = lines.at(-1)
  if (!last || !Number.isFinite(Number(mtime))) return []
  const base = Number(mtime) * 1000 - last.t * 1000
  return lines.map((x) => ({ at: base + x.t * 1000, line: x.line }))
}
const first = (log: { at: number; line: string }[], re: RegExp) => log.find((x) => re.test(x.line))?.at ?? NaN

const tour = await loadTour(labTourPath())
tour.options.keepLogs = true
const compression = process.env.GLOBEHOP_BENCH_COMPRESSION
if (compression === 'auto' || compression === 'zstd' || compression === 'none') tour.options.compression = compression
else if (compression) throw new Error(`GLOBEHOP_BENCH_COMPRESSION: "${compression}" is not auto, zstd or none`)
await labResetGame()
const events: { at: number; what: string }[] = []
const rt = startTourRuntime(tour, {
  emit: (name, p) => {
    const e = p as { at: number; step: string; phase: string; host?: string }
    if (name === 'step' && e.phase !== 'progress') events.push({ at: e.at, what: `step ${e.step} ${e.phase}${e.host ? ` (${e.host})` : ''}` })
  },
  sshEmit: (name, p) => {
    const e = p as { at: number; host: string; stream: string; line: string }
    // A marker line left its host one one-way delay before the engine read it.
    if (name === 'log' && e.stream !== 'cmd' && /^globehop-(tail|gate|delta|freeze)/.test(e.line)) events.push({ at: e.at - (delay.get(e.host) ?? 0), what: `${e.host}: ${e.line.slice(0, 110)}` })
  },
})
const meter = new GapMeter(FLOATING_IP, GAME_PORT)
meter.start()
const phases: Record<string, number>[] = []
try {
  if (unshaped) for (const h of pair) await labLink(h, { off: true })
  await new Promise((r) => setTimeout(r, 3000))
  if (!pair.includes(rt.pipeline.currentHost ?? '')) await rt.pipeline.hop({ to: pair[0]!, mode: 'pre-copy' })
  for (let i = 0; i < hops; i++) {
    const from = rt.pipeline.currentHost!
    const to = from === pair[0] ? pair[1]! : pair[0]!
    events.length = 0
    const fw = watchFreeze(from)
    const t0 = performance.now()
    const r = await rt.pipeline.hop({ to, mode })
    const freeze = (await fw.stop()) ?? NaN
    await new Promise((res) => setTimeout(res, 1500))
    if (!r.ok) throw new Error(`${from} -> ${to} failed: ${r.error}`)
    const g = meter.longestGap(t0, performance.now())
    const read = async (host: string, file: string) => {
      const res = await (await rt.pool.get(host)).run(['sh', '-c', 'stat -c %.9Y "$1" && cat "$1"', 'sh', file], { allowFail: true, log: false })
      return datedLog(res.stdout)
    }
    const dir = logsDir(tour, r.hopId)
    const [dump, restore] = await Promise.all([read(from, `${dir}/dump.log`), read(to, `${dir}/restore.log`)])
    const line = (re: RegExp) => events.find((e) => re.test(e.what))?.at ?? NaN
    const lastReply = performance.timeOrigin + g.start
    const firstReply = performance.timeOrigin + g.end
    const d = {
      seize: first(dump, /Seized task/),
      parasite: first(dump, /switched to daemon mode/),
      memDone: first(dump, /mnt: Dumping mountpoints/),
      mntDone: first(dump, /Dumping file-locks/),
      dumpDone: first(dump, /Dumping finished successfully/),
    }
    const s = {
      counted: line(/globehop-delta: files/),
      verified: line(/globehop-gate: verified/),
      restoring: line(/globehop-gate: restoring/),
    }
    const rs = {
      postRestore: first(restore, /Running post-restore scripts/),
      done: first(restore, /Restore finished successfully/),
    }
    // With runc, CRIU restores the game from the verified copy on, while the go-ahead crosses, and
    // waits at its post-restore notification until the go line (transfer/criu-hold.ts): whichever
    // of the two ends later is where the game's resume starts.
    const held = Math.max(s.restoring, rs.postRestore)
    // Each phase from one mark to the next; together they run from the freeze to the first reply.
    const ph: Record<string, number> = {
      'CRIU seizes the game and injects its parasite': d.parasite - freeze,
      "CRIU writes the game's memory": d.memDone - d.parasite,
      "CRIU archives the container's tmpfs mounts (tar + gzip each)": d.mntDone - d.memDone,
      'CRIU: namespaces, cgroups, inventory': d.dumpDone - d.mntDone,
      "the rest of the delta leaves the source (runc's exit beside it)": s.counted - d.dumpDone,
      'the delta arrives and is verified on the destination': s.verified - s.counted,
      "the go-ahead's round trip or CRIU's restore up to its post-restore notification, the longer": held - s.verified,
      'CRIU lets the game run once its notification is answered': rs.done - held,
      'the game answers and its reply reaches the client': firstReply - rs.done,
    }
    ph['(client gap)'] = g.ms
    ph["(the go-ahead's round trip, engine <-> destination)"] = s.restoring - s.verified
    ph["(the verified copy to CRIU's post-restore notification: what is left of runc's start, CRIU's restore)"] = rs.postRestore - s.verified
    ph['(freeze after the last reply reached the client)'] = freeze - lastReply
    phases.push(ph)
    console.log(`\n${r.from} -> ${r.to} (${r.technique}): client gap ${Math.round(g.ms)} ms (prober ${Math.round(rt.prober?.clientView(r.hopId).downtimeMs ?? NaN)} ms); CRIU frozen ${Math.round((r.criuDump?.frozenTimeUs ?? NaN) / 1000)} ms, restore ${Math.round((r.criuRestore?.restoreTimeUs ?? NaN) / 1000)} ms`)
    for (const [k, v] of Object.entries(ph)) console.log(`  ${String(Math.round(v)).padStart(6)} ms  ${k}`)
    if (verbose) {
      const rows = [
        ...events,
        ...dump.map((x) => ({ at: x.at, what: `dump ${x.line.slice(0, 100)}` })),
        ...restore.map((x) => ({ at: x.at, what: `restore ${x.line.slice(0, 100)}` })),
        { at: freeze, what: `FREEZE (epoch ${(freeze / 1000).toFixed(3)} s)` },
        { at: lastReply, what: 'last reply before the gap' },
        { at: firstReply, what: 'first reply after the gap' },
      ].sort((a, b) => a.at - b.at)
      for (const x of rows) console.log(`    ${(x.at - freeze).toFixed(1).padStart(9)}  ${x.what}`)
    }
  }
} finally {
  if (unshaped) for (const h of pair) await labLink(h, shaping.get(h)!)
  await meter.stop()
  await rt.close()
}
console.log(`\nMedians of ${phases.length} hops (${mode}, ${pair.join(' <-> ')}), ms:`)
for (const k of Object.keys(phases[0] ?? {})) console.log(`  ${String(Math.round(median(phases.map((p) => p[k]!)) ?? NaN)).padStart(6)}  ${k}`)

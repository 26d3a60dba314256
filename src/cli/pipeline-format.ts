// Human text for the pipeline CLI: the preflight table, one line per finished step, and a hop's
// figures in the order the 2017 demo printed them, plus CRIU's frozen time and the client gap.
import type { HopResult, PreflightReport, StepEvent } from '../shared/contract'
import { formatBytes, formatDuration } from '../shared/format'
import type { Mode } from '../shared/tour'

const mib = (b: number | undefined) => formatBytes(b, '?')
const s = (ms: number | undefined) => formatDuration(ms, '?')
const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' } as const

export function formatPreflight(r: PreflightReport, mode?: Mode): string {
  const lines: string[] = []
  for (const h of r.hosts) {
    lines.push(h.host)
    for (const c of h.checks) lines.push(`  ${MARK[c.status]} ${c.id.padEnd(16)} ${c.detail}`)
  }
  lines.push(`container on: ${r.containerOn ?? 'none or several'}; floating IP on: ${r.floatingIpOwner ?? 'none or several'}`)
  lines.push('modes:')
  // Available modes carry the next hop's predicted gap and its sum in their words.
  for (const m of r.modes) {
    const gap = m.predictedGapMs !== undefined ? ` ~${s(m.predictedGapMs)} gap predicted;` : ''
    lines.push(`  ${m.available ? 'yes' : 'no '} ${m.mode.padEnd(14)}${gap}${m.reason ? ` ${m.reason}` : ''}${m.mode === mode ? '   <- asked for' : ''}`)
  }
  lines.push(`preflight: ${r.ok ? 'ok' : 'NOT ok'}`)
  return lines.join('\n')
}

/** One line when a step ends or fails (start/progress stay quiet in human output). */
export function formatStepLine(e: StepEvent): string | null {
  if (e.phase !== 'end' && e.phase !== 'fail') return null
  const it = e.iteration ? ` ${e.iteration}` : ''
  const bytes = e.bytesDone !== undefined ? `  ${mib(e.bytesDone)}` : ''
  return `  ${e.phase === 'fail' ? 'FAIL' : '    '} ${`${e.step}${it}`.padEnd(20)} ${s(e.elapsedMs).padStart(8)}${e.frozen ? ' frozen' : '       '}${bytes}  ${e.detail ?? ''}`.trimEnd()
}

/** Sum of the step times of one kind. */
function stepMs(r: HopResult, step: string, iteration?: number): number | undefined {
  const xs = r.steps.filter((x) => x.step === step && (iteration === undefined || x.iteration === iteration))
  return xs.length ? xs.reduce((a, x) => a + x.ms, 0) : undefined
}

export function formatHop(r: HopResult): string {
  const out: string[] = [`hop ${r.from} -> ${r.to}: ${r.technique} (${r.mode}) ${r.ok ? 'ok' : 'FAILED'}`]
  const row = (k: string, v: string) => out.push(`  ${k.padEnd(24)} ${v}`)
  if (r.technique === 'refused') {
    row('refused', `${r.error ?? '?'} (nothing was frozen)`)
    row('container now on', r.containerOn ?? 'unknown')
    return out.join('\n')
  }
  for (const snap of r.steps.filter((x) => x.step === 'snapshot')) {
    const tr = r.steps.find((x) => x.step === 'snapshot-transfer' && x.iteration === snap.iteration)
    row(`snapshot ${snap.iteration} time`, `${s(snap.ms)} (the game paused for the dump, then ran on)`)
    row(`snapshot ${snap.iteration} size`, mib(snap.bytes))
    if (tr) row(`snapshot ${snap.iteration} transfer`, `${s(tr.ms)}, ${mib(tr.bytes)} on the wire`)
  }
  const frozenUs = r.criuDump?.frozenTimeUs
  row('dump time', `${s(stepMs(r, 'checkpoint'))}${frozenUs !== undefined ? ` (CRIU frozen ${s(frozenUs / 1000)}, memdump ${s((r.criuDump?.memdumpTimeUs ?? 0) / 1000)})` : ''}`)
  row('dump size', `${mib(r.imageBytes)}${r.criuDump?.pagesWritten !== undefined ? ` (${r.criuDump.pagesWritten} pages written${r.criuDump.pagesLazy ? `, ${r.criuDump.pagesLazy} lazy` : ''})` : ''}`)
  const tr = r.steps.find((x) => x.step === 'transfer')
  row('dump transfer', tr ? `${s(tr.ms)}, ${mib(tr.bytes)} on the wire` : '-')
  row('ip move', s(stepMs(r, 'ip-move')))
  if (stepMs(r, 'page-server') !== undefined) row('lazy-pages daemon', s(stepMs(r, 'page-server')))
  const restoreUs = r.criuRestore?.restoreTimeUs
  row('restore time', `${s(stepMs(r, 'restore'))}${restoreUs !== undefined ? ` (CRIU restore ${s(restoreUs / 1000)})` : ''}`)
  if (stepMs(r, 'lazy-pages') !== undefined) row('remaining pages', `${s(stepMs(r, 'lazy-pages'))} after the restore`)
  // Post-copy: verify waits while the restored game faults its working set in over the link.
  const lazy = stepMs(r, 'page-server') !== undefined
  row('verify', `${s(stepMs(r, 'verify'))}${lazy ? ' (post-copy stall: the game faulting its pages in over the link)' : ''}`)
  row('wire total', mib(r.wireBytes))
  // What the players should feel: the freeze through the restore, as CRIU and the steps measured it.
  const dumpToRestore = ['checkpoint', 'transfer', 'page-server', 'restore'].reduce((a, k) => a + (stepMs(r, k) ?? 0), 0)
  const snaps = r.steps.filter((x) => x.step === 'snapshot').length
  const pauses = r.snapshotPauseMs !== undefined ? `, ${s(r.snapshotPauseMs)} in all` : ''
  row('frozen + transfer + restore', `${s(dumpToRestore)}${snaps ? ` (+ ${snaps} snapshot pause${snaps > 1 ? 's' : ''}${pauses})` : ''}`)
  const longest = snaps > 1 && r.snapshotPauseMaxMs !== undefined ? `, the longest ${s(r.snapshotPauseMaxMs)}` : ''
  if (r.snapshotPauseMs !== undefined) row('snapshot pauses', `${s(r.snapshotPauseMs)} (the game held by ${snaps} snapshot${snaps === 1 ? '' : 's'} while it ran on${longest}: players feel each as lag)`)
  const c = r.client
  row('client gap (prober)', c ? `${c.downtimeMs === null ? 'none seen' : s(c.downtimeMs)}, ${c.probesLost} probes lost${c.stateCarried === null ? '' : c.stateCarried ? ', state carried' : ', STATE LOST'}` : 'not measured')
  if (r.error) row(r.ok ? 'warning' : 'error', r.error)
  if (r.rollback) row('rollback', r.rollback)
  row('container now on', r.containerOn ?? 'unknown')
  return out.join('\n')
}

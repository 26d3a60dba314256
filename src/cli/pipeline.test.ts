import { describe, expect, it } from 'vitest'
import type { HopResult, PreflightReport } from '../shared/contract'
import { parseMigrateArgs, parseTourArgs, runMigrateCli, runPreflightCli, runTourCli } from './pipeline'
import { formatHop, formatPreflight, formatStepLine } from './pipeline-format'

function capture() {
  const out: string[] = []
  const err: string[] = []
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err }
}

describe('argument parsing', () => {
  it('migrate needs TOUR and --to; mode and tracking are checked', () => {
    expect(parseMigrateArgs(['t.yaml', '--to', 'montreal', '--mode', 'pre-copy', '--tracking', 'rsync'])).toEqual({
      tourPath: 't.yaml', to: 'montreal', mode: 'pre-copy', tracking: 'rsync', json: false, probe: true, record: true,
    })
    expect(parseMigrateArgs(['t.yaml', '--to', 'x', '--no-record'])).toMatchObject({ record: false })
    expect(() => parseMigrateArgs(['t.yaml'])).toThrow(/missing --to HOST/)
    expect(() => parseMigrateArgs(['t.yaml', '--to', 'x', '--mode', 'teleport'])).toThrow(/unknown mode "teleport"/)
    expect(() => parseMigrateArgs(['t.yaml', '--to', 'x', '--tracking', 'git'])).toThrow(/--tracking must be criu or rsync/)
  })
  it('tour: --auto, --json, --no-probe', () => {
    expect(parseTourArgs(['t.yaml', '--auto', '--json', '--no-probe'])).toMatchObject({ tourPath: 't.yaml', auto: true, json: true, probe: false })
    expect(parseTourArgs(['t.yaml', '--no-record'])).toMatchObject({ record: false })
    expect(() => parseTourArgs([])).toThrow(/missing TOUR/)
  })
  it('usage and exit 2 on bad arguments, before touching any host', async () => {
    for (const [run, argv] of [
      [runPreflightCli, ['--bogus']],
      [runMigrateCli, ['t.yaml']],
      [runTourCli, ['a.yaml', 'b.yaml']],
    ] as const) {
      const c = capture()
      expect(await run([...argv], c.io)).toBe(2)
      expect(c.err.join('\n')).toMatch(/usage:\n {2}globehop preflight FILE \[--mode M\] \[--json\]\n {2}globehop migrate FILE --to HOST/)
      expect(c.out).toEqual([])
    }
  })
  it('a missing tour file is exit 1 with the reason on stderr', async () => {
    const c = capture()
    expect(await runMigrateCli(['/nonexistent/tour.yaml', '--to', 'x'], c.io)).toBe(1)
    expect(c.err.join('\n')).toMatch(/\/nonexistent\/tour\.yaml: file not found/)
  })
})

const hop: HopResult = {
  hopId: 'h', from: 'stuttgart', to: 'strasbourg', mode: 'pre-copy', technique: 'pre-copy (rsync delta)', ok: true, startedAt: 0, endedAt: 20000,
  steps: [
    { step: 'preflight', ms: 900 },
    { step: 'snapshot', iteration: 1, ms: 610, bytes: 92_000_000, frozen: true },
    { step: 'snapshot-transfer', iteration: 1, ms: 11200, bytes: 13_100_000 },
    { step: 'checkpoint', ms: 580, bytes: 92_000_000, frozen: true },
    { step: 'transfer', ms: 560, bytes: 31_000, frozen: true },
    { step: 'ip-move', ms: 320, frozen: true },
    { step: 'restore', ms: 270, frozen: true },
    { step: 'verify', ms: 40 },
    { step: 'cleanup', ms: 200 },
  ],
  imageBytes: 92_000_000, wireBytes: 13_131_000,
  criuDump: { frozenTimeUs: 512_000, memdumpTimeUs: 300_000, pagesWritten: 22_000 },
  criuRestore: { restoreTimeUs: 150_000 },
  client: { downtimeMs: 1450, probesLost: 28, rttBeforeMs: 51, rttAfterMs: 50, stateCarried: true },
  containerOn: 'strasbourg',
}

describe('human output', () => {
  it("prints the seed's figures plus CRIU frozen time and the client gap", () => {
    const text = formatHop(hop)
    expect(text).toContain('hop stuttgart -> strasbourg: pre-copy (rsync delta) (pre-copy) ok')
    expect(text).toMatch(/snapshot 1 transfer +11\.2 s, 12\.5 MiB on the wire/)
    expect(text).toMatch(/dump time +580 ms \(CRIU frozen 512 ms, memdump 300 ms\)/)
    expect(text).toMatch(/dump size +87\.7 MiB \(22000 pages written\)/)
    expect(text).toMatch(/dump transfer +560 ms, 30 KiB on the wire/)
    expect(text).toMatch(/restore time +270 ms \(CRIU restore 150 ms\)/)
    expect(text).toMatch(/frozen \+ transfer \+ restore +1\.41 s \(\+ 1 snapshot pause\)/)
    expect(text).toMatch(/client gap \(prober\) +1\.45 s, 28 probes lost, state carried/)
  })
  it('the sum of snapshot pauses beside the outage, and a post-copy stall named as such', () => {
    const text = formatHop({ ...hop, snapshotPauseMs: 612 })
    expect(text).toMatch(/frozen \+ transfer \+ restore +1\.41 s \(\+ 1 snapshot pause, 612 ms in all\)/)
    expect(text).toMatch(/snapshot pauses +612 ms \(the game held by 1 snapshot while it ran on/)
    const post = formatHop({ ...hop, technique: 'post-copy', mode: 'post-copy', steps: [...hop.steps.filter((x) => !x.step.startsWith('snapshot')), { step: 'page-server', ms: 90 }, { step: 'verify', ms: 24_600 }] })
    expect(post).toMatch(/verify +2\d\.\d+ s \(post-copy stall: the game faulting its pages in over the link\)/)
    expect(post).not.toMatch(/snapshot pauses/)
  })
  it('two snapshots: the longest pause beside their sum', () => {
    const two = { ...hop, steps: [...hop.steps, { step: 'snapshot' as const, iteration: 2, ms: 300 }], snapshotPauseMs: 410, snapshotPauseMaxMs: 230 }
    expect(formatHop(two)).toMatch(/snapshot pauses +410 ms \(the game held by 2 snapshots while it ran on, the longest 230 ms: /)
  })
  it('a failed hop shows the error and the rollback', () => {
    const text = formatHop({ ...hop, ok: false, error: 'restore on strasbourg failed', rollback: 'floating IP back on stuttgart', containerOn: 'stuttgart', client: undefined })
    expect(text).toMatch(/FAILED/)
    expect(text).toMatch(/error +restore on strasbourg failed/)
    expect(text).toMatch(/rollback +floating IP back on stuttgart/)
    expect(text).toMatch(/client gap \(prober\) +not measured/)
  })
  it('a refused hop says why and that nothing was frozen, without empty figures', () => {
    const text = formatHop({ ...hop, technique: 'refused', ok: false, steps: [{ step: 'preflight', ms: 5000 }], error: "pre-copy with CRIU's tracking unavailable on strasbourg", containerOn: 'strasbourg' })
    expect(text.split('\n')).toEqual([
      'hop stuttgart -> strasbourg: refused (pre-copy) FAILED',
      "  refused                  pre-copy with CRIU's tracking unavailable on strasbourg (nothing was frozen)",
      '  container now on         strasbourg',
    ])
  })
  it('step lines only for finished or failed steps', () => {
    expect(formatStepLine({ hopId: 'h', step: 'transfer', phase: 'progress', at: 0 })).toBeNull()
    expect(formatStepLine({ hopId: 'h', step: 'snapshot', iteration: 2, phase: 'end', at: 0, elapsedMs: 420, frozen: true, bytesDone: 2 * 1048576, detail: 'paused 380 ms' })).toBe(
      '       snapshot 2             420 ms frozen  2.0 MiB  paused 380 ms',
    )
    expect(formatStepLine({ hopId: 'h', step: 'restore', phase: 'fail', at: 0, elapsedMs: 100, detail: 'boom' })).toMatch(/^ {2}FAIL restore/)
  })
  it('preflight table marks the mode asked for and its reason', () => {
    const r: PreflightReport = {
      ok: false,
      hosts: [{ host: 'montreal', checks: [{ id: 'mem-dirty-track', status: 'warn', detail: 'kernel has no soft-dirty memory tracking' }] }],
      modes: [
        { mode: 'pre+post', available: false, reason: 'pre+post unavailable: no soft-dirty' },
        { mode: 'post-copy', available: true, predictedGapMs: 26_400, reason: "stuttgart -> montreal: players' gap ~26.4 s: ... + ~25.1 s stall" },
      ],
      floatingIpOwner: 'stuttgart',
      containerOn: 'stuttgart',
    }
    const t = formatPreflight(r, 'pre+post')
    expect(t).toMatch(/ {2}yes post-copy +~26\.4\d? s gap predicted; stuttgart -> montreal: players' gap ~26\.4 s: \.\.\. \+ ~25\.1 s stall$/m)
    expect(t).toContain('  WARN mem-dirty-track  kernel has no soft-dirty memory tracking')
    expect(t).toContain('  no  pre+post       pre+post unavailable: no soft-dirty   <- asked for')
    expect(t).toContain('preflight: NOT ok')
  })
})

// A synthetic 30-second recording for the replay tests (unit, server, e2e): probes every 500 ms,
// hop 1 ok (an outage while frozen), hop 2 failed and rolled back, as the CLI records it (no
// state events). Every payload time is the header's start plus the line's `t`, as in a real run.
// Test-only.
import type { AnyEvent, HopResult } from '../../../shared/contract'
import { TEST_PREFLIGHT, TEST_TOUR } from '../../recording/testing/events'
import { RecordingWriter } from '../../recording/writer'

export const STARTED_AT = Date.UTC(2025, 4, 17, 8, 30, 0)
export const DURATION_MS = 30_000
export const HOP1 = '1-stuttgart-strasbourg'
export const HOP2 = '2-strasbourg-stuttgart'
const TARGET = '198.51.100.100:26000'

/** [t, event]: t ms from the start. */
export function syntheticTimeline(): [number, AnyEvent][] {
  const at = (t: number) => STARTED_AT + t
  const out: [number, AnyEvent][] = [[100, { name: 'preflight', payload: TEST_PREFLIGHT }]]
  for (let t = 500, seq = 1; t < DURATION_MS; t += 500, seq++) {
    const lost = t >= 10_000 && t < 12_500
    out.push([t, { name: 'probe', payload: { state: lost ? 'outage' : 'answering', target: TARGET, samples: [{ seq, at: at(t) - 50, rttMs: lost ? null : 0.4 }] } }])
  }
  const step = (t: number, hopId: string, s: string, phase: string, extra: object = {}): [number, AnyEvent] => [
    t,
    { name: 'step', payload: { hopId, step: s, phase, at: at(t), ...extra } } as AnyEvent,
  ]
  const hop1: HopResult = {
    hopId: HOP1, from: 'stuttgart', to: 'strasbourg', mode: 'stop-and-copy', technique: 'stop-and-copy', ok: true,
    startedAt: at(8000), endedAt: at(13_000),
    steps: [{ step: 'checkpoint', ms: 1000, frozen: true }, { step: 'transfer', ms: 1000, bytes: 13e6, frozen: true }, { step: 'restore', ms: 500, frozen: true }],
    wireBytes: 13e6, client: { downtimeMs: 2500, probesLost: 5, rttBeforeMs: 0.4, rttAfterMs: 0.4, stateCarried: true }, containerOn: 'strasbourg',
  }
  const hop2: HopResult = {
    hopId: HOP2, from: 'strasbourg', to: 'stuttgart', mode: 'stop-and-copy', technique: 'stop-and-copy', ok: false,
    startedAt: at(20_000), endedAt: at(24_500),
    steps: [{ step: 'checkpoint', ms: 1000, frozen: true }, { step: 'transfer', ms: 1000, frozen: true }, { step: 'rollback', ms: 2000 }],
    error: 'rsync: connection closed', rollback: 'restored on strasbourg, IP back', containerOn: 'strasbourg',
  }
  const status = (t: number): [number, AnyEvent] => [t, { name: 'serverStatus', payload: { at: at(t), hostname: 'globehop', map: 'stormkeep', game: 'Xonotic', clients: 2, bots: 2, maxClients: 8, players: [] } }]
  out.push(
    status(5000),
    step(8000, HOP1, 'preflight', 'start'),
    step(8500, HOP1, 'preflight', 'end', { elapsedMs: 500 }),
    step(10_000, HOP1, 'checkpoint', 'start', { host: 'stuttgart', frozen: true }),
    [10_000, { name: 'log', payload: { host: 'stuttgart', stream: 'cmd', line: 'runc checkpoint xonotic', at: at(10_000) } }],
    [10_600, { name: 'outage', payload: { startAt: at(10_000), endAt: null, probesLost: 1, hopId: HOP1 } }],
    step(11_000, HOP1, 'checkpoint', 'end', { elapsedMs: 1000, frozen: true }),
    step(11_000, HOP1, 'transfer', 'start', { frozen: true }),
    step(12_000, HOP1, 'transfer', 'end', { elapsedMs: 1000, bytesDone: 13e6, frozen: true }),
    step(12_000, HOP1, 'restore', 'start', { host: 'strasbourg', frozen: true }),
    [12_000, { name: 'log', payload: { host: 'strasbourg', stream: 'cmd', line: 'runc restore xonotic', at: at(12_000) } }],
    step(12_500, HOP1, 'restore', 'end', { elapsedMs: 500, frozen: true }),
    [12_600, { name: 'outage', payload: { startAt: at(10_000), endAt: at(12_500), probesLost: 5, hopId: HOP1 } }],
    [13_000, { name: 'hop', payload: hop1 }],
    status(15_000),
    step(20_000, HOP2, 'checkpoint', 'start', { host: 'strasbourg', frozen: true }),
    step(21_000, HOP2, 'transfer', 'start', { frozen: true }),
    step(22_000, HOP2, 'transfer', 'fail', { elapsedMs: 1000, detail: 'rsync: connection closed' }),
    step(22_000, HOP2, 'rollback', 'start'),
    step(24_000, HOP2, 'rollback', 'end', { elapsedMs: 2000 }),
    [24_500, { name: 'hop', payload: hop2 }],
    [DURATION_MS, { name: 'probe', payload: { state: 'off', target: TARGET, samples: [] } }],
  )
  // Stable: events at the same t keep the order they were listed in.
  return out.map((x, i) => [x, i] as const).sort((a, b) => a[0][0] - b[0][0] || a[1] - b[1]).map(([x]) => x)
}

/** Writes the timeline as a recording in `dir` (the writer's own format); returns the file. */
export function writeSyntheticRecording(dir: string): string {
  let t = 0
  const w = new RecordingWriter({ tour: TEST_TOUR, globehop: '9.9.9', dir, now: () => STARTED_AT + t, clock: () => t })
  for (const [at, e] of syntheticTimeline()) {
    t = at
    w.listener(e)
  }
  w.close()
  return w.file
}

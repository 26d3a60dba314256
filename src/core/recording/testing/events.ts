// Synthetic events for the recording tests: two hops (one failed and rolled back), probes with a
// late reply, hostile log lines. Test-only.
import type { AnyEvent, HopResult, PreflightReport } from '../../../shared/contract'
import type { RecordedTour } from '../format'

export const TEST_TOUR: RecordedTour = {
  name: 'Rhine, two hops',
  file: 'tours/rhine.yaml',
  hosts: [
    { name: 'stuttgart', label: 'Stuttgart', lat: 48.78, lon: 9.18 },
    { name: 'strasbourg', label: 'Strasbourg', lat: 48.57, lon: 7.75 },
  ],
  hops: ['stuttgart', 'strasbourg', 'stuttgart'],
  floatingIp: '198.51.100.100',
  gamePort: 26000,
  mode: 'stop-and-copy',
}

export const TEST_PREFLIGHT: PreflightReport = {
  ok: true,
  hosts: ['stuttgart', 'strasbourg'].map((host) => ({
    host,
    checks: [
      { id: 'reachable', status: 'ok', detail: 'connected, kernel 6.18.3' },
      { id: 'runc', status: 'ok', detail: 'runc 1.3.6' },
      { id: 'criu', status: 'ok', detail: 'criu 4.2.1' },
    ],
  })),
  modes: [{ mode: 'stop-and-copy', available: true }],
  floatingIpOwner: 'stuttgart',
  containerOn: 'stuttgart',
}

const T0 = Date.UTC(2025, 4, 17, 8, 30, 0)

export const HOP_OK: HopResult = {
  hopId: '1-stuttgart-strasbourg',
  from: 'stuttgart',
  to: 'strasbourg',
  mode: 'stop-and-copy',
  technique: 'stop-and-copy',
  ok: true,
  startedAt: T0,
  endedAt: T0 + 2400,
  steps: [
    { step: 'checkpoint', ms: 812.5, bytes: 93_000_000, frozen: true },
    { step: 'transfer', ms: 640, bytes: 13_000_000, frozen: true },
    { step: 'ip-move', ms: 305.25 },
    { step: 'restore', ms: 410, frozen: true },
  ],
  imageBytes: 93_000_000,
  wireBytes: 13_000_000,
  criuDump: { frozenTimeUs: 798_123 },
  client: { downtimeMs: 1950.4, probesLost: 39, rttBeforeMs: 0.41, rttAfterMs: 0.1 + 0.2, stateCarried: true },
  containerOn: 'strasbourg',
}

export const HOP_FAILED: HopResult = {
  hopId: '2-strasbourg-stuttgart',
  from: 'strasbourg',
  to: 'stuttgart',
  mode: 'stop-and-copy',
  technique: 'stop-and-copy',
  ok: false,
  startedAt: T0 + 60_000,
  endedAt: T0 + 63_000,
  steps: [
    { step: 'checkpoint', ms: 790, frozen: true },
    { step: 'transfer', ms: 1200, frozen: true },
    { step: 'rollback', ms: 900 },
  ],
  error: 'rsync: connection closed, "stuttgart" unreachable\nexit 12',
  rollback: 'restored on strasbourg, IP back',
  client: { downtimeMs: null, probesLost: 0, rttBeforeMs: 0.3, rttAfterMs: null, stateCarried: null },
  containerOn: 'strasbourg',
}

export const HOSTILE_LINE = 'ok\u001b[2J\u001b]0;pwned\u0007\r\u009b31mred\u202e'

export function testEvents(): AnyEvent[] {
  return [
    { name: 'preflight', payload: TEST_PREFLIGHT },
    { name: 'log', payload: { host: 'stuttgart', stream: 'cmd', line: 'runc checkpoint xonotic', at: T0 } },
    { name: 'log', payload: { host: 'stuttgart', stream: 'stderr', line: HOSTILE_LINE, at: T0 + 1 } },
    { name: 'step', payload: { hopId: HOP_OK.hopId, step: 'checkpoint', phase: 'start', at: T0, frozen: true } },
    {
      name: 'probe',
      payload: {
        state: 'answering',
        target: '198.51.100.100:26000',
        samples: [
          { seq: 1, at: T0 + 0.5, rttMs: 0.41 },
          { seq: 2, at: T0 + 50, rttMs: null },
        ],
      },
    },
    { name: 'probe', payload: { state: 'answering', target: '198.51.100.100:26000', samples: [{ seq: 2, at: T0 + 50, rttMs: 812.25, late: true }, { seq: 3, at: T0 + 100, rttMs: null }] } },
    { name: 'hop', payload: HOP_OK },
    { name: 'log', payload: { host: 'strasbourg', stream: 'stdout', line: 'restored', at: T0 + 2 } },
    { name: 'hop', payload: HOP_FAILED },
  ]
}

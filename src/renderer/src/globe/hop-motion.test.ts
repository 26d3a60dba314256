import { describe, expect, it } from 'vitest'
import type { StepEvent } from '../../../shared/contract'
import { easeFraction, holdForward, hopEnds, hopMotion, PRE_COPY_SHARE, type HopMotion } from './hop-motion'

const tour = { hosts: ['stuttgart', 'strasbourg', 'montreal', 'singapore'].map((name) => ({ name })) }
const HOP = '1-stuttgart-strasbourg-m1x2y3'
const SRC = 'stuttgart'
const DST = 'strasbourg'

type Ev = Omit<StepEvent, 'hopId' | 'at'>
const ev = (e: Ev): StepEvent => ({ hopId: HOP, at: 0, ...e })
const step = (name: StepEvent['step'], host: string, extra: Partial<Ev> = {}): Ev[] => [
  { step: name, phase: 'start', host, ...extra },
  { step: name, phase: 'end', host, ...extra },
]
const copy = (name: 'transfer' | 'snapshot-transfer' | 'lazy-pages', total: number, extra: Partial<Ev> = {}): Ev[] => [
  { step: name, phase: 'start', host: SRC, ...extra },
  ...[0.25, 0.5, 0.75, 1].map((k): Ev => ({ step: name, phase: 'progress', host: SRC, bytesDone: k * total, bytesTotal: total, ...extra })),
  { step: name, phase: 'end', host: SRC, bytesDone: total, bytesTotal: total, ...extra },
]
const preflight = (technique: string): Ev[] => [
  { step: 'preflight', phase: 'start', host: SRC, detail: `auto from ${SRC} to ${DST}` },
  { step: 'preflight', phase: 'end', host: SRC, detail: `${technique}: asked for` },
  ...step('preflight', SRC),
]
const frozenTail: Ev[] = [
  ...step('checkpoint', SRC, { frozen: true, detail: 'freeze the container and dump it' }),
  { step: 'ip-move', phase: 'start', host: DST, frozen: true },
  ...copy('transfer', 300e6, { frozen: true }),
  { step: 'ip-move', phase: 'end', host: DST, frozen: true },
  ...step('restore', DST, { frozen: true }),
  ...step('verify', DST),
  ...step('cleanup', SRC),
]
const STOP_AND_COPY = [...preflight('stop-and-copy'), ...frozenTail]
const snapshot = (i: number, bytes: number): Ev[] => [
  { step: 'snapshot', phase: 'start', host: SRC, iteration: i, frozen: true },
  { step: 'snapshot', phase: 'end', host: SRC, iteration: i, frozen: true, bytesDone: bytes },
  ...copy('snapshot-transfer', bytes, { iteration: i }),
  { step: 'snapshot', phase: 'progress', host: SRC, iteration: i, detail: 'converged' },
]
const PRE_COPY = [...preflight('pre-copy (CRIU pre-dump)'), ...snapshot(1, 300e6), ...snapshot(2, 40e6), ...snapshot(3, 5e6), ...frozenTail]
const POST_COPY = [
  ...preflight('post-copy'),
  ...step('checkpoint', SRC, { frozen: true, detail: 'lazy dump, page server on 10.0.0.1:27' }),
  ...copy('transfer', 2e6, { frozen: true }),
  ...step('page-server', DST, { frozen: true }),
  ...step('restore', DST, { frozen: true }),
  ...step('verify', DST),
  ...copy('lazy-pages', 300e6),
  ...step('cleanup', SRC),
]

/** The motion after each event, as the globe sees it while the hop runs. */
function replay(events: Ev[]): HopMotion[] {
  const out: HopMotion[] = []
  for (let i = 1; i <= events.length; i++) {
    out.push(hopMotion({ tour, currentHost: SRC, nextHost: DST, hopRunning: true, steps: events.slice(0, i).map(ev) }))
  }
  return out
}

const phases = (ms: HopMotion[]) => ms.map((m) => m.phase).filter((p, i, a) => a[i - 1] !== p)
const monotonic = (ms: HopMotion[]) => ms.every((m, i) => i === 0 || m.fraction >= ms[i - 1]!.fraction)
const after = (events: Ev[], currentHost: string | null) =>
  hopMotion({ tour, currentHost, nextHost: currentHost === DST ? 'montreal' : DST, hopRunning: false, steps: events.map(ev) })

describe('hop motion', () => {
  it('finds the hop ends from step hosts, or from the hop id', () => {
    expect(hopEnds(STOP_AND_COPY.map(ev), tour.hosts.map((h) => h.name))).toEqual({ from: SRC, to: DST })
    expect(hopEnds([ev({ step: 'preflight', phase: 'start' })], tour.hosts.map((h) => h.name))).toEqual({ from: SRC, to: DST })
  })

  it('stop-and-copy: frozen while the image travels, the marker follows the bytes', () => {
    const ms = replay(STOP_AND_COPY)
    expect(phases(ms)).toEqual(['preparing', 'frozen', 'restoring', 'outage', 'arrived'])
    expect(monotonic(ms)).toBe(true)
    const half = ms.find((m) => m.phase === 'frozen' && m.fraction > 0.4)!
    expect(half.fraction).toBeCloseTo(0.5, 9)
    expect(half.down).toBe(true)
    expect(ms.filter((m) => m.phase === 'preparing').every((m) => m.fraction === 0 && !m.down)).toBe(true)
    expect(ms.at(-1)).toMatchObject({ from: SRC, to: DST, fraction: 1 })
    expect(after(STOP_AND_COPY, DST)).toMatchObject({ phase: 'arrived', fraction: 1, from: SRC, to: DST })
  })

  it('pre-copy: snapshots take it part of the way while the game serves, the final copy the rest', () => {
    const ms = replay(PRE_COPY)
    expect(phases(ms)).toEqual(['preparing', 'snapshot', 'frozen', 'restoring', 'outage', 'arrived'])
    expect(monotonic(ms)).toBe(true)
    const snaps = ms.filter((m) => m.phase === 'snapshot')
    expect(snaps.every((m) => !m.down && m.fraction <= PRE_COPY_SHARE)).toBe(true)
    const beforeFreeze = snaps.at(-1)!.fraction
    // The big first image moves it most; the small deltas less.
    expect(beforeFreeze).toBeGreaterThan(0.4)
    const firstDone = ms[PRE_COPY.findIndex((e) => e.step === 'snapshot-transfer' && e.phase === 'end')]!.fraction
    expect(firstDone).toBeGreaterThan((beforeFreeze * 2) / 3)
    const mid = ms.find((m) => m.phase === 'frozen' && m.fraction > beforeFreeze)!
    expect(mid.fraction).toBeCloseTo(beforeFreeze + (1 - beforeFreeze) * 0.25, 9)
  })

  it('post-copy: the restore and the lazy pages carry it the second half, serving from the destination', () => {
    const ms = replay(POST_COPY)
    expect(phases(ms)).toEqual(['preparing', 'frozen', 'restoring', 'outage', 'post-copy', 'arrived'])
    expect(monotonic(ms)).toBe(true)
    const afterTransfer = ms[POST_COPY.findIndex((e) => e.step === 'transfer' && e.phase === 'end')]!
    expect(afterTransfer.fraction).toBeCloseTo(0.2, 9)
    const restored = ms[POST_COPY.findIndex((e) => e.step === 'restore' && e.phase === 'end')]!
    expect(restored.fraction).toBeCloseTo(0.5, 9)
    const pages = ms.filter((m) => m.phase === 'post-copy')
    expect(pages.every((m) => !m.down && m.fraction >= 0.5 && m.fraction <= 1)).toBe(true)
    expect(pages.map((m) => m.fraction)).toContain(0.75)
  })

  it('a failed restore rolls back: the marker returns to the source', () => {
    const events: Ev[] = [
      ...preflight('stop-and-copy'),
      ...step('checkpoint', SRC, { frozen: true }),
      ...copy('transfer', 100e6, { frozen: true }),
      { step: 'restore', phase: 'start', host: DST, frozen: true },
      { step: 'restore', phase: 'fail', host: DST, frozen: true, detail: 'criu restore failed' },
      { step: 'rollback', phase: 'start', host: SRC, frozen: true },
      { step: 'rollback', phase: 'end', host: SRC, frozen: true },
    ]
    const ms = replay(events)
    expect(phases(ms)).toEqual(['preparing', 'frozen', 'restoring', 'failed', 'rolling-back'])
    expect(ms.find((m) => m.phase === 'failed')).toMatchObject({ fraction: 0, down: true })
    expect(ms.at(-1)).toMatchObject({ phase: 'rolling-back', fraction: 0, down: true })
    expect(after(events, SRC)).toMatchObject({ phase: 'rolled-back', fraction: 0, from: SRC, to: DST })
    // Nobody runs the game: it stays where it was last seen, down.
    expect(after(events, null)).toMatchObject({ phase: 'failed', down: true })
  })

  it('past post-copy\'s point of no return the settling rollback holds the marker', () => {
    const events: Ev[] = [...POST_COPY.slice(0, POST_COPY.findIndex((e) => e.step === 'lazy-pages') + 2), { step: 'lazy-pages', phase: 'fail', host: SRC }, { step: 'rollback', phase: 'start', host: DST }]
    const m = replay(events).at(-1)!
    expect(m.phase).toBe('rolling-back')
    expect(m.fraction).toBeGreaterThan(0.5)
  })

  it('a cancel during pre-copy sends it back; a failed cleanup does not', () => {
    const cancelled = [...preflight('pre-copy (CRIU pre-dump)'), ...snapshot(1, 100e6).slice(0, 4), { step: 'snapshot-transfer', phase: 'fail', host: SRC, detail: 'cancelled' } as Ev]
    expect(replay(cancelled).at(-1)).toMatchObject({ phase: 'failed', fraction: 0, down: false })
    const dirty = [...STOP_AND_COPY.slice(0, -1), { step: 'cleanup', phase: 'fail', host: SRC } as Ev]
    expect(replay(dirty).at(-1)).toMatchObject({ phase: 'arrived', fraction: 1 })
  })

  it('reads rsync\'s percent when the image size is not known yet', () => {
    const events: Ev[] = [...preflight('stop-and-copy'), ...step('checkpoint', SRC, { frozen: true }), { step: 'transfer', phase: 'start', host: SRC }, { step: 'transfer', phase: 'progress', host: SRC, bytesDone: 5e6, detail: '40%' }]
    expect(replay(events).at(-1)!.fraction).toBeCloseTo(0.4, 9)
  })

  it('a new hop starts at its source even while the list still holds the last hop', () => {
    const m = hopMotion({ tour, currentHost: DST, nextHost: 'montreal', hopRunning: true, steps: STOP_AND_COPY.map(ev) })
    expect(m).toMatchObject({ from: DST, to: 'montreal', fraction: 0, phase: 'preparing', hopId: null })
  })

  it('at rest with no hop the game sits on the current host', () => {
    expect(hopMotion({ tour, currentHost: SRC, nextHost: DST, hopRunning: false, steps: [] })).toMatchObject({ from: SRC, to: SRC, fraction: 0, phase: 'idle' })
    expect(hopMotion({ tour: null, currentHost: null, nextHost: null, hopRunning: false, steps: [] }).phase).toBe('idle')
  })

  it('holds forward progress when the capped event list loses its oldest events', () => {
    const m = (fraction: number, phase: HopMotion['phase'] = 'frozen'): HopMotion => ({ hopId: HOP, from: SRC, to: DST, fraction, phase, down: true })
    expect(holdForward({ hopId: HOP, fraction: 0.6 }, m(0.3))).toBe(0.6)
    expect(holdForward({ hopId: HOP, fraction: 0.6 }, m(0, 'rolling-back'))).toBe(0)
    expect(holdForward({ hopId: 'other', fraction: 0.6 }, m(0.3))).toBe(0.3)
  })

  it('easing approaches the target within ~300 ms and never overshoots it', () => {
    let shown = 0
    const seen: number[] = []
    for (let t = 0; t < 300; t += 16) seen.push((shown = easeFraction(shown, 0.5, 16)))
    expect(seen.every((x) => x <= 0.5)).toBe(true)
    expect(shown).toBeGreaterThan(0.47)
    expect(easeFraction(0.4, 0.5, 10_000)).toBe(0.5)
    expect(easeFraction(0.8, 0, 16)).toBeGreaterThan(0)
    expect(easeFraction(0.8, 0, 16)).toBeLessThan(0.8)
  })
})

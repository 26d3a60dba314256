import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { EngineStateSchema, RunHistorySchema, type AnyEvent, type RunHistory } from '../../shared/contract'
import { RunHistoryFold } from '../../shared/run-history'
import { Engine } from '../engine'
import { RecordingError } from '../recording/reader'
import { TEST_TOUR } from '../recording/testing/events'
import { ReplayEngine } from './replay-engine'
import { shiftEvent } from './shift'
import { DURATION_MS, HOP1, HOP2, STARTED_AT, syntheticTimeline, writeSyntheticRecording } from './testing/recording'

let dir: string
let file: string
const engines: ReplayEngine[] = []
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-replay-'))
  file = writeSyntheticRecording(dir)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close()
})

const SPEED = 50
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function open(opts: ConstructorParameters<typeof ReplayEngine>[1] = {}): { engine: ReplayEngine; got: { e: AnyEvent; ms: number }[] } {
  const engine = ReplayEngine.open(file, { speed: SPEED, start: 'paused', ...opts })
  engines.push(engine)
  const got: { e: AnyEvent; ms: number }[] = []
  const t0 = performance.now()
  engine.onEvent((e) => got.push({ e, ms: performance.now() - t0 }))
  return { engine, got }
}

const recorded = <T extends { e: AnyEvent }>(got: T[]) => got.filter(({ e }) => e.name !== 'state' && e.name !== 'history')

describe('ReplayEngine', () => {
  it('plays every recorded event in order, on time at 50x, with times moved to the page clock', async () => {
    const now = 1_000_000
    const { engine, got } = open({ now: () => now })
    await engine.handle('replay', { action: 'resume' })
    await sleep(DURATION_MS / SPEED + 150)
    const timeline = syntheticTimeline()
    const played = recorded(got)
    expect(played).toHaveLength(timeline.length)
    // The payloads are the recorded ones with every time moved by one amount: the start is the page's now.
    played.forEach(({ e }, i) => expect(e).toEqual(shiftEvent(timeline[i]![1], now - STARTED_AT)))
    // On time: each event t / speed after the start, give or take a busy machine's timer.
    const late = played.map(({ ms }, i) => ms - timeline[i]![0] / SPEED).sort((a, b) => a - b)
    expect(late[0]).toBeGreaterThan(-2)
    expect(late[Math.floor(late.length / 2)]).toBeLessThan(25)
    expect(late.at(-1)).toBeLessThan(250)
    // The end: paused on the last picture, at the full duration.
    expect(engine.state().replay).toMatchObject({ paused: true, positionMs: DURATION_MS, durationMs: DURATION_MS, hop: 2 })
  })

  it('getHistory mid-replay equals the fold of the events a page saw so far, state and all', async () => {
    const { engine, got } = open()
    await engine.handle('replay', { action: 'resume' })
    await sleep(14_000 / SPEED)
    await engine.handle('replay', { action: 'pause' })
    const fold = new RunHistoryFold()
    for (const { e } of got) fold.apply(e)
    const h = await engine.handle('getHistory', {})
    expect(RunHistorySchema.parse(h)).toEqual(h)
    expect(h).toEqual(fold.snapshot())
    expect(h.hops.map((x) => x.hopId)).toEqual([HOP1])
    expect(h.state?.replay).toMatchObject({ paused: true, hop: 1 })
    // A CLI recording has no state events: where the game is comes from the hop results.
    expect(h.state).toMatchObject({ currentHost: 'strasbourg', nextHopIndex: 2, busy: 'idle', hopRunning: false, frozen: false })
    expect(EngineStateSchema.parse(await engine.handle('getState', {})).replay?.positionMs).toBe(h.state!.replay!.positionMs)
  })

  it('pause stops delivery; resume goes on from there with the history moved to the new now', async () => {
    let now = 1_000_000
    const { engine, got } = open({ now: () => now })
    await engine.handle('replay', { action: 'resume' })
    await sleep(9000 / SPEED)
    await engine.handle('replay', { action: 'pause' })
    const n = got.length
    const pos = engine.position()
    await sleep(200)
    expect(got.length).toBe(n)
    expect(engine.position()).toBe(pos)
    now += 60_000
    await engine.handle('replay', { action: 'resume' })
    const moved = got.slice(n).find(({ e }) => e.name === 'history')!.e as AnyEvent & { name: 'history' }
    // The newest sample played sits just before the page's new now, by the recorded gap.
    const newest = moved.payload.probe.samples.at(-1)!
    expect(newest.at).toBeLessThanOrEqual(now)
    expect(now - newest.at).toBeLessThan(600)
    await sleep(3000 / SPEED + 50)
    expect(recorded(got.slice(n)).length).toBeGreaterThan(3)
  })

  it('seek to hop 2 sends a history with hop 1 and nothing after; a page opened then is in step', async () => {
    const { engine, got } = open()
    const state = await engine.handle('replay', { action: 'seek', hop: 2 })
    expect(state.replay).toMatchObject({ positionMs: 20_000, paused: true, hop: 1 })
    const h = got.filter(({ e }) => e.name === 'history').at(-1)!.e.payload as RunHistory
    expect(h.hops.map((x) => x.hopId)).toEqual([HOP1])
    expect(h.steps.every((s) => s.hopId === HOP1)).toBe(true)
    expect(h.log.map((l) => l.line)).toEqual(['runc checkpoint xonotic', 'runc restore xonotic'])
    expect(h.outages).toHaveLength(1)
    // Durations the screen reads from two times are the recorded ones.
    expect(h.hops[0]!.endedAt - h.hops[0]!.startedAt).toBe(5000)
    expect(await engine.handle('getHistory', {})).toEqual(h)
    // Playing on, hop 2's first step comes at once.
    await engine.handle('replay', { action: 'resume' })
    await sleep(30)
    expect(recorded(got)[0]!.e).toMatchObject({ name: 'step', payload: { hopId: HOP2, step: 'checkpoint' } })
    // Back to the start: an empty run again.
    await engine.handle('replay', { action: 'seek', toMs: 0 })
    expect((got.at(-1)!.e.payload as RunHistory).hops).toEqual([])
    await expect(engine.handle('replay', { action: 'seek', hop: 3 })).rejects.toThrow('the recording holds 2 hop(s)')
  })

  it('refuses every command that would act on a host, says what it is; cancel is harmless', async () => {
    const { engine } = open()
    const says = /^this is a replay of .*\.jsonl recorded 2025-05-17 08:30 UTC: nothing runs on any host$/
    for (const [name, args] of [['connect', {}], ['preflight', {}], ['hop', {}], ['tour', { auto: true }], ['next', {}], ['loadTour', { path: 'x.yaml' }]] as const) {
      await expect(engine.handle(name, args), name).rejects.toMatchObject({ code: 'replay', message: expect.stringMatching(says) })
    }
    expect(await engine.handle('cancel', {})).toEqual({ cancelled: false, detail: 'nothing runs: this is a replay' })
    await expect(engine.handle('replay', { action: 'seek' })).rejects.toMatchObject({ code: 'bad-args' })
    await expect(engine.handle('replay', { action: 'speed', speed: 1000 })).rejects.toMatchObject({ code: 'bad-args' })
    expect((await engine.handle('replay', { action: 'speed', speed: 2 })).replay?.speed).toBe(2)
  })

  it('derives busy and frozen from the steps of a CLI recording', async () => {
    const { engine } = open()
    await engine.handle('replay', { action: 'seek', toMs: 10_500 })
    expect(engine.state()).toMatchObject({ busy: 'hop', hopRunning: true, frozen: true, currentHost: 'stuttgart', nextHopIndex: 1 })
    await engine.handle('replay', { action: 'seek', toMs: 12_700 })
    expect(engine.state()).toMatchObject({ hopRunning: true, frozen: false })
    expect(engine.state().tour).toMatchObject({ name: 'Rhine, two hops', hops: ['stuttgart', 'strasbourg', 'stuttgart'] })
  })

  it("'first-page' starts when a page first asks for the run", async () => {
    const { engine } = open({ start: 'first-page' })
    expect(engine.state().replay?.paused).toBe(true)
    await engine.handle('getHistory', {})
    expect(engine.state().replay?.paused).toBe(false)
  })

  it("an app-made recording's own states are shown as recorded, with the replay status; unknown kinds are left out and said", async () => {
    const header = { type: 'header', format: 'globehop-recording', version: 1, globehop: '9.9.9', startedAt: STARTED_AT, tour: TEST_TOUR, preflight: null }
    const recordedState = { version: '0.1.0', host: 'electron', tour: null, tourProblems: [], currentHost: 'strasbourg', nextHopIndex: null, busy: 'tour', hopRunning: true, frozen: false, notices: [], replay: null }
    const lines = [header, { t: 10, at: STARTED_AT + 10, event: { name: 'state', payload: recordedState } }, { t: 20, at: STARTED_AT + 20, event: { name: 'hologram', payload: {} } }]
    const own = path.join(dir, 'app-made.jsonl')
    writeFileSync(own, lines.map((l) => `${JSON.stringify(l)}\n`).join(''))
    const engine = ReplayEngine.open(own, { start: 'paused' })
    engines.push(engine)
    await engine.handle('replay', { action: 'seek', toMs: 15 })
    expect(engine.state()).toMatchObject({ host: 'electron', busy: 'tour', hopRunning: true, currentHost: 'strasbourg', replay: { paused: true, positionMs: 10, durationMs: 10 } })
    expect(engine.state().notices).toEqual(['1 recorded event(s) of a kind this globehop does not know are left out'])
    expect((await engine.handle('getHistory', {})).state?.busy).toBe('tour')
  })

  it('a missing or foreign file fails naming it', () => {
    expect(() => ReplayEngine.open(path.join(dir, 'missing.jsonl'))).toThrow(/missing\.jsonl: ENOENT/)
    const bad = path.join(dir, 'bad.jsonl')
    writeFileSync(bad, 'hello\n')
    expect(() => ReplayEngine.open(bad)).toThrow(RecordingError)
  })

  it('a live engine refuses replay', async () => {
    const live = new Engine({ host: 'browser', version: 'test', probe: false })
    await expect(live.handle('replay', { action: 'pause' })).rejects.toMatchObject({ code: 'not-replay' })
    expect((await live.handle('getState', {})).replay).toBeNull()
    await live.close()
  })
})

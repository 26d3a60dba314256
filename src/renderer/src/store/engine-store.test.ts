import { describe, expect, it } from 'vitest'
import type { AnyEvent, GlobehopApi, RunHistory } from '../../../shared/contract'
import { emptyHistory, RunHistoryFold } from '../../../shared/run-history'
import { engineStore, EngineStore, selectHops, selectLog, selectOutages, selectProbe, selectServerStatus, selectState, selectSteps } from './engine-store'
import { shallowEqual } from './use-engine-store'

const T0 = 1_800_000_000_000

/** An api whose events the test sends and whose getHistory the test answers. */
function fakeApi() {
  const listeners = new Set<(e: AnyEvent) => void>()
  let answer: { resolve: (h: RunHistory) => void; reject: (e: Error) => void } | null = null
  let asked = 0
  const api = {
    onEvent(l: (e: AnyEvent) => void) {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    getHistory: () => {
      asked++
      return new Promise<RunHistory>((resolve, reject) => (answer = { resolve, reject }))
    },
  } as unknown as GlobehopApi
  return {
    api,
    send: (e: AnyEvent) => listeners.forEach((l) => l(e)),
    answer: (h: RunHistory) => answer!.resolve(h),
    fail: (message: string) => answer!.reject(new Error(message)),
    asked: () => asked,
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0))
const probe = (seq: number, rttMs: number | null): AnyEvent => ({ name: 'probe', payload: { samples: [{ seq, at: T0 + seq * 50, rttMs }], state: 'answering', target: 't:1' } })

describe('engine store', () => {
  it('is made once per api and asks for the run so far at start', () => {
    const f = fakeApi()
    const s = engineStore(f.api)
    expect(engineStore(f.api)).toBe(s)
    expect(f.asked()).toBe(1)
  })

  it('folds every event, tells subscribers, and the history it is answered replaces what it held', async () => {
    const f = fakeApi()
    const s = new EngineStore(f.api)
    let calls = 0
    s.subscribe(() => calls++)
    const seen: string[] = []
    s.onFolded((e) => seen.push(e.name))
    f.send({ name: 'log', payload: { host: 'a', stream: 'cmd', line: 'early', at: T0 } })
    f.send(probe(0, 12))
    expect(selectLog(s).lines.map((l) => l.line)).toEqual(['early'])
    expect(selectProbe(s)).toEqual({ rttMs: 12, state: 'answering', target: 't:1', samples: 1 })
    // The engine's answer already holds those two events: it replaces, it does not add.
    const engine = new RunHistoryFold()
    engine.apply({ name: 'log', payload: { host: 'a', stream: 'cmd', line: 'early', at: T0 } })
    engine.apply(probe(0, 12))
    engine.apply({ name: 'outage', payload: { startAt: T0, endAt: T0 + 500, probesLost: 3, hopId: null } })
    f.answer(engine.snapshot())
    await tick()
    expect(selectLog(s).lines).toHaveLength(1)
    expect(selectOutages(s)).toHaveLength(1)
    expect(seen).toEqual(['log', 'probe', 'history'])
    expect(calls).toBe(3)
    // An event the fold does not keep tells nobody.
    f.send({ name: 'nothing' } as unknown as AnyEvent)
    expect(calls).toBe(3)
  })

  it('a history event (new tour, reconnect) drops everything before it', () => {
    const f = fakeApi()
    const s = new EngineStore(f.api)
    f.send({ name: 'step', payload: { hopId: 'h1', step: 'checkpoint', phase: 'start', at: T0 } })
    f.send({ name: 'hop', payload: { hopId: 'h1', from: 'a', to: 'b', mode: 'stop-and-copy', technique: 'x', ok: true, startedAt: T0, endedAt: T0 + 1, steps: [], containerOn: 'b' } })
    f.send({ name: 'serverStatus', payload: { at: T0, hostname: 'h', map: 'm', game: 'g', clients: 0, bots: 0, maxClients: 4, players: [] } })
    expect(selectSteps(s)).toHaveLength(1)
    f.send({ name: 'history', payload: emptyHistory() })
    expect(selectSteps(s)).toEqual([])
    expect(selectHops(s)).toEqual([])
    expect(selectServerStatus(s)).toBeNull()
    expect(selectState(s)).toBeNull()
  })

  it('selectors return the same value while what they read is unchanged', () => {
    const f = fakeApi()
    const s = new EngineStore(f.api)
    f.send({ name: 'step', payload: { hopId: 'h1', step: 'checkpoint', phase: 'start', at: T0 } })
    const steps = selectSteps(s)
    const log = selectLog(s)
    f.send(probe(0, 10))
    f.send(probe(1, 10))
    expect(selectSteps(s)).toBe(steps)
    expect(shallowEqual(selectLog(s), log)).toBe(true)
    const p = selectProbe(s)
    f.send({ name: 'probe', payload: { samples: [], state: 'answering', target: 't:1' } })
    expect(shallowEqual(selectProbe(s), p)).toBe(true)
    f.send(probe(2, 11))
    expect(shallowEqual(selectProbe(s), p)).toBe(false)
  })

  it('says why the run so far could not be fetched, until a history arrives', async () => {
    const f = fakeApi()
    const s = new EngineStore(f.api)
    f.fail('no access token')
    await tick()
    expect(s.historyError).toBe('no access token')
    f.send({ name: 'history', payload: emptyHistory() })
    expect(s.historyError).toBeNull()
  })
})

describe('shallowEqual', () => {
  it('compares small objects field by field and everything else by identity', () => {
    const a = [1]
    expect(shallowEqual({ a, b: 1 }, { a, b: 1 })).toBe(true)
    expect(shallowEqual({ a, b: 1 }, { a: [1], b: 1 })).toBe(false)
    expect(shallowEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false)
    expect(shallowEqual([1], [1])).toBe(false)
    expect(shallowEqual(null, null)).toBe(true)
    expect(shallowEqual<unknown>(null, {})).toBe(false)
  })
})

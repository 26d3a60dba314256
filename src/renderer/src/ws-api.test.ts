// The WebSocket api's reconnect: a page that was away gets the engine's whole history as a
// `history` event (what it missed is in there), not just the state.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { AnyEvent } from '../../shared/contract'
import { emptyHistory } from '../../shared/run-history'
import { createWsApi } from './ws-api'

type Handler = (e: { data?: string }) => void

/** Stands in for the browser's WebSocket: the test opens, closes and answers it. */
class FakeSocket {
  static all: FakeSocket[] = []
  sent: { id: number; command: string }[] = []
  private handlers = new Map<string, Handler[]>()
  constructor() {
    FakeSocket.all.push(this)
  }
  addEventListener(type: string, h: Handler) {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), h])
  }
  send(text: string) {
    this.sent.push(JSON.parse(text) as { id: number; command: string })
  }
  fire(type: string, data?: unknown) {
    for (const h of this.handlers.get(type) ?? []) h(data === undefined ? {} : { data: JSON.stringify(data) })
  }
}

beforeEach(() => {
  FakeSocket.all = []
  vi.useFakeTimers()
  vi.stubGlobal('WebSocket', FakeSocket)
})
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('ws api', () => {
  it('after a reconnect, fetches getHistory and hands it to listeners as a history event', async () => {
    const api = createWsApi('ws://127.0.0.1:1/ws', 'x'.repeat(32))
    const events: AnyEvent[] = []
    api.onEvent((e) => events.push(e))
    const first = FakeSocket.all[0]!
    first.fire('open')
    await vi.advanceTimersByTimeAsync(0)
    // The first open asks nothing by itself: the store asks for the history at start.
    expect(first.sent).toEqual([])
    first.fire('close')
    await vi.advanceTimersByTimeAsync(1000)
    const second = FakeSocket.all[1]!
    second.fire('open')
    await vi.advanceTimersByTimeAsync(0)
    expect(second.sent.map((m) => m.command)).toEqual(['getHistory'])
    const history = { ...emptyHistory(), log: [{ host: 'a', stream: 'cmd' as const, line: 'missed', at: 1 }] }
    second.fire('message', { type: 'result', id: second.sent[0]!.id, ok: true, result: history })
    await vi.advanceTimersByTimeAsync(0)
    expect(events).toEqual([{ name: 'history', payload: history }])
  })

  it('a first open that failed is made good by the next one', async () => {
    createWsApi('ws://127.0.0.1:1/ws', 'x'.repeat(32))
    FakeSocket.all[0]!.fire('error')
    FakeSocket.all[0]!.fire('close')
    await vi.advanceTimersByTimeAsync(1000)
    FakeSocket.all[1]!.fire('open')
    await vi.advanceTimersByTimeAsync(0)
    expect(FakeSocket.all[1]!.sent.map((m) => m.command)).toEqual(['getHistory'])
  })
})

import { describe, expect, it } from 'vitest'
import type { AnyEvent } from '../../shared/contract'
import { emptyHistory } from '../../shared/run-history'
import { HOP_OK, testEvents } from '../recording/testing/events'
import { shiftEvent, shiftHistory } from './shift'

const BY = 1_000_000

describe('shift', () => {
  it('moves every epoch time by the same amount and leaves every figure as recorded', () => {
    const moved = testEvents().map((e) => shiftEvent(e, BY))
    const hop = moved.find((e) => e.name === 'hop')!.payload as typeof HOP_OK
    expect(hop.startedAt - HOP_OK.startedAt).toBe(BY)
    expect(hop.endedAt - HOP_OK.endedAt).toBe(BY)
    expect({ ...hop, startedAt: 0, endedAt: 0 }).toEqual({ ...HOP_OK, startedAt: 0, endedAt: 0 })
    const probe = moved.find((e) => e.name === 'probe')!.payload as Extract<AnyEvent, { name: 'probe' }>['payload']
    expect(probe.samples.map((s) => s.rttMs)).toEqual([0.41, null])
    // Undo the move: the very events that were recorded.
    expect(moved.map((e) => shiftEvent(e, -BY))).toEqual(testEvents())
    expect(shiftEvent({ name: 'outage', payload: { startAt: 5, endAt: null, probesLost: 3, hopId: null } }, BY).payload).toEqual({ startAt: BY + 5, endAt: null, probesLost: 3, hopId: null })
    const status = { at: 7, hostname: 'h', map: 'm', game: 'g', clients: 0, bots: 0, maxClients: 1, players: [] }
    expect(shiftEvent({ name: 'serverStatus', payload: status }, BY)).toEqual({ name: 'serverStatus', payload: { ...status, at: BY + 7 } })
  })

  it('moves a whole history, nested in a history event too', () => {
    const h = { ...emptyHistory(), hops: [HOP_OK], log: [{ host: 'a', stream: 'cmd' as const, line: 'x', at: 3 }], outages: [{ startAt: 1, endAt: 2, probesLost: 1, hopId: null }] }
    const moved = shiftHistory(h, BY)
    expect(moved.log[0]!.at).toBe(BY + 3)
    expect(moved.outages[0]).toMatchObject({ startAt: BY + 1, endAt: BY + 2 })
    expect(shiftEvent({ name: 'history', payload: h }, BY)).toEqual({ name: 'history', payload: moved })
    expect(shiftHistory(moved, -BY)).toEqual(h)
  })
})

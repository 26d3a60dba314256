import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AnyEvent } from '../shared/contract'
import { EventHub } from './event-hub'

const LOG: AnyEvent = { name: 'log', payload: { host: 'stuttgart', stream: 'stdout', line: 'x', at: 0 } }

afterEach(() => vi.restoreAllMocks())

describe('EventHub', () => {
  it('a listener that throws is logged under the hub name; the others still get the event', () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {})
    const hub = new EventHub('stage')
    const got: string[] = []
    hub.onEvent(() => {
      throw new Error('socket closed')
    })
    hub.onEvent((e) => got.push(e.name))
    expect(() => hub.publish(LOG)).not.toThrow()
    expect(got).toEqual(['log'])
    expect(err).toHaveBeenCalledWith('stage: a "log" event listener failed: socket closed')
  })

  it('unsubscribe and clear stop delivery', () => {
    const hub = new EventHub('engine')
    const got: number[] = []
    const off = hub.onEvent(() => got.push(1))
    hub.onEvent(() => got.push(2))
    off()
    hub.publish(LOG)
    hub.clear()
    hub.publish(LOG)
    expect(got).toEqual([2])
  })
})

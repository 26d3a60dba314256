import { describe, expect, it } from 'vitest'
import { COMMAND_NAMES, commands, events, isCommandName } from './contract'
import { parseClientMessage, serializeError } from './wire'

describe('contract', () => {
  it('validates command arguments at the boundary', () => {
    expect(commands.hop.args.safeParse({ to: 'montreal', mode: 'post-copy' }).success).toBe(true)
    expect(commands.hop.args.safeParse({ mode: 'teleport' }).success).toBe(false)
    // Unknown keys are refused, so a typo in the UI cannot silently drop an option.
    expect(commands.hop.args.safeParse({ too: 'montreal' }).success).toBe(false)
    expect(commands.loadTour.args.safeParse({ path: '' }).success).toBe(false)
    expect(commands.tour.args.safeParse({}).success).toBe(false)
  })

  it('validates events', () => {
    const step = { hopId: 'h1', step: 'checkpoint', phase: 'end', at: Date.now(), elapsedMs: 412, frozen: true }
    expect(events.step.safeParse(step).success).toBe(true)
    expect(events.step.safeParse({ ...step, step: 'teleport' }).success).toBe(false)
    expect(events.probe.safeParse({ samples: [{ seq: 1, at: 1, rttMs: null }], state: 'outage', target: '198.51.100.100:26000' }).success).toBe(true)
    expect(events.probe.safeParse({ samples: [{ seq: 1.5, at: 1, rttMs: 3 }], state: 'outage', target: 'x' }).success).toBe(false)
  })

  it('knows its command names and nothing else', () => {
    expect(COMMAND_NAMES).toEqual(expect.arrayContaining(['getState', 'loadTour', 'connect', 'preflight', 'hop', 'tour', 'next', 'cancel']))
    expect(isCommandName('hop')).toBe(true)
    expect(isCommandName('constructor')).toBe(false)
    expect(isCommandName('__proto__')).toBe(false)
  })

  it('parses WebSocket messages and keeps error codes', () => {
    expect(parseClientMessage('{"id":3,"command":"getState","args":{}}')).toEqual({ ok: true, value: { id: 3, command: 'getState', args: {} } })
    expect(parseClientMessage('nope')).toMatchObject({ ok: false, id: -1 })
    expect(parseClientMessage('{"id":4}')).toMatchObject({ ok: false, id: 4 })
    expect(serializeError(Object.assign(new Error('boom'), { code: 'busy' }))).toEqual({ code: 'busy', message: 'boom' })
    expect(serializeError('x')).toEqual({ code: 'error', message: 'x' })
  })
})

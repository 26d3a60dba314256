import { describe, expect, it } from 'vitest'
import { LabUsageError, parseLabArgs, runLabCli } from './lab'

describe('parseLabArgs', () => {
  it('parses up with its options', () => {
    expect(parseLabArgs(['up'])).toEqual({ cmd: 'up', noShaping: false, bundle: undefined, cacheDir: undefined })
    expect(parseLabArgs(['up', '--no-shaping', '--bundle', 'b', '--cache', 'c'])).toEqual({ cmd: 'up', noShaping: true, bundle: 'b', cacheDir: 'c' })
    expect(parseLabArgs(['up', '--runtime', 'crun'])).toMatchObject({ cmd: 'up', runtime: 'crun' })
    expect(parseLabArgs(['up', '--runtime', 'podman'])).toMatchObject({ cmd: 'up', runtime: 'podman' })
    expect(() => parseLabArgs(['up', '--runtime', 'docker'])).toThrow('--runtime: "docker" is not one of runc, crun, podman')
  })
  it('parses status --json and down', () => {
    expect(parseLabArgs(['status', '--json'])).toEqual({ cmd: 'status', json: true })
    expect(parseLabArgs(['down'])).toEqual({ cmd: 'down' })
  })
  it('splits exec at --', () => {
    expect(parseLabArgs(['exec', 'montreal', '--', 'criu', 'check', '--', 'x'])).toEqual({ cmd: 'exec', host: 'montreal', argv: ['criu', 'check', '--', 'x'] })
    expect(parseLabArgs(['exec', 'montreal'])).toEqual({ cmd: 'exec', host: 'montreal', argv: [] })
  })
  it('parses client with defaults and options', () => {
    expect(parseLabArgs(['client'])).toEqual({ cmd: 'client', name: 'globehop-client', seconds: null })
    expect(parseLabArgs(['client', '--name', 'x', '--seconds', '30'])).toEqual({ cmd: 'client', name: 'x', seconds: 30 })
    expect(() => parseLabArgs(['client', '--seconds', '0'])).toThrow(LabUsageError)
  })
  it('parses link changes', () => {
    expect(parseLabArgs(['link', 'singapore', '--delay', '20', '--rate', '5'])).toEqual({ cmd: 'link', host: 'singapore', delayMs: 20, rateMbit: 5, off: false })
    expect(parseLabArgs(['link', 'singapore', '--rate', 'none'])).toMatchObject({ rateMbit: null, delayMs: undefined })
    expect(parseLabArgs(['link', 'singapore', '--off'])).toMatchObject({ off: true })
  })
  it('rejects bad arguments', () => {
    for (const bad of [[], ['fly'], ['exec', 'mars', '--', 'ls'], ['link', 'singapore'], ['link', 'singapore', '--delay', 'x'], ['link', 'singapore', '--off', '--delay', '3'], ['down', 'now']]) {
      expect(() => parseLabArgs(bad), bad.join(' ')).toThrow(LabUsageError)
    }
    expect(() => parseLabArgs(['up', '--bogus'])).toThrow()
  })
  it('runLabCli prints usage and returns 2 on bad arguments', async () => {
    const err = console.error
    let printed = ''
    console.error = (s: string) => (printed += s)
    try {
      expect(await runLabCli(['up', '--bogus'])).toBe(2)
      expect(await runLabCli(['teleport'])).toBe(2)
    } finally {
      console.error = err
    }
    expect(printed).toContain('usage:')
  })
})

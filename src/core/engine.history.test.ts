// The engine keeps the run's history for pages that open (or reconnect) later; a new tour starts a
// new one; a tour file with problems leaves the working tour running.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { AnyEvent } from '../shared/contract'
import { Engine } from './engine'

const LOOPBACK = path.resolve(import.meta.dirname, '../../e2e/fixtures/loopback.yaml')
const BAD = path.resolve(import.meta.dirname, '../../e2e/fixtures/bad-tour.yaml')
const T0 = 1_800_000_000_000

const engines: Engine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close()
})

function engine(): { engine: Engine; seen: AnyEvent[] } {
  const e = new Engine({ host: 'browser', version: 'test', probe: false })
  engines.push(e)
  const seen: AnyEvent[] = []
  e.onEvent((ev) => seen.push(ev))
  return { engine: e, seen }
}

/** A second copy of the loopback tour under another name (a different tour to switch to). */
function otherTour(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gh-history-'))
  const file = path.join(dir, 'other.yaml')
  writeFileSync(
    file,
    [
      'name: Other tour',
      'hosts:',
      '  - { name: a, label: A, lat: 10, lon: 0, ssh: { host: 127.0.0.1, port: 1 } }',
      '  - { name: b, label: B, lat: 20, lon: 0, ssh: { host: 127.0.0.1, port: 1 } }',
      'container: { id: game, bundle: /var/lib/globehop/bundles/game, gamePort: 9 }',
      'floatingIp: { address: 127.0.0.1, method: manual }',
      'hops: [a, b]',
      '',
    ].join('\n'),
  )
  return file
}

function feed(e: Engine): void {
  e.emit('preflight', { ok: true, hosts: [{ host: 'stuttgart', checks: [{ id: 'criu', status: 'ok', detail: '4.1' }] }], modes: [], floatingIpOwner: 'stuttgart', containerOn: 'stuttgart' })
  e.emit('step', { hopId: 'h1', step: 'checkpoint', phase: 'start', at: T0, frozen: true })
  e.emit('step', { hopId: 'h1', step: 'checkpoint', phase: 'end', at: T0 + 400, elapsedMs: 400, frozen: true })
  e.emit('log', { host: 'stuttgart', stream: 'cmd', line: 'runc checkpoint game', at: T0 })
  e.emit('probe', { samples: [{ seq: 0, at: T0, rttMs: 12 }, { seq: 1, at: T0 + 50, rttMs: null }], state: 'answering', target: '127.0.0.1:9' })
  e.emit('probe', { samples: [{ seq: 1, at: T0 + 50, rttMs: 1400, late: true }], state: 'answering', target: '127.0.0.1:9' })
  e.emit('outage', { startAt: T0 + 50, endAt: null, probesLost: 1, hopId: 'h1' })
  e.emit('outage', { startAt: T0 + 50, endAt: T0 + 900, probesLost: 4, hopId: 'h1' })
  e.emit('hop', { hopId: 'h1', from: 'stuttgart', to: 'strasbourg', mode: 'stop-and-copy', technique: 'stop-and-copy', ok: true, startedAt: T0, endedAt: T0 + 2000, steps: [{ step: 'checkpoint', ms: 400, frozen: true }], containerOn: 'strasbourg' })
  e.emit('serverStatus', { at: T0, hostname: 'lab', map: 'dm4', game: 'xonotic', clients: 1, bots: 2, maxClients: 8, players: [] })
}

describe('engine history', () => {
  it('getHistory answers everything emitted so far', async () => {
    const { engine: e } = engine()
    await e.loadTour(LOOPBACK)
    feed(e)
    const h = await e.handle('getHistory', {})
    expect(h.state?.tour?.name).toBe('Loopback test tour')
    expect(h.preflight?.containerOn).toBe('stuttgart')
    expect(h.steps.map((s) => s.phase)).toEqual(['start', 'end'])
    expect(h.hops.map((x) => x.hopId)).toEqual(['h1'])
    expect(h.log.map((l) => l.line)).toEqual(['runc checkpoint game'])
    expect(h.probe).toEqual({ state: 'answering', target: '127.0.0.1:9', samples: [{ seq: 0, at: T0, rttMs: 12 }, { seq: 1, at: T0 + 50, rttMs: 1400, late: true }] })
    expect(h.outages).toEqual([{ startAt: T0 + 50, endAt: T0 + 900, probesLost: 4, hopId: 'h1' }])
    expect(h.serverStatus?.bots).toBe(2)
    // An invalid event is dropped before it reaches the history too.
    const quiet = console.error
    console.error = () => {}
    try {
      e.emit('hop', { hopId: 'h2' } as never)
    } finally {
      console.error = quiet
    }
    expect((await e.handle('getHistory', {})).hops).toHaveLength(1)
  })

  it('a new tour starts a new history and every page is sent it', async () => {
    const { engine: e, seen } = engine()
    await e.loadTour(LOOPBACK)
    feed(e)
    seen.length = 0
    await e.loadTour(otherTour())
    const h = await e.handle('getHistory', {})
    expect(h).toMatchObject({ preflight: null, hops: [], steps: [], log: [], outages: [], serverStatus: null, probe: { state: 'off', samples: [] } })
    expect(h.state?.tour?.name).toBe('Other tour')
    const pushed = seen.filter((x) => x.name === 'history')
    expect(pushed).toHaveLength(1)
    expect(pushed[0]!.payload).toEqual(h)
  })

  it('a tour file with problems keeps the working tour, its runtime and its history', async () => {
    const { engine: e } = engine()
    await e.loadTour(LOOPBACK)
    const runtime = e.guardTarget()
    feed(e)
    await expect(e.loadTour(BAD)).rejects.toMatchObject({ code: 'bad-tour' })
    const s = e.state()
    expect(s.tour?.name).toBe('Loopback test tour')
    expect(s.tourProblems.length).toBeGreaterThan(0)
    expect(s.tourProblems[0]!.file).toContain('bad-tour.yaml')
    expect(e.guardTarget()).toBe(runtime)
    const h = await e.handle('getHistory', {})
    expect(h.hops).toHaveLength(1)
    expect(h.state?.tourProblems.length).toBeGreaterThan(0)
    // A missing file too.
    await expect(e.loadTour(path.join(path.dirname(BAD), 'no-such-tour.yaml'))).rejects.toMatchObject({ code: 'bad-tour' })
    expect(e.state().tour?.name).toBe('Loopback test tour')
    // The next good file replaces it and clears the problems.
    await e.loadTour(otherTour())
    expect(e.state()).toMatchObject({ tour: { name: 'Other tour' }, tourProblems: [] })
    expect(e.guardTarget()).not.toBe(runtime)
  })

  it('with no tour yet, a bad file leaves no tour and says why', async () => {
    const { engine: e } = engine()
    await expect(e.loadTour(BAD)).rejects.toMatchObject({ code: 'bad-tour' })
    expect(e.state().tour).toBeNull()
    expect(e.state().tourProblems.length).toBeGreaterThan(0)
  })

  it('loads one after another: the last one asked for is the tour', async () => {
    const { engine: e } = engine()
    const other = otherTour()
    await Promise.all([e.loadTour(LOOPBACK), e.loadTour(other)])
    expect(e.state().tour?.name).toBe('Other tour')
  })

  it('a host that cannot be reached is named once in the connect error and not in its own detail', async () => {
    const { engine: e } = engine()
    await e.loadTour(otherTour())
    const err = (await e.handle('connect', {}).catch((x: unknown) => x)) as Error & { code: string }
    expect(err.code).toBe('connect-failed')
    expect(err.message).toMatch(/^- a: /m)
    expect(err.message).not.toMatch(/\b(a|b): \1: /)
    for (const h of e.state().tour!.hosts) {
      expect(h.conn).toBe('error')
      expect(h.connDetail).toBeTruthy()
      expect(h.connDetail!.startsWith(`${h.name}: `)).toBe(false)
    }
  })
})

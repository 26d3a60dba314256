// The browser host against a real engine, a real HTTP server and a real WebSocket: who gets in.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { Engine } from '../core/engine'
import type { RunHistory } from '../shared/contract'
import { RunHistoryFold } from '../shared/run-history'
import { WS_PROTOCOL, WS_TOKEN_PREFIX, type ServerMessage } from '../shared/wire'
import { hostChecker } from './gate'
import { serve, type RunningServer } from './serve'
import { RawClient } from './testing/raw-ws'
import { call } from './testing/ws-call'

const TOUR = path.resolve(import.meta.dirname, '../../e2e/fixtures/loopback.yaml')

let engine: Engine
let server: RunningServer
let base: string

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gh-renderer-'))
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>globehop</title>')
  engine = new Engine({ host: 'browser', version: 'test', probe: false })
  await engine.loadTour(TOUR)
  server = await serve({ engine, rendererDir: dir, port: 0, log: () => {} })
  base = `http://127.0.0.1:${server.port}`
})
afterAll(async () => {
  await server.close()
  await engine.close()
})

function open(token: string, origin = base): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, [WS_PROTOCOL, WS_TOKEN_PREFIX + token], { origin })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

/** GET with a chosen Host header (fetch does not let a caller set it). */
function getWithHost(host: string, pathname = '/'): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: pathname, headers: { host } }, (res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0, headers: res.headers })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('browser host', () => {
  it('binds loopback and prints a URL with a long random token in the fragment', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{32}$/)
  })

  it('serves the built renderer without a token and without a cookie, with its CSP', async () => {
    const page = await fetch(`${base}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('set-cookie')).toBeNull()
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect((await fetch(`${base}/../../etc/passwd`)).status).toBe(404)
    expect((await fetch(`${base}/%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404)
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405)
    const head = await fetch(`${base}/index.html`, { method: 'HEAD' })
    expect(head.status).toBe(200)
  })

  it('answers only at its own addresses (Host header), so DNS rebinding gets nothing', async () => {
    const port = server.port
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) expect((await getWithHost(host)).status, host).toBe(200)
    for (const host of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', `127.0.0.1.evil.example:${port}`, `[::1]:${port}:x`])
      expect((await getWithHost(host)).status, host).toBe(403)
  })

  it('Host rules for other binds: the bound name, and IP literals only when bound to a wildcard', () => {
    const lan = hostChecker('192.168.1.5', 8080)
    expect(lan('192.168.1.5:8080')).toBe(true)
    expect(lan('192.168.1.6:8080')).toBe(false)
    const any = hostChecker('0.0.0.0', 8080)
    expect(any('10.0.0.7:8080')).toBe(true)
    expect(any('[fe80::1]:8080')).toBe(true)
    expect(any('rebind.evil.example:8080')).toBe(false)
    expect(hostChecker('::1', 80)('[::1]')).toBe(true)
  })

  it('refuses the WebSocket before upgrading without the token, with a wrong one, from another origin or Host', async () => {
    const port = server.port
    const cases: Array<[string, Parameters<typeof RawClient.upgradeRequest>[1], number]> = [
      ['no token', {}, 401],
      ['wrong token', { token: 'x'.repeat(32) }, 401],
      ['token one character short', { token: server.token.slice(0, -1) }, 401],
      ['another site', { token: server.token, origin: 'http://evil.example' }, 403],
      ['same host, other port', { token: server.token, origin: `http://127.0.0.1:${port + 1}` }, 403],
      ['rebound name', { token: server.token, host: `evil.example:${port}`, origin: `http://evil.example:${port}` }, 403],
      ['other path', { token: server.token, path: '/socket' }, 404],
    ]
    for (const [name, opts, status] of cases) {
      const { client, status: got } = await RawClient.open(port, opts)
      expect(got, name).toBe(status)
      await client.until(() => client.closed)
      expect(client.frames, name).toEqual([])
    }
    // A non-browser client (no Origin) with the token gets in.
    const { client, status } = await RawClient.open(port, { token: server.token, origin: null })
    expect(status).toBe(101)
    expect(client.response).toMatch(new RegExp(`Sec-WebSocket-Protocol: ${WS_PROTOCOL.replace('.', '\\.')}\\r?$`, 'mi'))
    client.destroy()
  })

  it('carries commands, results, errors and events', async () => {
    const ws = await open(server.token)
    try {
      expect(ws.protocol).toBe(WS_PROTOCOL)
      const state = await call(ws, 1, 'getState', {})
      expect(state).toMatchObject({ type: 'result', id: 1, ok: true })
      expect((state as { result: { tour: { hosts: unknown[] } } }).result.tour.hosts).toHaveLength(4)
      expect(await call(ws, 2, 'selfDestruct', {})).toMatchObject({ ok: false, error: { code: 'unknown-command' } })
      expect(await call(ws, 3, 'hop', { mode: 'teleport' })).toMatchObject({ ok: false, error: { code: 'bad-args' } })
      const bad = path.resolve(import.meta.dirname, '../../e2e/fixtures/bad-tour.yaml')
      const event = new Promise((resolve) => ws.on('message', (d) => resolve(JSON.parse(d.toString()))))
      const res = await call(ws, 4, 'loadTour', { path: bad })
      expect(res).toMatchObject({ ok: false, error: { code: 'bad-tour' } })
      expect((res as { error: { message: string } }).error.message).toMatch(/bad-tour\.yaml:\d+:\d+: hosts\[1\]\.lat/)
      expect(await event).toMatchObject({ type: 'event', event: { name: 'state' } })
      expect(await call(ws, 5, 'loadTour', { path: TOUR })).toMatchObject({ ok: true })
    } finally {
      ws.close()
    }
  })

  it('a second page gets the same history as the page that watched the run, at once', async () => {
    await engine.loadTour(TOUR)
    const first = await open(server.token)
    const second: WebSocket[] = []
    try {
      // The first page folds what it is sent, starting from the history it asked for.
      const fold = new RunHistoryFold()
      first.on('message', (d) => {
        const msg = JSON.parse(d.toString()) as ServerMessage
        if (msg.type === 'event') fold.apply(msg.event)
      })
      const start = await call(first, 1, 'getHistory', {})
      fold.reset((start as { result: RunHistory }).result)
      const t0 = Date.now()
      engine.emit('log', { host: 'stuttgart', stream: 'cmd', line: 'runc checkpoint xonotic', at: t0 })
      engine.emit('step', { hopId: 'h1', step: 'checkpoint', phase: 'start', at: t0, frozen: true })
      engine.emit('probe', { samples: [{ seq: 0, at: t0, rttMs: 11 }, { seq: 1, at: t0 + 50, rttMs: null }], state: 'outage', target: '127.0.0.1:9' })
      engine.emit('outage', { startAt: t0 + 50, endAt: null, probesLost: 1, hopId: 'h1' })
      engine.emit('probe', { samples: [{ seq: 1, at: t0 + 50, rttMs: 1300, late: true }], state: 'answering', target: '127.0.0.1:9' })
      engine.emit('outage', { startAt: t0 + 50, endAt: t0 + 600, probesLost: 3, hopId: 'h1' })
      // A round trip on the first page: every event before it has arrived.
      await call(first, 2, 'getState', {})
      second.push(await open(server.token))
      const later = (await call(second[0]!, 1, 'getHistory', {})) as { ok: true; result: RunHistory }
      expect(later.ok).toBe(true)
      expect(later.result).toEqual(fold.snapshot())
      expect(later.result.probe.samples.map((x) => x.rttMs)).toEqual([11, 1300])
      expect(later.result.outages).toHaveLength(1)
      expect(later.result.log.map((l) => l.line)).toEqual(['runc checkpoint xonotic'])
    } finally {
      first.close()
      for (const ws of second) ws.close()
    }
  })

  it('refuses a token that is not base64url (it could not travel as a subprotocol)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gh-renderer-'))
    writeFileSync(path.join(dir, 'index.html'), '')
    await expect(serve({ engine, rendererDir: dir, token: 'short' })).rejects.toThrow(/token/)
    await expect(serve({ engine, rendererDir: dir, token: 'has spaces and; semicolons!' })).rejects.toThrow(/token/)
  })
})

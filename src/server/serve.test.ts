// The browser host against a real engine, a real HTTP server and a real WebSocket.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { Engine } from '../core/engine'
import type { ServerMessage } from '../shared/wire'
import { serve, type RunningServer } from './serve'

const TOUR = path.resolve(import.meta.dirname, '../../e2e/fixtures/loopback.yaml')

let engine: Engine
let server: RunningServer
let base: string

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gh-renderer-'))
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>globehop</title>')
  engine = new Engine({ host: 'browser', version: 'test', probe: false })
  await engine.loadTour(TOUR)
  server = await serve({ engine, rendererDir: dir, port: 0 })
  base = `http://127.0.0.1:${server.port}`
})
afterAll(async () => {
  await server.close()
  await engine.close()
})

function call(ws: WebSocket, id: number, command: string, args: unknown): Promise<ServerMessage> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString()) as ServerMessage
      if (msg.type === 'result' && msg.id === id) {
        ws.off('message', onMessage)
        resolve(msg)
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({ id, command, args }))
  })
}

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

describe('browser host', () => {
  it('binds loopback and prints a URL with a long random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/)
  })

  it('refuses pages without the token and trades the token for a cookie', async () => {
    expect((await fetch(`${base}/`)).status).toBe(403)
    expect((await fetch(`${base}/?token=wrong`)).status).toBe(403)
    const res = await fetch(`${base}/?token=${server.token}`, { redirect: 'manual' })
    expect(res.status).toBe(303)
    const cookie = res.headers.get('set-cookie')!
    expect(cookie).toMatch(/HttpOnly/)
    const page = await fetch(`${base}/`, { headers: { cookie: cookie.split(';')[0]! } })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect((await fetch(`${base}/../../etc/passwd`, { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(404)
  })

  it('refuses a WebSocket without the token or from another origin', async () => {
    await expect(open(`ws://127.0.0.1:${server.port}/ws`)).rejects.toThrow(/403/)
    await expect(open(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, { origin: 'http://evil.example' })).rejects.toThrow(/403/)
  })

  it('carries commands, results, errors and events', async () => {
    const ws = await open(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` })
    try {
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
    } finally {
      ws.close()
    }
  })
})

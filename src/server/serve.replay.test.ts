// The browser host serving a replay instead of a live engine: the same WebSocket, the same
// contract, the replay status in the state and refusals for what would act on a host.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { ReplayEngine } from '../core/replay/replay-engine'
import { STARTED_AT, writeSyntheticRecording } from '../core/replay/testing/recording'
import { EngineStateSchema } from '../shared/contract'
import { WS_PROTOCOL, WS_TOKEN_PREFIX } from '../shared/wire'
import { serve, type RunningServer } from './serve'
import { call } from './testing/ws-call'

let dir: string
let engine: ReplayEngine
let server: RunningServer

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'gh-replay-serve-'))
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>globehop</title>')
  engine = ReplayEngine.open(writeSyntheticRecording(dir), { start: 'paused' })
  server = await serve({ engine, rendererDir: dir, port: 0, log: () => {} })
})
afterAll(async () => {
  await server.close()
  await engine.close()
  rmSync(dir, { recursive: true, force: true })
})

function connect(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, [WS_PROTOCOL, WS_TOKEN_PREFIX + server.token], { origin: `http://127.0.0.1:${server.port}` })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

describe('browser host with a replay', () => {
  it('answers getState with the replay status, drives it, and refuses what would act on a host', async () => {
    const ws = await connect()
    const got = await call(ws, 1, 'getState', {})
    expect(got.ok).toBe(true)
    const state = EngineStateSchema.parse(got.ok && got.result)
    expect(state.replay).toMatchObject({ file: engine.file, recordedAt: STARTED_AT, speed: 1, paused: true, positionMs: 0, durationMs: 30_000 })
    expect(state.tour?.name).toBe('Rhine, two hops')

    const sought = await call(ws, 2, 'replay', { action: 'seek', hop: 2 })
    expect(sought.ok && EngineStateSchema.parse(sought.result).replay).toMatchObject({ positionMs: 20_000, hop: 1 })
    const hop = await call(ws, 3, 'hop', {})
    expect(hop).toMatchObject({ ok: false, error: { code: 'replay', message: expect.stringContaining('nothing runs on any host') } })
    ws.close()
  })
})

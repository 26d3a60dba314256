// With no tour given and no lab up, `globehop serve` (what `npm start` falls back to without
// Electron) replays the shipped recording of a real lab tour: a newcomer sees the real thing and
// nothing is sent anywhere. `export … | head` ends quietly.
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { resourcePath, SHIPPED_RECORDING } from '../core/tour/default'
import { WS_PATH, WS_PROTOCOL, WS_TOKEN_PREFIX, type ServerMessage } from '../shared/wire'

const BIN = path.resolve(import.meta.dirname, '../../bin/globehop.mjs')

describe('what the app shows with no tour', () => {
  it('no tour, no lab: serve replays the shipped recording, labelled as a replay', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, GLOBEHOP_LAB_RUN: mkdtempSync(path.join(tmpdir(), 'gh-nolab-')), GLOBEHOP_TOKEN: 'default-show-test' }
    delete env.GLOBEHOP_TOUR
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      const stderr: string[] = []
      createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l))
      const url = await new Promise<string>((resolve, reject) => {
        child.once('exit', (c) => reject(new Error(`serve exited ${c}: ${stderr.join('\n')}`)))
        createInterface({ input: child.stdout! }).on('line', (l) => {
          const m = /(http:\/\/\S+)/.exec(l)
          if (m) resolve(m[1]!)
        })
      })
      expect(stderr.join('\n')).toMatch(/no tour given and no lab up: replaying .*lab-tour-2026-11-30\.jsonl/)
      const ws = new WebSocket(`ws://${new URL(url).host}${WS_PATH}`, [WS_PROTOCOL, WS_TOKEN_PREFIX + 'default-show-test'])
      await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)))
      const state = await new Promise<Record<string, unknown>>((resolve) => {
        ws.on('message', (d) => {
          const m = JSON.parse(String(d)) as ServerMessage
          if (m.type === 'result' && m.ok) resolve(m.result as Record<string, unknown>)
        })
        ws.send(JSON.stringify({ id: 1, command: 'getState', args: {} }))
      })
      ws.close()
      expect((state.replay as { file: string }).file).toBe(resourcePath('recordings', SHIPPED_RECORDING))
      expect((state.tour as { hosts: unknown[] }).hosts).toHaveLength(4)
    } finally {
      child.kill('SIGTERM')
    }
  }, 60_000)

  it('export of the shipped recording into a pipe that closes early: a quiet end (141 or 0, as the race goes), no stack trace', async () => {
    const child = spawn(process.execPath, [BIN, 'export', resourcePath('recordings', SHIPPED_RECORDING), '--ping'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()))
    child.stdout!.once('data', () => child.stdout!.destroy())
    const code = await new Promise<number | null>((r) => child.once('exit', r))
    // 141 when a write met the closed pipe; 0 when the last write had already gone into its buffer.
    expect([0, 141]).toContain(code)
    expect(stderr).not.toMatch(/EPIPE|at \S+ \(/)
  }, 60_000)
})

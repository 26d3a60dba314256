// The browser host holds the engine: Ctrl-C (or SIGTERM) while a hop is frozen must not take the
// game server down with it. A real `globehop serve` on the lab, a hop started over its
// WebSocket, SIGINT once the engine says the container is frozen.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { AnyEvent, HopResult } from '../shared/contract'
import type { Tour } from '../shared/tour'
import { WS_PATH, WS_PROTOCOL } from '../shared/wire'
import { stateCarried } from '../core/probe/status'
import { SshPool } from '../core/ssh/pool'
import { loadTour } from '../core/tour/load'
import { fragSum, gameStatus, labForTests, labResetGame, scoredStatus, whereIsEverything } from '../../lab/testing'

const lab = labForTests()
const skipWhy = lab.available ? '' : ` (skipped: ${lab.reason})`
const repo = path.resolve(import.meta.dirname, '../..')
const TOKEN = 'serve-interrupt-test-token'

let tour: Tour
let pool: SshPool
let stateDir: string

describe.skipIf(!lab.available)(`the browser host interrupted mid-hop${skipWhy}`, { timeout: 600_000 }, () => {
  beforeAll(async () => {
    tour = await loadTour(lab.tourPath)
    pool = new SshPool(tour, { sshConfig: null })
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'globehop-serve-int-'))
  })
  afterAll(async () => {
    await pool?.close()
    rmSync(stateDir, { recursive: true, force: true })
  })

  it('SIGINT while frozen: the page sees the hop finish, then the host exits 130', async () => {
    await labResetGame()
    const before = await scoredStatus(tour)
    const child = spawn(process.execPath, [path.join(repo, 'bin/globehop.mjs'), 'serve', '--tour', tour.file, '--port', '0', '--connect'], {
      cwd: repo,
      env: { ...process.env, GLOBEHOP_TOKEN: TOKEN, GLOBEHOP_STATE_DIR: stateDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()))
    const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)))
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      const t = setTimeout(() => reject(new Error(`serve printed no URL; stderr: ${stderr}`)), 180_000)
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString()
        const m = /open (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)
        if (!m) return
        clearTimeout(t)
        resolve(m[1]!)
      })
    })
    const ws = new WebSocket(`${url.replace('http', 'ws')}${WS_PATH}`, [WS_PROTOCOL, `globehop.token.${TOKEN}`])
    const events: AnyEvent[] = []
    let sawFrozen: () => void = () => {}
    const frozen = new Promise<void>((r) => (sawFrozen = r))
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string; event?: AnyEvent }
      if (m.type !== 'event' || !m.event) return
      events.push(m.event)
      if (m.event.name === 'state' && m.event.payload.frozen) sawFrozen()
    })
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    // Connected (--connect) before the hop: wait until every host says so.
    const deadline = Date.now() + 60_000
    while (!events.some((e) => e.name === 'state' && e.payload.tour?.hosts.every((h) => h.conn === 'connected'))) {
      if (Date.now() > deadline) throw new Error('the hosts did not connect')
      await new Promise((r) => setTimeout(r, 200))
    }
    ws.send(JSON.stringify({ id: 1, command: 'hop', args: { to: 'strasbourg', mode: 'stop-and-copy' } }))
    await frozen
    child.kill('SIGINT')
    const code = await exit
    expect(code, stderr).toBe(130)
    expect(stderr).toMatch(/SIGINT: the container is frozen: finishing the hop \(or rolling it back\), then exiting/)
    const hop = events.find((e) => e.name === 'hop')?.payload as HopResult | undefined
    expect(hop?.ok, hop?.error).toBe(true)
    ws.close()
    expect(await whereIsEverything(pool, tour)).toEqual({ running: ['strasbourg'], ip: ['strasbourg'] })
    const now = await gameStatus(tour)
    // State carried: a restarted server would have every frag at zero.
    expect(stateCarried(before, now), `frags before ${JSON.stringify(before.players)} after ${JSON.stringify(now.players)}`).toBe(true)
    expect(fragSum(now)).toBeGreaterThan(0)
  })
})

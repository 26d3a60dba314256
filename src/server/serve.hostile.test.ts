// The browser host survives any client: malformed frames written byte by byte over node:net (the
// ws client refuses to send them), bad JSON and commands, a client that vanishes mid-command or
// never reads, a throwing engine command or event listener. Each case closes (or answers) only
// that client; afterwards a well-behaved client, connected all along, still gets events and a
// fresh one still gets getState.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import WebSocket from 'ws'
import { Engine } from '../core/engine'
import { WS_PROTOCOL, WS_TOKEN_PREFIX } from '../shared/wire'
import { serve, type RunningServer } from './serve'
import { frame, RawClient, text } from './testing/raw-ws'
import { MAX_BUFFERED_BYTES, MAX_MESSAGE_BYTES } from './ws-client'

const TOUR = path.resolve(import.meta.dirname, '../../e2e/fixtures/loopback.yaml')

let engine: Engine
let server: RunningServer
let watcher: WebSocket
/** Events the well-behaved client connected all along received. */
const watched: Array<{ type: string; event?: { name: string } }> = []
const logged: string[] = []

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gh-renderer-'))
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>globehop</title>')
  engine = new Engine({ host: 'browser', version: 'test', probe: false })
  await engine.loadTour(TOUR)
  server = await serve({ engine, rendererDir: dir, port: 0, log: (l) => logged.push(l) })
  watcher = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, [WS_PROTOCOL, WS_TOKEN_PREFIX + server.token])
  watcher.on('message', (d) => watched.push(JSON.parse(d.toString())))
  await new Promise((r) => watcher.once('open', r))
})
afterAll(async () => {
  watcher.close()
  await server.close()
  await engine.close()
})

const open = (o: Parameters<typeof RawClient.open>[1] = {}) => RawClient.open(server.port, { token: server.token, ...o })

/** The server still works: the watcher gets an event, a new client gets getState, and no client leaked. */
async function expectServerAlive(): Promise<void> {
  const before = watched.length
  engine.emit('log', { host: 'stuttgart', stream: 'cmd', line: 'still alive', at: Date.now() })
  await vi.waitFor(() => expect(watched.slice(before).some((m) => m.event?.name === 'log')).toBe(true))
  const { client, status } = await open()
  expect(status).toBe(101)
  client.write(text(JSON.stringify({ id: 1, command: 'getState', args: {} })))
  expect(await client.reply(1)).toMatchObject({ ok: true, result: { tour: { name: 'Loopback test tour' } } })
  client.destroy()
  // Only the watcher remains once the closed clients are gone.
  await vi.waitFor(() => expect(server.clients).toBe(1), { timeout: 5000 })
}

describe('browser host: malformed frames close only that client', () => {
  const big = Buffer.alloc(2 * 1024 * 1024, 0x61)
  const cases: Array<[string, Buffer, number, RegExp]> = [
    ['a 2 MiB message', frame(0x1, big), 1009, /max payload/i],
    ['a message over the cap in fragments', Buffer.concat([frame(0x1, Buffer.alloc(200_000, 0x20), { fin: false }), frame(0x0, Buffer.alloc(200_000, 0x20))]), 1009, /max payload/i],
    ['invalid UTF-8 in a text frame', frame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 1007, /UTF-8/],
    ['an unknown opcode', frame(0x3, '{}'), 1002, /opcode/],
    ['an unmasked client frame', frame(0x1, '{"id":1,"command":"getState","args":{}}', { mask: false }), 1002, /MASK/],
    ['reserved bits set without an extension', frame(0x1, '{}', { rsv: 0x40 }), 1002, /RSV1/],
    ['a control frame over 125 bytes', frame(0x9, Buffer.alloc(200)), 1002, /payload length/i],
    ['a continuation frame with nothing to continue', frame(0x0, 'x'), 1002, /opcode 0/i],
  ]
  for (const [name, bytes, code, why] of cases) {
    it(`${name}: closed with ${code}`, async () => {
      expect(MAX_MESSAGE_BYTES).toBeLessThan(400_000)
      const { client, status } = await open()
      expect(status).toBe(101)
      client.write(bytes)
      expect(await client.closeCode()).toBe(code)
      expect(logged.at(-1)).toMatch(why)
      await expectServerAlive()
    })
  }

  it('a binary frame: closed with 1003 (the protocol is JSON text)', async () => {
    const { client } = await open()
    client.write(frame(0x2, Buffer.from([1, 2, 3])))
    expect(await client.closeCode()).toBe(1003)
    await expectServerAlive()
  })

  it('a bad frame sent before the handshake completed (in the same write as the upgrade request)', async () => {
    const { client, status } = await open({ extra: frame(0x1, 'x', { mask: false }) })
    expect(status).toBe(101)
    expect(await client.closeCode()).toBe(1002)
    await expectServerAlive()
  })

  it('frame bytes where an HTTP request should be: 400, connection closed', async () => {
    const client = await RawClient.connect(server.port)
    client.write(frame(0x1, '{"id":1,"command":"getState","args":{}}'))
    expect(await client.status()).toBe(400)
    await client.until(() => client.closed)
    await expectServerAlive()
  })

  it('an HTTP request without a Host header: 400 or 403, never served', async () => {
    const client = await RawClient.connect(server.port)
    client.write('GET / HTTP/1.0\r\n\r\n')
    expect([400, 403]).toContain(await client.status())
    await expectServerAlive()
  })

  it('an upgrade whose connection is reset mid-request', async () => {
    const client = await RawClient.connect(server.port)
    client.write(RawClient.upgradeRequest(server.port, { token: server.token }).subarray(0, 60))
    client.socket.resetAndDestroy()
    await expectServerAlive()
  })
})

describe('browser host: bad messages get an error reply and the connection stays', () => {
  it('JSON that is not an object, not JSON at all, unknown commands, args of the wrong type', async () => {
    const { client } = await open()
    const send = (m: unknown) => client.write(text(typeof m === 'string' ? m : JSON.stringify(m)))
    for (const junk of ['[]', '42', 'null', '"getState"', 'not json', '{"id":', '']) send(junk)
    await client.until(() => client.messages().filter((m) => m.id === -1).length === 7)
    for (const m of client.messages()) expect(m).toMatchObject({ type: 'result', id: -1, ok: false, error: { code: 'bad-message' } })

    send({ id: 2, command: 'getState' })
    send({ id: 3.5, command: 'getState', args: {} })
    send({ id: 4, command: 'selfDestruct', args: {} })
    send({ id: 5, command: '__proto__', args: {} })
    send({ id: 6, command: 'loadTour', args: { path: 42 } })
    send({ id: 7, command: 'loadTour', args: 'e2e/fixtures/loopback.yaml' })
    send({ id: 8, command: 'hop', args: { mode: 'teleport', to: ['x'] } })
    expect(await client.reply(2)).toMatchObject({ ok: false, error: { code: 'bad-message', message: expect.stringContaining('args') } })
    await client.until(() => client.messages().some((m) => m.id === -1 && String((m.error as { message: string }).message).includes('id')))
    expect(await client.reply(4)).toMatchObject({ ok: false, error: { code: 'unknown-command' } })
    expect(await client.reply(5)).toMatchObject({ ok: false, error: { code: 'unknown-command' } })
    for (const id of [6, 7, 8]) expect(await client.reply(id)).toMatchObject({ ok: false, error: { code: 'bad-args' } })
    // Still the same connection, still answering.
    send({ id: 9, command: 'getState', args: {} })
    expect(await client.reply(9)).toMatchObject({ ok: true })
    expect(client.closed).toBe(false)
    client.destroy()
    await expectServerAlive()
  })
})

describe('browser host: clients that go away or stop reading, engines that throw', () => {
  it('a client that disconnects mid-command: the command completes, nothing is sent to the dead socket', async () => {
    const { client } = await open()
    const before = watched.length
    client.write(Buffer.concat([text(JSON.stringify({ id: 1, command: 'loadTour', args: { path: TOUR } })), text(JSON.stringify({ id: 2, command: 'getState', args: {} }))]))
    client.socket.resetAndDestroy()
    // The tour load went on without it: the watcher sees its state event.
    await vi.waitFor(() => expect(watched.slice(before).some((m) => m.event?.name === 'state')).toBe(true))
    await expectServerAlive()
  })

  it('an engine command that throws: an error reply to that command only', async () => {
    const handle = vi.spyOn(engine, 'handle')
    handle.mockImplementationOnce(() => {
      throw new TypeError('engine bug')
    })
    handle.mockRejectedValueOnce(new RangeError('async engine bug'))
    try {
      const { client } = await open()
      client.write(text(JSON.stringify({ id: 1, command: 'getState', args: {} })))
      client.write(text(JSON.stringify({ id: 2, command: 'getState', args: {} })))
      expect(await client.reply(1)).toMatchObject({ ok: false, error: { code: 'TypeError', message: 'engine bug' } })
      expect(await client.reply(2)).toMatchObject({ ok: false, error: { code: 'RangeError' } })
      client.write(text(JSON.stringify({ id: 3, command: 'getState', args: {} })))
      expect(await client.reply(3)).toMatchObject({ ok: true })
      client.destroy()
    } finally {
      handle.mockRestore()
    }
    await expectServerAlive()
  })

  it('an event listener that throws: the other clients still get the event, the command still succeeds', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    const off = engine.onEvent(() => {
      throw new Error('listener bug')
    })
    try {
      const { client } = await open()
      const before = watched.length
      client.write(text(JSON.stringify({ id: 1, command: 'loadTour', args: { path: TOUR } })))
      expect(await client.reply(1)).toMatchObject({ ok: true })
      expect(client.messages().some((m) => (m.event as { name?: string } | undefined)?.name === 'state')).toBe(true)
      await vi.waitFor(() => expect(watched.slice(before).some((m) => m.event?.name === 'state')).toBe(true))
      expect(errors.mock.calls.flat().join('\n')).toMatch(/listener failed: listener bug/)
      client.destroy()
    } finally {
      off()
      errors.mockRestore()
    }
    await expectServerAlive()
  })

  it('a client that never reads is dropped once its backlog passes the cap; the reader keeps up', async () => {
    const { client } = await open()
    client.socket.pause()
    await vi.waitFor(() => expect(server.clients).toBe(2))
    const line = 'x'.repeat(32 * 1024)
    const before = watched.length
    let sent = 0
    // Paced like a busy hop's log: bursts of 1 MiB, with time for the reader to drain between them.
    while (server.clients === 2 && sent < 200 * 1024 * 1024) {
      for (let i = 0; i < 32; i++) engine.emit('log', { host: 'stuttgart', stream: 'stdout', line, at: Date.now() })
      sent += 32 * line.length
      await new Promise((r) => setTimeout(r, 5))
    }
    expect(server.clients).toBe(1)
    expect(logged.at(-1)).toMatch(/stopped reading/)
    // Dropped near the cap plus what the kernel buffers hold, not after everything was queued.
    expect(sent).toBeLessThan(MAX_BUFFERED_BYTES + 64 * 1024 * 1024)
    await vi.waitFor(() => expect(watched.length - before).toBe(sent / line.length), { timeout: 10_000 })
    client.destroy()
    await expectServerAlive()
  })
})

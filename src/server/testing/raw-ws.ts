// A WebSocket client made of node:net and hand-built frames, for the tests that send what the ws
// client refuses to: bad opcodes, unmasked or oversized frames, invalid UTF-8, bytes before the
// handshake. Test-only.
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../shared/wire'

export interface FrameOptions {
  mask?: boolean
  fin?: boolean
  /** RSV1..3 bits, e.g. 0x40 for RSV1. */
  rsv?: number
}

/** One client frame: opcode, payload, masked unless told otherwise. */
export function frame(opcode: number, payload: Buffer | string, o: FrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload
  const mask = o.mask ?? true
  const len = data.length
  const head = Buffer.alloc(2 + (len < 126 ? 0 : len < 65536 ? 2 : 8))
  head[0] = ((o.fin ?? true) ? 0x80 : 0) | (o.rsv ?? 0) | opcode
  head[1] = (mask ? 0x80 : 0) | (len < 126 ? len : len < 65536 ? 126 : 127)
  if (len >= 126 && len < 65536) head.writeUInt16BE(len, 2)
  else if (len >= 65536) head.writeBigUInt64BE(BigInt(len), 2)
  if (!mask) return Buffer.concat([head, data])
  const key = randomBytes(4)
  const masked = Buffer.from(data)
  for (let i = 0; i < masked.length; i++) masked[i]! ^= key[i % 4]!
  return Buffer.concat([head, key, masked])
}

export const text = (s: string) => frame(0x1, s)

export interface ServerFrame {
  opcode: number
  payload: Buffer
}

/** A raw TCP connection that collects the server's HTTP response and frames. */
export class RawClient {
  readonly socket: net.Socket
  private buf = Buffer.alloc(0)
  /** The HTTP response head, once received. */
  response: string | null = null
  readonly frames: ServerFrame[] = []
  closed = false
  private waiters: Array<() => void> = []

  private constructor(socket: net.Socket) {
    this.socket = socket
    socket.on('data', (d) => this.onData(d))
    // The server resetting a client it closed is an expected outcome here, not a test error.
    socket.on('error', () => {})
    socket.on('close', () => {
      this.closed = true
      this.wake()
    })
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)))
      s.once('error', reject)
    })
  }

  /** The upgrade request a browser on the served page would send; `extra` rides in the same write. */
  static upgradeRequest(port: number, o: { token?: string; host?: string; origin?: string | null; path?: string } = {}): Buffer {
    const host = o.host ?? `127.0.0.1:${port}`
    const lines = [
      `GET ${o.path ?? '/ws'} HTTP/1.1`,
      `Host: ${host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Protocol: ${WS_PROTOCOL}${o.token === undefined ? '' : `, ${WS_TOKEN_PREFIX}${o.token}`}`,
    ]
    if (o.origin !== null) lines.push(`Origin: ${o.origin ?? `http://${host}`}`)
    return Buffer.from(lines.join('\r\n') + '\r\n\r\n')
  }

  /** Connects and upgrades; resolves with the status code of the response. */
  static async open(port: number, o: Parameters<typeof RawClient.upgradeRequest>[1] & { extra?: Buffer } = {}): Promise<{ client: RawClient; status: number }> {
    const client = await RawClient.connect(port)
    client.write(Buffer.concat([RawClient.upgradeRequest(port, o), o.extra ?? Buffer.alloc(0)]))
    return { client, status: await client.status() }
  }

  write(b: Buffer | string): void {
    if (!this.socket.destroyed) this.socket.write(b)
  }

  async status(): Promise<number> {
    await this.until(() => this.response !== null || this.closed)
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(this.response ?? '')?.[1] ?? 0)
  }

  /** The code of the server's close frame, or null if the connection ended without one. */
  async closeCode(): Promise<number | null> {
    await this.until(() => this.closed || this.frames.some((f) => f.opcode === 0x8))
    const close = this.frames.find((f) => f.opcode === 0x8)
    return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : null
  }

  /** The JSON text messages received so far. */
  messages(): Array<Record<string, unknown>> {
    return this.frames.filter((f) => f.opcode === 0x1).map((f) => JSON.parse(f.payload.toString()) as Record<string, unknown>)
  }

  /** Waits for the reply to command `id`. */
  async reply(id: number): Promise<Record<string, unknown>> {
    await this.until(() => this.closed || this.messages().some((m) => m.type === 'result' && m.id === id))
    const m = this.messages().find((x) => x.type === 'result' && x.id === id)
    if (!m) throw new Error(`connection closed before the reply to ${id}`)
    return m
  }

  destroy(): void {
    this.socket.destroy()
  }

  until(done: () => boolean, timeoutMs = 5000): Promise<void> {
    if (done()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('raw client: timed out waiting')), timeoutMs)
      const check = () => {
        if (!done()) return this.waiters.push(check)
        clearTimeout(timer)
        resolve()
      }
      this.waiters.push(check)
    })
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w()
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d])
    if (this.response === null) {
      const end = this.buf.indexOf('\r\n\r\n')
      if (end < 0) return
      this.response = this.buf.subarray(0, end).toString('latin1')
      this.buf = this.buf.subarray(end + 4)
    }
    // Server frames are never masked.
    for (;;) {
      if (this.buf.length < 2) break
      let len = this.buf[1]! & 0x7f
      let at = 2
      if (len === 126) {
        if (this.buf.length < 4) break
        len = this.buf.readUInt16BE(2)
        at = 4
      } else if (len === 127) {
        if (this.buf.length < 10) break
        len = Number(this.buf.readBigUInt64BE(2))
        at = 10
      }
      if (this.buf.length < at + len) break
      this.frames.push({ opcode: this.buf[0]! & 0x0f, payload: this.buf.subarray(at, at + len) })
      this.buf = this.buf.subarray(at + len)
    }
    this.wake()
  }
}

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { GameTestClient } from './test-client'
import {
  buildAck,
  buildConnect,
  buildGetChallenge,
  buildReliable,
  buildUnreliable,
  challengeOf,
  cleanName,
  clcNop,
  clcStringCmd,
  NETFLAG_ACK,
  NETFLAG_DATA,
  NETFLAG_EOM,
  NETFLAG_UNRELIABLE,
  parseServerPacket,
  signonStage,
} from './test-client-wire'

const hex = (b: Buffer) => b.toString('hex')

describe('test client wire format', () => {
  it('builds the connectionless handshake', () => {
    expect(hex(buildGetChallenge())).toBe('ffffffff' + Buffer.from('getchallenge').toString('hex'))
    const c = buildConnect('abc', 'probe "1"').subarray(4).toString('latin1')
    expect(c).toMatch(/^connect\\protocol\\darkplaces 3\\protocols\\DP7 [^\\]+\\challenge\\abc\\name\\probe 1$/)
  })

  it('frames netchan packets as DarkPlaces does (BE length|flags, BE sequence)', () => {
    expect(hex(buildReliable(5, clcNop()))).toBe(((9 | NETFLAG_DATA | NETFLAG_EOM) >>> 0).toString(16).padStart(8, '0') + '00000005' + '01')
    expect(hex(buildUnreliable(1, Buffer.from([2])))).toBe('00100009' + '00000001' + '02')
    expect(hex(buildAck(7))).toBe('00020008' + '00000007')
    expect(hex(clcStringCmd('name "x"'))).toBe('04' + Buffer.from('name "x"').toString('hex') + '00')
  })

  it('parses server packets and rejects malformed ones', () => {
    expect(parseServerPacket(Buffer.from('\xff\xff\xff\xffaccept\0', 'latin1'))).toEqual({ kind: 'oob', text: 'accept' })
    const ch = parseServerPacket(Buffer.from('\xff\xff\xff\xffchallenge x7#q\0d0pk\\junk', 'latin1'))
    expect(ch?.kind === 'oob' && challengeOf(ch.text)).toBe('x7#q')
    expect(parseServerPacket(buildAck(3))).toMatchObject({ kind: 'ack', seq: 3 })
    expect(parseServerPacket(buildReliable(0, Buffer.from([8, 65, 0])))).toMatchObject({ kind: 'data', seq: 0, eom: true })
    const u = parseServerPacket(buildUnreliable(9, Buffer.from([1])))
    expect(u).toMatchObject({ kind: 'unreliable', seq: 9 })
    expect(u?.kind !== 'oob' && [...u!.payload]).toEqual([1])
    const bad = buildAck(1)
    bad.writeUInt32BE(9 | NETFLAG_ACK, 0) // length field disagrees with the datagram
    expect(parseServerPacket(bad)).toBeNull()
    expect(parseServerPacket(Buffer.from([0x80, 0, 0, 5, 1]))).toBeNull() // NETFLAG_CTL
    expect(parseServerPacket(Buffer.from([1, 2]))).toBeNull()
    expect(NETFLAG_UNRELIABLE).toBe(0x00100000)
  })

  it('cleans names for infostrings and stringcmds', () => {
    expect(cleanName(' a\\b"c;d ')).toBe('abcd')
    expect(() => cleanName('\\"')).toThrow(/empty/)
  })
})

/** A loopback stand-in for the server side of the handshake and netchan. */
function fakeServer(opts: { reject?: string } = {}) {
  const sock: Socket = createSocket('udp4')
  const got: { oob: string[]; reliable: Buffer[]; unreliable: Buffer[] } = { oob: [], reliable: [], unreliable: [] }
  let peer: RemoteInfo | null = null
  let nextSeq = 0
  let sent = 0
  sock.on('message', (msg, r) => {
    const reply = (b: Buffer) => sock.send(b, r.port, r.address)
    if (msg.readUInt32BE(0) === 0xffffffff) {
      const text = msg.subarray(4).toString('latin1')
      got.oob.push(text)
      if (text === 'getchallenge') reply(Buffer.from('\xff\xff\xff\xffchallenge K3y\0', 'latin1'))
      else if (text.startsWith('connect\\')) {
        if (opts.reject) return reply(Buffer.from(`\xff\xff\xff\xffreject ${opts.reject}\0`, 'latin1'))
        peer = r
        reply(Buffer.from('\xff\xff\xff\xffaccept\0', 'latin1'))
        reply(buildReliable(sent++, Buffer.from([8, 0, 25, 1]))) // serverinfo stand-in, ends with signon 1
      }
      return
    }
    const head = msg.readUInt32BE(0)
    const seq = msg.readUInt32BE(4)
    if (head & NETFLAG_DATA) {
      reply(buildAck(seq))
      if (seq === nextSeq) {
        nextSeq++
        got.reliable.push(msg.subarray(8))
        const cmd = msg.subarray(9, msg.length - 1).toString('latin1')
        if (cmd === 'prespawn') reply(buildReliable(sent++, Buffer.from([25, 2])))
        if (cmd === 'spawn') reply(buildReliable(sent++, Buffer.from([25, 3])))
      }
    } else if (head & NETFLAG_UNRELIABLE) got.unreliable.push(msg.subarray(8))
    else if (head & NETFLAG_ACK) got.oob.push(`ack ${seq}`)
  })
  const ready = new Promise<number>((res) => sock.bind(0, '127.0.0.1', () => res(sock.address().port)))
  return { ready, got, kick: () => peer && sock.send(buildUnreliable(0, Buffer.from([2])), peer.port, peer.address), close: () => sock.close() }
}

const until = async (what: string, f: () => boolean, ms = 3000) => {
  const end = Date.now() + ms
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('GameTestClient against a loopback stand-in', () => {
  const cleanup: Array<() => unknown> = []
  afterEach(async () => {
    for (const f of cleanup.splice(0)) await f()
  })

  it('handshakes, names itself, keeps alive with ACKed reliable nops, ACKs server data, disconnects', async () => {
    const srv = fakeServer()
    cleanup.push(srv.close)
    const port = await srv.ready
    const c = new GameTestClient({ keepaliveMs: 50, spawn: false })
    cleanup.push(() => c.close())
    await c.connect('127.0.0.1', port, 'probe')
    expect(c.connected).toBe(true)
    expect(srv.got.oob[0]).toBe('getchallenge')
    expect(srv.got.oob[1]).toContain('\\challenge\\K3y\\')
    await until('keepalives', () => srv.got.reliable.length >= 4)
    expect(srv.got.reliable[0]!.toString('latin1')).toBe('\x04name "probe"\0')
    expect([...srv.got.reliable[1]!]).toEqual([1])
    expect(srv.got.oob).toContain('ack 0') // the client ACKed our reliable data
    expect(c.lastServerPacketAt).not.toBeNull()
    expect(c.longestGapMs(0)).toBeGreaterThan(0)
    await c.close()
    expect(c.connected).toBe(false)
    await until('clc_disconnect', () => srv.got.unreliable.length === 3)
    expect(srv.got.unreliable.map((b) => [...b])).toEqual([[2], [2], [2]])
  })

  it('goes through the signon like the real client: name + prespawn, spawn, begin', async () => {
    const srv = fakeServer()
    cleanup.push(srv.close)
    const c = new GameTestClient({ keepaliveMs: 1000 })
    cleanup.push(() => c.close())
    await c.connect('127.0.0.1', await srv.ready, 'probe')
    expect(c.begun).toBe(true)
    expect(c.signon).toBe(3)
    const cmds = srv.got.reliable.map((b) => b.toString('latin1')).filter((t) => t[0] === '\x04')
    expect(cmds).toEqual(['\x04name "probe"\0', '\x04prespawn\0', '\x04spawn\0', '\x04begin\0'])
    expect(signonStage(Buffer.from([1, 25, 2]))).toBe(2)
    expect(signonStage(Buffer.from([25, 9]))).toBeNull()
  })

  it('reports a reject with the server text', async () => {
    const srv = fakeServer({ reject: 'Server is full.' })
    cleanup.push(srv.close)
    const c = new GameTestClient()
    await expect(c.connect('127.0.0.1', await srv.ready, 'p')).rejects.toThrow(/refused the connect: reject Server is full\./)
    expect(c.connected).toBe(false)
  })

  it('times out clearly without a server', async () => {
    const srv = fakeServer()
    const port = await srv.ready
    srv.close() // nothing listens there now
    const c = new GameTestClient({ connectTimeoutMs: 300 })
    await expect(c.connect('127.0.0.1', port, 'p')).rejects.toThrow(/no accept from 127\.0\.0\.1:\d+ within 300 ms \(no challenge/)
  })

  it('notices being kicked (svc_disconnect)', async () => {
    const srv = fakeServer()
    cleanup.push(srv.close)
    const c = new GameTestClient({ keepaliveMs: 50, spawn: false })
    cleanup.push(() => c.close())
    await c.connect('127.0.0.1', await srv.ready, 'p')
    srv.kick()
    await until('disconnect', () => !c.connected)
    expect(c.disconnectReason).toMatch(/svc_disconnect/)
  })
})

// A scripted DarkPlaces game client that takes a player slot and holds it (plain dgram).
// What keeps the slot, from DarkPlaces' source (DarkPlacesEngine/DarkPlaces):
// - netconn.c NetConn_ServerParsePacket passes every in-game packet to NetConn_ReceivedMessage with
//   a timeout of `host_client->begun ? net_messagetimeout : net_connecttimeout` (300 s / 10 s by
//   default); NetConn_ReceivedMessage moves conn->timeout to now + that on each new unreliable or
//   in-sequence reliable packet; NetConn_ServerFrame (sv_main.c in newer versions) drops a client
//   whose timeout passed ("Client ... connection timed out"). A client that has not begun gets only
//   net_connecttimeout (10 s): shorter than a stop-and-copy hop over a 10 Mbit/s lab link (~12 s,
//   lab.md), during which the frozen server's clock runs on. So by default we go through the
//   signon as DarkPlaces' client does (cl_parse.c CL_SignonReply: signon 1 -> name + "prespawn",
//   2 -> "spawn", 3 -> "begin"; host_cmd.c Host_PreSpawn_f/Host_Spawn_f/Host_Begin_f) and become a
//   begun player with the 300 s timeout. The server then sends us a datagram every frame.
// - Minimal valid traffic: an unreliable clc_nop would do, but gets no answer. We send a reliable
//   clc_nop each `keepaliveMs` instead (one outstanding, resent until ACKed): the server ACKs every
//   reliable packet at once (NetConn_ReceivedMessage, NETFLAG_DATA branch), which gives us a server
//   packet per keepalive to measure liveness with. Before we spawn it also sends svc_nop every 5 s
//   (sv_send.c SV_SendClientDatagram, client->keepalivetime). We ACK its reliable data and read only
//   the svc_signonnum at the end of each message; we send no clc_move (the player stands still).
// - The name: DarkPlaces' client sends `name "<name>"` as a clc_stringcmd after signon 1
//   (cl_parse.c CL_SignonReply -> CL_SendPlayerInfo); the server's connect parser ignores userinfo
//   names. getstatus then lists us with ping >= 1 (netconn.c NetConn_BuildStatusResponse: ping is
//   bound(1, .., 9999) for clients with a netconnection, 0 for bots).
// - close(): clc_disconnect sent unreliably three times, as cl_main.c CL_Disconnect does.
import { createSocket, type Socket } from 'node:dgram'
import { performance } from 'node:perf_hooks'
import {
  buildAck,
  buildConnect,
  buildGetChallenge,
  buildReliable,
  buildUnreliable,
  challengeOf,
  cleanName,
  clcDisconnect,
  clcNop,
  clcStringCmd,
  parseServerPacket,
  signonStage,
  SVC_DISCONNECT,
} from './test-client-wire'

export interface TestClientOptions {
  /** Reliable clc_nop period (default 1000 ms; must stay well under net_connecttimeout, 10 s). */
  keepaliveMs?: number
  /** Give up the handshake (and the signon) after this long (default 10 s). */
  connectTimeoutMs?: number
  /** Go through prespawn/spawn/begin (default true); false stays a connected, unspawned client. */
  spawn?: boolean
}

export class GameTestClient {
  connected = false
  /** Date.now() of the last packet from the server, null before the first. */
  lastServerPacketAt: number | null = null
  serverPackets = 0
  /** Why the connection ended (server kick, close()). */
  disconnectReason: string | null = null
  name = ''
  /** Last signon stage the server announced (3 = spawned); true once our "begin" was ACKed. */
  signon = 0
  begun = false
  private sock: Socket | null = null
  private address = ''
  private port = 0
  private timer: NodeJS.Timeout | null = null
  private sendSeq = 0
  private unreliableSeq = 0
  private recvSeq = 0
  private recvBuf: Buffer[] = []
  private beginSeq = -1
  private onBegun: (() => void) | null = null
  private outstanding: Buffer | null = null
  private queue: Buffer[] = []
  private arrivals: number[] = [] // performance.now() of every server packet since accept
  private readonly keepaliveMs: number
  private readonly connectTimeoutMs: number
  private readonly spawn: boolean

  constructor(opts: TestClientOptions = {}) {
    this.keepaliveMs = opts.keepaliveMs ?? 1000
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000
    this.spawn = opts.spawn ?? true
  }

  /** getchallenge -> connect -> accept (-> signon), then holds the slot until close(). Throws on reject/timeout. */
  async connect(address: string, port: number, name: string): Promise<void> {
    if (this.sock) throw new Error('GameTestClient.connect: already used; make a new client')
    this.name = cleanName(name)
    this.address = address
    this.port = port
    const sock = createSocket('udp4')
    this.sock = sock
    await new Promise<void>((res, rej) => {
      sock.once('error', rej)
      sock.bind(0, () => {
        sock.off('error', rej)
        res()
      })
    })
    try {
      await this.handshake(sock)
    } catch (err) {
      this.shutdown()
      throw err
    }
    this.connected = true
    sock.on('message', (msg, rinfo) => {
      if (rinfo.address === this.address && rinfo.port === this.port) this.onPacket(msg)
    })
    sock.on('error', () => {}) // ICMP unreachable while the server moves: keep trying
    // Unspawned, the name goes at once; spawning, it goes at signon 1 as with the real client.
    if (!this.spawn) this.queue.push(clcStringCmd(`name "${this.name}"`))
    this.tick()
    this.timer = setInterval(() => this.tick(), this.keepaliveMs)
    if (this.spawn) await this.waitBegun()
  }

  private waitBegun(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        this.onBegun = null
        const why = `${this.address}:${this.port} accepted us but the signon stopped at stage ${this.signon} within ${this.connectTimeoutMs} ms`
        void this.close().then(() => reject(new Error(why)))
      }, this.connectTimeoutMs)
      this.onBegun = () => {
        clearTimeout(t)
        resolve()
      }
    })
  }

  /** A complete reliable message from the server: answer signon stages like CL_SignonReply. */
  private onReliable(msg: Buffer): void {
    const stage = signonStage(msg)
    if (!this.spawn || stage === null || stage <= this.signon) return
    this.signon = stage
    if (stage === 1) this.queue.push(clcStringCmd(`name "${this.name}"`), clcStringCmd('prespawn'))
    else if (stage === 2) this.queue.push(clcStringCmd('spawn'))
    else {
      this.beginSeq = this.sendSeq + (this.outstanding ? 1 : 0) + this.queue.length
      this.queue.push(clcStringCmd('begin'))
    }
    if (!this.outstanding) this.tick()
  }

  private handshake(sock: Socket): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let challenge: string | null = null
      let lastReply = 'no reply'
      const send = () => sock.send(challenge ? buildConnect(challenge, this.name) : buildGetChallenge(), this.port, this.address)
      // DarkPlaces' client retries once a second too (netconn.c NetConn_ClientFrame).
      const retry = setInterval(send, 1000)
      const done = (err?: Error) => {
        clearInterval(retry)
        clearTimeout(timeout)
        sock.off('message', onMsg)
        if (err) reject(err)
        else resolve()
      }
      const timeout = setTimeout(
        () => done(new Error(`no accept from ${this.address}:${this.port} within ${this.connectTimeoutMs} ms (${challenge ? 'got a challenge' : 'no challenge'}; last reply: ${lastReply})`)),
        this.connectTimeoutMs,
      )
      const onMsg = (msg: Buffer, rinfo: { address: string; port: number }) => {
        if (rinfo.address !== this.address || rinfo.port !== this.port) return
        const p = parseServerPacket(msg)
        if (p?.kind !== 'oob') return
        lastReply = JSON.stringify(p.text.slice(0, 200))
        if (p.text.startsWith('reject')) return done(new Error(`server ${this.address}:${this.port} refused the connect: ${p.text.trim()}`))
        if (p.text === 'accept') return done()
        const c = challengeOf(p.text)
        if (c && !challenge) {
          challenge = c
          send()
        }
      }
      sock.on('message', onMsg)
      send()
    })
  }

  private send(buf: Buffer): void {
    this.sock?.send(buf, this.port, this.address)
  }

  /** Resends the outstanding reliable message or starts the next one (a clc_nop when idle). */
  private tick(): void {
    if (!this.connected) return
    if (!this.outstanding) this.outstanding = buildReliable(this.sendSeq, this.queue.shift() ?? clcNop())
    this.send(this.outstanding)
  }

  private onPacket(msg: Buffer): void {
    const p = parseServerPacket(msg)
    if (!p || p.kind === 'oob') return // a duplicate "accept" and the like
    this.serverPackets++
    this.lastServerPacketAt = Date.now()
    this.arrivals.push(performance.now())
    if (p.kind === 'ack') {
      if (p.seq === this.sendSeq && this.outstanding) {
        this.outstanding = null
        if (this.sendSeq++ === this.beginSeq) {
          this.begun = true
          this.onBegun?.()
        }
        if (this.queue.length > 0) this.tick()
      }
    } else if (p.kind === 'data') {
      this.send(buildAck(p.seq)) // always, as DarkPlaces does: our earlier ACK may have been lost
      if (p.seq !== this.recvSeq) return
      this.recvSeq++
      this.recvBuf.push(p.payload)
      if (p.eom) this.onReliable(Buffer.concat(this.recvBuf.splice(0)))
    } else if (p.payload[0] === SVC_DISCONNECT) {
      this.disconnectReason = 'the server sent svc_disconnect (kicked or dropped)'
      this.shutdown()
    }
  }

  /** Longest silence between server packets within [fromMs, toMs] (performance.now() times). */
  longestGapMs(fromMs: number, toMs: number = performance.now()): number {
    let prev = fromMs
    let longest = 0
    for (const t of this.arrivals) {
      if (t < fromMs) continue
      if (t > toMs) break
      longest = Math.max(longest, t - prev)
      prev = t
    }
    return Math.max(longest, toMs - prev)
  }

  /** Sends clc_disconnect (unreliable, three times, like CL_Disconnect) and closes the socket. */
  async close(): Promise<void> {
    const sock = this.sock
    const wasConnected = this.connected
    this.sock = null
    this.shutdown()
    if (!sock) return
    if (wasConnected) {
      this.disconnectReason ??= 'closed by us'
      for (let i = 0; i < 3; i++) {
        const pkt = buildUnreliable(this.unreliableSeq++, clcDisconnect())
        await new Promise<void>((res) => sock.send(pkt, this.port, this.address, () => res()))
      }
    }
    await new Promise<void>((res) => sock.close(() => res()))
  }

  private shutdown(): void {
    this.connected = false
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    this.sock?.close()
    this.sock = null
  }
}

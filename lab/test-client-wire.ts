// Bytes of a minimal DarkPlaces (NetQuake-framed) game client: connectionless handshake and the
// in-game netchan. Read from DarkPlaces' source (DarkPlacesEngine/DarkPlaces):
// - netconn.c NetConn_ServerParsePacket: "getchallenge" -> "challenge <str>"; "connect\..." must
//   carry \challenge\<str> and \protocol\darkplaces 3 (else "reject Wrong game protocol."); a new
//   client gets "accept" (NetConn_WriteString: text + NUL), a full server "reject Server is full.".
//   The real client's string (netconn.c NetConn_ClientParsePacket) is
//   connect\protocol\darkplaces 3\protocols\<list>\challenge\<str>.
// - netconn.c NetConn_ReceivedMessage (NQ branch): every in-game packet starts with a big-endian u32
//   (length incl. the 8-byte header | flags) and a big-endian u32 sequence. NETFLAG_UNRELIABLE
//   packets use their own sequence; NETFLAG_DATA (reliable) packets are ACKed at once with an
//   8-byte NETFLAG_ACK packet carrying the same sequence, and accepted when sequence ==
//   receiveSequence; NETFLAG_EOM ends a reliable message. Flags from netconn.h.
// - protocol.h: clc_nop 1, clc_disconnect 2, clc_stringcmd 4; svc_nop 1, svc_disconnect 2,
//   svc_signonnum 25 (SV_SendServerinfo ends with signon 1, Host_PreSpawn_f with 2, Host_Spawn_f with 3).
export const NETFLAG_LENGTH_MASK = 0x0000ffff
export const NETFLAG_DATA = 0x00010000
export const NETFLAG_ACK = 0x00020000
export const NETFLAG_EOM = 0x00080000
export const NETFLAG_UNRELIABLE = 0x00100000
export const NETFLAG_CTL = 0x80000000

export const CLC_NOP = 1
export const CLC_DISCONNECT = 2
export const CLC_STRINGCMD = 4
export const SVC_DISCONNECT = 2
export const SVC_SIGNONNUM = 25

/** Signon stage a complete reliable server message announces (it ends with svc_signonnum N), else null. */
export function signonStage(msg: Buffer): number | null {
  const n = msg.length
  return n >= 2 && msg[n - 2] === SVC_SIGNONNUM && msg[n - 1]! >= 1 && msg[n - 1]! <= 3 ? msg[n - 1]! : null
}

const OOB = Buffer.from([0xff, 0xff, 0xff, 0xff])
/** What DarkPlaces' own client offers (netconn.c); the server answers in its sv_protocolname. */
const PROTOCOLS = 'DP7 DP6 DP5 RMQ QW QUAKE QUAKEDP NEHAHRAMOVIE NEHAHRABJP NEHAHRABJP2 NEHAHRABJP3'

const oob = (text: string) => Buffer.concat([OOB, Buffer.from(text, 'latin1')])

export const buildGetChallenge = (): Buffer => oob('getchallenge')

/** Infostring values must not contain \ (separator) or " (quoted in stringcmds). */
export function cleanName(name: string): string {
  const s = name.replace(/[\\"\n\r;]/g, '').trim()
  if (!s) throw new Error(`test client name "${name}" is empty once \\ " ; and newlines are removed`)
  return s.slice(0, 63)
}

/** The connect request; \name is extra userinfo (the engine ignores it; the name goes by stringcmd). */
export function buildConnect(challenge: string, name: string): Buffer {
  return oob(`connect\\protocol\\darkplaces 3\\protocols\\${PROTOCOLS}\\challenge\\${challenge}\\name\\${cleanName(name)}`)
}

export type ServerPacket =
  | { kind: 'oob'; text: string }
  | { kind: 'unreliable' | 'data' | 'ack'; seq: number; eom: boolean; payload: Buffer }

/** Parses one datagram from the server; null for control or malformed packets. */
export function parseServerPacket(buf: Buffer): ServerPacket | null {
  if (buf.length >= 4 && buf.readUInt32BE(0) === 0xffffffff) {
    const nul = buf.indexOf(0, 4)
    return { kind: 'oob', text: buf.subarray(4, nul < 0 ? buf.length : nul).toString('latin1') }
  }
  if (buf.length < 8) return null
  const head = buf.readUInt32BE(0)
  const flags = (head & ~NETFLAG_LENGTH_MASK) >>> 0
  if (flags & NETFLAG_CTL || (head & NETFLAG_LENGTH_MASK) !== buf.length) return null
  const seq = buf.readUInt32BE(4)
  const payload = buf.subarray(8)
  const eom = (flags & NETFLAG_EOM) !== 0
  if (flags & NETFLAG_UNRELIABLE) return { kind: 'unreliable', seq, eom, payload }
  if (flags & NETFLAG_ACK) return { kind: 'ack', seq, eom, payload }
  if (flags & NETFLAG_DATA) return { kind: 'data', seq, eom, payload }
  return null
}

/** "challenge <str>" -> str (DarkPlaces may append crypto data after a NUL, already cut). */
export function challengeOf(text: string): string | null {
  const m = /^challenge (\S+)/.exec(text)
  return m ? m[1]! : null
}

function frame(flags: number, seq: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(8 + payload.length)
  b.writeUInt32BE(((8 + payload.length) | flags) >>> 0, 0)
  b.writeUInt32BE(seq >>> 0, 4)
  payload.copy(b, 8)
  return b
}

export const buildUnreliable = (seq: number, payload: Buffer): Buffer => frame(NETFLAG_UNRELIABLE, seq, payload)
/** One whole reliable message in one packet (ours are tiny: MAX_PACKETFRAGMENT is 1024). */
export const buildReliable = (seq: number, payload: Buffer): Buffer => frame(NETFLAG_DATA | NETFLAG_EOM, seq, payload)
export const buildAck = (seq: number): Buffer => frame(NETFLAG_ACK, seq, Buffer.alloc(0))

export const clcNop = (): Buffer => Buffer.from([CLC_NOP])
export const clcDisconnect = (): Buffer => Buffer.from([CLC_DISCONNECT])
/** clc_stringcmd + NUL-terminated text, e.g. `name "x"` as DarkPlaces' CL_SendPlayerInfo sends it. */
export const clcStringCmd = (text: string): Buffer => Buffer.concat([Buffer.from([CLC_STRINGCMD]), Buffer.from(text, 'latin1'), Buffer.from([0])])

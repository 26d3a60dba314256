// DarkPlaces connectionless query packets (the engine of Xonotic and Nexuiz).
// Formats follow DarkPlaces' netconn.c: every packet starts with four 0xFF bytes, then ASCII.
// Pure functions, no sockets, so they can be tested on captured bytes.

const HEADER = Buffer.from([0xff, 0xff, 0xff, 0xff])

/** Characters the server refuses inside a challenge (netconn.c rejects them). */
const BAD_CHALLENGE = /[\\/;"%\s]/

function packet(text: string): Buffer {
  return Buffer.concat([HEADER, Buffer.from(text, 'latin1')])
}

export function encodePing(): Buffer {
  return packet('ping')
}

export function encodeGetinfo(challenge?: string): Buffer {
  return packet(challenge === undefined ? 'getinfo' : `getinfo ${checkChallenge(challenge)}`)
}

export function encodeGetstatus(challenge?: string): Buffer {
  return packet(challenge === undefined ? 'getstatus' : `getstatus ${checkChallenge(challenge)}`)
}

function checkChallenge(challenge: string): string {
  if (challenge.length === 0 || BAD_CHALLENGE.test(challenge)) throw new Error(`invalid challenge ${JSON.stringify(challenge)}`)
  return challenge
}

export type InfoFields = Record<string, string>

export type StatusPlayer = { frags: number; ping: number; team?: number; name: string }

export type Decoded =
  | { kind: 'ack' }
  | { kind: 'info'; fields: InfoFields }
  | { kind: 'status'; fields: InfoFields; players: StatusPlayer[] }
  | { kind: 'other'; text: string }

/** Parses one reply datagram; null when it is not a connectionless packet at all. */
export function decode(buf: Uint8Array): Decoded | null {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xff || buf[2] !== 0xff || buf[3] !== 0xff) return null
  // latin1 keeps every byte as one char: names may hold arbitrary bytes (colour codes, UTF-8).
  let text = Buffer.from(buf.buffer, buf.byteOffset + 4, buf.length - 4).toString('latin1')
  // Some engines NUL-terminate strings they write; ignore a trailing NUL.
  if (text.endsWith('\0')) text = text.slice(0, -1)
  if (text === 'ack') return { kind: 'ack' }
  if (text.startsWith('infoResponse\n')) {
    return { kind: 'info', fields: parseInfoString(text.slice('infoResponse\n'.length).split('\n')[0] ?? '') }
  }
  if (text.startsWith('statusResponse\n')) {
    const lines = text.slice('statusResponse\n'.length).split('\n')
    const fields = parseInfoString(lines[0] ?? '')
    const players: StatusPlayer[] = []
    for (const line of lines.slice(1)) {
      const p = parsePlayerLine(line)
      if (p) players.push(p)
    }
    return { kind: 'status', fields, players }
  }
  return { kind: 'other', text }
}

/** `\key\value\key\value` (leading backslash optional). */
export function parseInfoString(s: string): InfoFields {
  const parts = s.split('\\')
  if (parts[0] === '') parts.shift()
  const out: InfoFields = {}
  for (let i = 0; i + 1 < parts.length; i += 2) out[parts[i]!] = parts[i + 1]!
  return out
}

// `<frags> <ping> "<name>"` or, in team games, `<frags> <ping> <team> "<name>"`.
const PLAYER_LINE = /^(-?\d+) (-?\d+)(?: (-?\d+))? "(.*)"$/

export function parsePlayerLine(line: string): StatusPlayer | null {
  const m = PLAYER_LINE.exec(line)
  if (!m) return null
  const p: StatusPlayer = { frags: Number(m[1]), ping: Number(m[2]), name: m[4]! }
  if (m[3] !== undefined) p.team = Number(m[3])
  return p
}

/** Nexuiz/Xonotic colour codes (^0-^9, ^xRGB) out of a name or hostname, for display. */
export function stripColours(s: string): string {
  return s.replace(/\^(x[0-9a-fA-F]{3}|[0-9^])/g, (m) => (m === '^^' ? '^' : ''))
}

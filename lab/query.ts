// Minimal DarkPlaces connectionless query (getinfo/getstatus) for the lab's checks.
// Format (protocols.md, DarkPlaces netconn.c): FF FF FF FF "getinfo <challenge>" ->
// FF FF FF FF "infoResponse\n\key\value..."; getstatus adds one "<frags> <ping> "name"" line per player.
import { createSocket } from 'node:dgram'
import { randomBytes } from 'node:crypto'

export interface ServerInfo {
  info: Record<string, string>
  /** Players from getstatus (empty for getinfo). */
  players: { frags: number; ping: number; name: string }[]
}

export function parseReply(buf: Buffer): ServerInfo | null {
  if (buf.length < 4 || buf.readUInt32BE(0) !== 0xffffffff) return null
  const text = buf.subarray(4).toString('latin1')
  const m = /^(infoResponse|statusResponse)\n([^\n]*)(?:\n([\s\S]*))?$/.exec(text)
  if (!m) return null
  const info: Record<string, string> = {}
  const parts = (m[2] ?? '').split('\\')
  for (let i = 1; i + 1 < parts.length; i += 2) info[parts[i]!] = parts[i + 1]!
  const players: ServerInfo['players'] = []
  for (const line of (m[3] ?? '').split('\n')) {
    const p = /^(-?\d+) (-?\d+)(?: -?\d+)? "(.*)"$/.exec(line.trim())
    if (p) players.push({ frags: Number(p[1]), ping: Number(p[2]), name: p[3]! })
  }
  return { info, players }
}

/** Sends one query and waits for the matching reply (challenge echoed for getinfo). */
export function queryServer(address: string, port: number, kind: 'getinfo' | 'getstatus', timeoutMs = 1000): Promise<ServerInfo> {
  const challenge = randomBytes(6).toString('hex')
  const sock = createSocket('udp4')
  return new Promise<ServerInfo>((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.close()
      reject(new Error(`no ${kind} reply from ${address}:${port} within ${timeoutMs} ms`))
    }, timeoutMs)
    sock.on('message', (msg) => {
      const r = parseReply(msg)
      if (!r || r.info.challenge !== challenge) return
      clearTimeout(timer)
      sock.close()
      resolve(r)
    })
    sock.on('error', (err) => {
      clearTimeout(timer)
      sock.close()
      reject(err)
    })
    sock.send(Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from(`${kind} ${challenge}`, 'latin1')]), port, address)
  })
}

// Asks the game at the floating IP for its status from the app's machine: one small UDP
// getstatus (DarkPlaces netconn.c format, codec in src/core/probe) with a challenge so a late
// reply to an earlier query is never mistaken for this one.
import { createSocket } from 'node:dgram'
import { randomBytes } from 'node:crypto'
import type { ServerStatus } from '../../shared/contract'
import { decode, encodeGetstatus } from '../probe/codec'
import { toServerStatus } from '../probe/status'

/**
 * Asks every `everyMs` from one socket until a reply to any of its queries arrives or `timeoutMs`
 * passed. Queries are not given up on: over a 283 ms RTT link a reply comes after the next send.
 */
export function waitForStatus(address: string, port: number, timeoutMs: number, everyMs = 250): Promise<ServerStatus | null> {
  const sock = createSocket('udp4')
  const sent = new Set<string>()
  return new Promise((resolve) => {
    let done = false
    const finish = (v: ServerStatus | null) => {
      if (done) return
      done = true
      clearTimeout(timer)
      clearInterval(again)
      sock.close()
      resolve(v)
    }
    const send = () => {
      const challenge = randomBytes(6).toString('hex')
      sent.add(challenge)
      // A send error (no route yet while the IP moves) just means no reply to this one.
      sock.send(encodeGetstatus(challenge), port, address, () => {})
    }
    const timer = setTimeout(() => finish(null), timeoutMs)
    const again = setInterval(send, everyMs)
    sock.on('message', (msg) => {
      const d = decode(msg)
      if (d?.kind === 'status' && sent.has(d.fields.challenge ?? '')) finish(toServerStatus(d.fields, d.players, Date.now()))
    })
    sock.on('error', () => {})
    send()
  })
}

/** One query, one answer or null after `timeoutMs`. */
export function queryStatus(address: string, port: number, timeoutMs: number): Promise<ServerStatus | null> {
  return waitForStatus(address, port, timeoutMs, timeoutMs + 1)
}

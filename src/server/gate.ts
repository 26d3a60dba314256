// Who may talk to the browser host. Host is checked on every request, so a page on a name that the
// attacker's DNS re-points at 127.0.0.1 (DNS rebinding) is refused; the WebSocket also needs
// the token and, from a browser, a same-host Origin (another site's page cannot open it).
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'
import { WS_PATH, WS_TOKEN_PREFIX } from '../shared/wire'

/** 'host' or '[v6]' as it appears in a Host header. */
export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

/**
 * The Host values this server answers: 127.0.0.1, localhost and [::1] at its port, and the address
 * it was bound to. Bound to a wildcard (0.0.0.0, ::), any IP literal is allowed too: rebinding
 * needs a name, and a LAN client can only reach the host by its address.
 */
export function hostChecker(bind: string, port: number): (host: string | undefined) => boolean {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]', hostForUrl(bind).toLowerCase()])
  const wildcard = bind === '0.0.0.0' || bind === '::'
  return (host) => {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host ?? '')
    if (!m) return false
    const name = m[1]!.toLowerCase()
    if ((m[2] === undefined ? 80 : Number(m[2])) !== port) return false
    return names.has(name) || (wildcard && isIP(name.replace(/^\[(.*)\]$/, '$1')) !== 0)
  }
}

export function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The token a client offered as a `globehop.token.<token>` subprotocol. */
export function offeredToken(req: IncomingMessage): string | undefined {
  const header = req.headers['sec-websocket-protocol']
  if (typeof header !== 'string') return undefined
  const offer = header.split(',').map((p) => p.trim()).find((p) => p.startsWith(WS_TOKEN_PREFIX))
  return offer?.slice(WS_TOKEN_PREFIX.length)
}

/** The path of a request, or null when its target is not a URL at all. */
export function requestPath(req: IncomingMessage): string | null {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname
  } catch {
    return null
  }
}

/** Why an upgrade is refused (an HTTP status line), or null to let it through. */
export function upgradeRefusal(req: IncomingMessage, hostOk: (h: string | undefined) => boolean, token: string): string | null {
  if (requestPath(req) !== WS_PATH) return '404 Not Found'
  const host = req.headers.host
  if (!hostOk(host)) return '403 Forbidden'
  // Browsers always send Origin on a WebSocket; other clients may omit it (they could forge it anyway).
  const origin = req.headers.origin
  if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) return '403 Forbidden'
  if (!sameToken(offeredToken(req), token)) return '401 Unauthorized'
  return null
}

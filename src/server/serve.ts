// The browser host: serves the built renderer over HTTP and carries the contract over a WebSocket.
// Local by default (127.0.0.1) and locked with a random token printed in the URL: the first
// request with ?token= sets an HttpOnly cookie; every other request and the socket need it.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import path from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { isCommandName } from '../shared/contract'
import type { Engine } from '../core/engine'
import { CSP } from './csp'
import { parseClientMessage, serializeError, type ServerMessage } from '../shared/wire'


const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
}

export interface ServeOptions {
  engine: Engine
  rendererDir: string
  host?: string
  port?: number
  /** Fixed token (tests); random otherwise. */
  token?: string
}

export interface RunningServer {
  url: string
  token: string
  port: number
  close(): Promise<void>
}

const COOKIE = 'globehop_token'

function sameToken(a: string | undefined, b: string): boolean {
  if (!a) return false
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function cookieToken(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie ?? ''
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === COOKIE) return v.join('=')
  }
  return undefined
}

export async function serve(opts: ServeOptions): Promise<RunningServer> {
  const index = path.join(opts.rendererDir, 'index.html')
  if (!existsSync(index)) throw new Error(`the renderer is not built (${index} missing): run \`npm run build\` first`)
  const token = opts.token ?? randomBytes(24).toString('base64url')
  const bind = opts.host ?? '127.0.0.1'

  const authorized = (req: IncomingMessage, url: URL): boolean => sameToken(url.searchParams.get('token') ?? cookieToken(req), token)

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (!authorized(req, url)) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('globehop: this address needs the token printed by `globehop serve` (open the full URL it printed).\n')
      return
    }
    if (url.searchParams.has('token')) {
      // Trade the token in the URL for a cookie, and drop it from the address bar.
      res.writeHead(303, { 'set-cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`, location: url.pathname })
      res.end()
      return
    }
    sendFile(res, opts.rendererDir, url.pathname)
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const origin = req.headers.origin
    const host = req.headers.host
    // Browsers always send Origin on WebSocket: refuse other sites' pages (cross-site WebSocket hijacking).
    const sameOrigin = !origin || (host !== undefined && (origin === `http://${host}` || origin === `https://${host}`))
    if (url.pathname !== '/ws' || !authorized(req, url) || !sameOrigin) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n')
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, opts.engine))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, bind, () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const shownHost = bind.includes(':') ? `[${bind}]` : bind
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    token,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate()
        wss.close()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function sendFile(res: ServerResponse, root: string, pathname: string): void {
  let rel: string
  try {
    rel = decodeURIComponent(pathname)
  } catch {
    res.writeHead(400).end()
    return
  }
  if (rel.endsWith('/')) rel += 'index.html'
  const file = path.join(root, path.normalize(rel))
  if (!file.startsWith(root + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
    return
  }
  const headers: Record<string, string> = {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  }
  if (file.endsWith('.html')) headers['content-security-policy'] = CSP
  res.writeHead(200, headers)
  createReadStream(file).pipe(res)
}

function attach(ws: WebSocket, engine: Engine): void {
  const send = (m: ServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m))
  }
  const off = engine.onEvent((e) => send({ type: 'event', event: e }))
  ws.on('close', off)
  ws.on('message', async (data) => {
    const msg = parseClientMessage(data.toString())
    if (!msg.ok) {
      send({ type: 'result', id: msg.id, ok: false, error: { code: 'bad-message', message: msg.error } })
      return
    }
    const { id, command, args } = msg.value
    if (!isCommandName(command)) {
      send({ type: 'result', id, ok: false, error: { code: 'unknown-command', message: `unknown command "${command}"` } })
      return
    }
    try {
      send({ type: 'result', id, ok: true, result: await engine.handle(command, args) })
    } catch (err) {
      send({ type: 'result', id, ok: false, error: serializeError(err) })
    }
  })
}

// The browser host: serves the built renderer over HTTP and carries the contract over a WebSocket.
// Local by default (127.0.0.1). The static files hold no secret and need no token; the WebSocket
// drives the engine and needs the random token printed in the URL's fragment (#token=, which the
// browser never sends in a request), offered in the handshake and checked before upgrading.
import { randomBytes } from 'node:crypto'
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer, type Server, type ServerResponse } from 'node:http'
import path from 'node:path'
import { WebSocketServer } from 'ws'
import type { EngineLike } from '../core/engine-like'
import { TOKEN_PATTERN, WS_PROTOCOL } from '../shared/wire'
import { CSP } from '../shared/csp'
import { hostChecker, hostForUrl, requestPath, upgradeRefusal } from './gate'
import { attachClient, MAX_MESSAGE_BYTES } from './ws-client'

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
  engine: EngineLike
  rendererDir: string
  host?: string
  port?: number
  /** Fixed token (tests, GLOBEHOP_TOKEN); random otherwise. */
  token?: string
  /** Where refused and dropped clients are reported (default: stderr). */
  log?: (line: string) => void
}

export interface RunningServer {
  /** http://HOST:PORT/#token=TOKEN: the fragment stays in the browser. */
  url: string
  token: string
  port: number
  /** WebSocket clients connected now. */
  readonly clients: number
  close(): Promise<void>
}

export async function serve(opts: ServeOptions): Promise<RunningServer> {
  const root = path.resolve(opts.rendererDir)
  const index = path.join(root, 'index.html')
  if (!existsSync(index)) throw new Error(`the renderer is not built (${index} missing): run \`npm run build\` first`)
  const token = opts.token ?? randomBytes(24).toString('base64url')
  if (!TOKEN_PATTERN.test(token)) throw new Error('the token must be 16 to 128 characters of A-Z, a-z, 0-9, _ and -')
  const bind = opts.host ?? '127.0.0.1'
  const log = opts.log ?? ((line: string) => console.error(`globehop serve: ${line}`))
  // Known once listening (port 0 picks one); nothing is answered before that.
  let hostOk: (host: string | undefined) => boolean = () => false

  const server: Server = createServer((req, res) => {
    const pathname = requestPath(req)
    if (!hostOk(req.headers.host)) return refuse(res, 403, 'globehop: this server answers only at the address `globehop serve` printed.\n')
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed\n')
    if (pathname === null) return refuse(res, 400, 'bad request\n')
    sendFile(res, root, pathname, req.method === 'HEAD')
  })

  // Compression off: a small compressed frame could inflate far past maxPayload's intent.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  })
  server.on('upgrade', (req, socket, head) => {
    // A reset during the handshake is that client's end, not the process's.
    socket.on('error', () => socket.destroy())
    const refusal = upgradeRefusal(req, hostOk, token)
    if (refusal) {
      socket.once('finish', () => socket.destroy())
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => attachClient(ws, opts.engine, log))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, bind, () => {
      server.off('error', reject)
      resolve()
    })
  })
  // After listening, an accept error (EMFILE) is reported, not thrown.
  server.on('error', (err) => log(`server error: ${err.message}`))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  hostOk = hostChecker(bind, port)
  return {
    url: `http://${hostForUrl(bind)}:${port}/#token=${token}`,
    token,
    port,
    get clients() {
      return wss.clients.size
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate()
        wss.close()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function refuse(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end(text)
}

function sendFile(res: ServerResponse, root: string, pathname: string, headOnly: boolean): void {
  let rel: string
  try {
    rel = decodeURIComponent(pathname)
  } catch {
    return refuse(res, 400, 'bad request\n')
  }
  if (rel.endsWith('/')) rel += 'index.html'
  const file = path.join(root, path.normalize(rel))
  if (!file.startsWith(root + path.sep) || !isFile(file)) return refuse(res, 404, 'not found\n')
  const headers: Record<string, string> = {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  }
  if (file.endsWith('.html')) headers['content-security-policy'] = CSP
  res.writeHead(200, headers)
  if (headOnly) return void res.end()
  // A file gone or unreadable between the check and the read ends this response only.
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res)
}

function isFile(file: string): boolean {
  try {
    return statSync(file, { throwIfNoEntry: false })?.isFile() === true
  } catch {
    return false
  }
}

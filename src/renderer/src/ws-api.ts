// The contract over the browser host's WebSocket, reconnecting when the host restarts.
import { COMMAND_NAMES, type AnyEvent, type GlobehopApi } from '../../shared/contract'
import { GlobehopError, WS_PROTOCOL, WS_TOKEN_PREFIX, type ServerMessage } from '../../shared/wire'

const TOKEN_KEY = 'globehop.token'

/**
 * The token `globehop serve` printed in the URL's fragment (#token=…, never sent to any server),
 * taken out of the address bar and kept for this tab in sessionStorage (scoped to this origin,
 * port included, unlike a cookie) so a reload still works.
 */
export function takeToken(): string | null {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get('token')
  if (fromUrl) history.replaceState(null, '', location.pathname + location.search)
  try {
    if (fromUrl) sessionStorage.setItem(TOKEN_KEY, fromUrl)
    return fromUrl ?? sessionStorage.getItem(TOKEN_KEY)
  } catch {
    return fromUrl // storage disabled: this load still works, a reload needs the URL again
  }
}

export function createWsApi(url: string, token: string | null): GlobehopApi {
  if (!token) return refusingApi()
  const listeners = new Set<(e: AnyEvent) => void>()
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let nextId = 1
  let socket: WebSocket
  let opened: Promise<void>
  let attempts = 0

  const open = () => {
    attempts++
    // The token rides as a subprotocol: the server refuses before upgrading without it.
    socket = new WebSocket(url, [WS_PROTOCOL, WS_TOKEN_PREFIX + token])
    opened = new Promise((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true })
      socket.addEventListener('error', () => reject(new GlobehopError('disconnected', `cannot reach the globehop host at ${url} (or it refused this page's token: open the address \`globehop serve\` printed)`)), { once: true })
    })
    opened.catch(() => {})
    socket.addEventListener('open', () => {
      // Events sent while this page was away (the host restarted, or dropped a page that fell
      // behind) are lost: go on from the engine's whole history. The first open needs none: the
      // store asks for it at start (if that open failed, this later one brings it).
      if (attempts > 1) (api as unknown as GlobehopApi).getHistory({}).then((payload) => listeners.forEach((l) => l({ name: 'history', payload })), () => {})
    })
    socket.addEventListener('message', (m) => {
      const msg = JSON.parse(String(m.data)) as ServerMessage
      if (msg.type === 'event') {
        for (const l of listeners) l(msg.event)
        return
      }
      const p = pending.get(msg.id)
      if (!p) return
      pending.delete(msg.id)
      if (msg.ok) p.resolve(msg.result)
      else p.reject(new GlobehopError(msg.error.code, msg.error.message))
    })
    socket.addEventListener('close', () => {
      for (const p of pending.values()) p.reject(new GlobehopError('disconnected', 'the connection to the globehop host closed'))
      pending.clear()
      setTimeout(open, 1000)
    })
  }
  open()

  const api: Record<string, unknown> = {
    onEvent(listener: (e: AnyEvent) => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
  for (const command of COMMAND_NAMES) {
    api[command] = async (args: unknown) => {
      await opened
      const id = nextId++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject })
        socket.send(JSON.stringify({ id, command, args: args ?? {} }))
      })
    }
  }
  return api as GlobehopApi
}

/** Without a token nothing can be asked: every command says how to get one. */
function refusingApi(): GlobehopApi {
  const refuse = () => Promise.reject(new GlobehopError('no-token', 'this page has no access token: open the full address `globehop serve` printed (it ends in #token=…)'))
  const api: Record<string, unknown> = { onEvent: () => () => {} }
  for (const command of COMMAND_NAMES) api[command] = refuse
  return api as GlobehopApi
}

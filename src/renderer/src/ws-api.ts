// The contract over the browser host's WebSocket, reconnecting when the host restarts.
import { COMMAND_NAMES, type AnyEvent, type GlobehopApi } from '../../shared/contract'
import { GlobehopError, type ServerMessage } from '../../shared/wire'

export function createWsApi(url: string): GlobehopApi {
  const listeners = new Set<(e: AnyEvent) => void>()
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let nextId = 1
  let socket: WebSocket
  let opened: Promise<void>

  const open = () => {
    socket = new WebSocket(url)
    opened = new Promise((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true })
      socket.addEventListener('error', () => reject(new GlobehopError('disconnected', `cannot reach the globehop host at ${url}`)), { once: true })
    })
    opened.catch(() => {})
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

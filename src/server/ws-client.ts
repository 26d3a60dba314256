// One browser client on the WebSocket: commands in, results and events out. Whatever the client
// sends or fails to read, only this client is closed; the engine and the other clients go on.
import type { WebSocket } from 'ws'
import type { EngineLike } from '../core/engine-like'
import { isCommandName } from '../shared/contract'
import { parseClientMessage, serializeError, type ServerMessage } from '../shared/wire'

/** Largest message a client may send (ws closes with 1009 above it): commands are a few hundred bytes. */
export const MAX_MESSAGE_BYTES = 256 * 1024
/** Unsent bytes a client may have queued: beyond this it is not reading, and is dropped. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024

/** Close codes (RFC 6455 7.4.1) this module sends itself; ws sends 1002/1007/1009 for bad frames. */
export const CLOSE_UNSUPPORTED_DATA = 1003
const CLOSE_GRACE_MS = 2000

export function attachClient(ws: WebSocket, engine: EngineLike, log: (line: string) => void): void {
  const send = (m: ServerMessage): void => {
    if (ws.readyState !== ws.OPEN) return
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      // A close frame would queue behind the backlog it never reads: cut the connection instead.
      log(`dropped a client that stopped reading (${ws.bufferedAmount} bytes unsent)`)
      ws.terminate()
      return
    }
    ws.send(JSON.stringify(m))
  }

  const off = engine.onEvent((event) => send({ type: 'event', event }))
  ws.on('close', off)
  // ws has already closed the connection with the matching code (1002 bad frame, 1007 bad UTF-8,
  // 1009 too big); without this listener the error would be thrown and end the whole process.
  ws.on('error', (err) => log(`closed a client: ${err.message}`))

  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      ws.close(CLOSE_UNSUPPORTED_DATA, 'the protocol is JSON text frames')
      // A client that never answers the close frame is cut after this, not ws's 30 s.
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref()
      return
    }
    run(String(data)).catch((err: Error) => {
      log(`closed a client after an internal error: ${err.message}`)
      ws.terminate()
    })
  })

  async function run(text: string): Promise<void> {
    const msg = parseClientMessage(text)
    if (!msg.ok) {
      send({ type: 'result', id: msg.id, ok: false, error: { code: 'bad-message', message: msg.error } })
      return
    }
    const { id, command, args } = msg.value
    if (!isCommandName(command)) {
      send({ type: 'result', id, ok: false, error: { code: 'unknown-command', message: `unknown command "${command.slice(0, 64)}"` } })
      return
    }
    let reply: ServerMessage
    try {
      reply = { type: 'result', id, ok: true, result: await engine.handle(command, args) }
    } catch (err) {
      reply = { type: 'result', id, ok: false, error: serializeError(err) }
    }
    // The client may have gone mid-command: send() drops the reply then.
    send(reply)
  }
}

// Messages of the browser host's WebSocket: the same contract as Electron's IPC, framed as JSON.
import { z } from 'zod'
import type { AnyEvent, WireError } from './contract'

/** Where the browser host's WebSocket listens, and the subprotocol both ends speak. */
export const WS_PATH = '/ws'
export const WS_PROTOCOL = 'globehop.v1'
/**
 * The token rides in the handshake as a second subprotocol, `globehop.token.<token>`, so the server
 * refuses before upgrading (browsers let a page set no other header). Never a cookie: cookies are
 * not port-scoped and would reach every other service on 127.0.0.1.
 */
export const WS_TOKEN_PREFIX = 'globehop.token.'
/** Tokens are base64url, which is also what a subprotocol value may hold. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,128}$/

export const ClientMessageSchema = z.object({
  id: z.number().int(),
  command: z.string(),
  args: z.unknown(),
})
export type ClientMessage = z.infer<typeof ClientMessageSchema>

export type ServerMessage =
  | { type: 'event'; event: AnyEvent }
  | { type: 'result'; id: number; ok: true; result: unknown }
  | { type: 'result'; id: number; ok: false; error: WireError }

export function parseClientMessage(text: string): { ok: true; value: ClientMessage } | { ok: false; id: number; error: string } {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return { ok: false, id: -1, error: 'not JSON' }
  }
  const parsed = ClientMessageSchema.safeParse(raw)
  if (!parsed.success) {
    const id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : -1
    return { ok: false, id, error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }
  }
  return { ok: true, value: parsed.data }
}

/** Keeps an error's message and code across the boundary (Error objects do not survive JSON or IPC). */
export function serializeError(err: unknown): WireError {
  if (err instanceof Error) return { code: (err as { code?: unknown }).code?.toString() ?? err.name, message: err.message }
  return { code: 'error', message: String(err) }
}

/** The error a renderer sees for a failed command. */
export class GlobehopError extends Error {
  constructor(readonly code: string, message: string) {
    super(message)
    this.name = 'GlobehopError'
  }
}

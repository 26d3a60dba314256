// From a decoded statusResponse to the contract's ServerStatus, and the cheap "did the server's
// state survive the hop" test that compares two of them.
import type { ServerStatus } from '../../shared/contract'
import { stripColours, type InfoFields, type StatusPlayer } from './codec'

function num(fields: InfoFields, key: string): number {
  const n = Number(fields[key])
  return Number.isFinite(n) ? n : 0
}

export function toServerStatus(fields: InfoFields, players: StatusPlayer[], at: number): ServerStatus {
  return {
    at,
    hostname: stripColours(fields.hostname ?? ''),
    map: fields.mapname ?? '',
    game: fields.gamename ?? '',
    clients: num(fields, 'clients'),
    bots: num(fields, 'bots'),
    maxClients: num(fields, 'sv_maxclients'),
    // Bots report ping 0 in statusResponse; a real client never measures exactly 0 ms.
    players: players.map((p) => ({ name: stripColours(p.name), frags: p.frags, ping: p.ping, bot: p.ping === 0 })),
  }
}

/**
 * Whether the server's state carried over from `before` to `after`: a restarted server comes back
 * with every frag at zero and without its connected clients. null when there is nothing to tell
 * by (no status on one side, or an empty server with no frags to lose).
 */
export function stateCarried(before: ServerStatus | null, after: ServerStatus | null): boolean | null {
  if (!before || !after) return null
  if (before.map !== after.map) return false
  const humansBefore = before.clients - before.bots
  const humansAfter = after.clients - after.bots
  if (humansBefore > 0 && humansAfter < humansBefore) return false
  const fragsBefore = before.players.some((p) => p.frags !== 0)
  if (fragsBefore) {
    const fragsAfter = after.players.some((p) => p.frags !== 0)
    if (!fragsAfter) return false
    // Scores only move by a few per second: a named player whose |frags| collapsed was reset.
    const was = new Map(before.players.map((p) => [p.name, p.frags]))
    for (const p of after.players) {
      const f = was.get(p.name)
      if (f !== undefined && Math.abs(f) >= 3 && p.frags === 0) return false
    }
    return true
  }
  return humansBefore > 0 ? true : null
}

import { describe, expect, it } from 'vitest'
import type { ServerStatus } from '../../shared/contract'
import { stateCarried } from './status'

function st(players: Array<[string, number, boolean?]>, humans = 0, map = 'dieselpower'): ServerStatus {
  const bots = players.filter((p) => p[2] !== false).length
  return {
    at: 0, hostname: 'h', map, game: 'Nexuiz', clients: bots + humans, bots, maxClients: 8,
    players: players.map(([name, frags, bot]) => ({ name, frags, ping: bot === false ? 30 : 0, bot: bot !== false })),
  }
}

describe('stateCarried', () => {
  it('frags kept or grown: carried', () => {
    expect(stateCarried(st([['a', 5], ['b', 2]]), st([['a', 6], ['b', 2]]))).toBe(true)
  })
  it('a suicide (-1) is not a reset', () => {
    expect(stateCarried(st([['a', 5], ['b', 2]]), st([['a', 4], ['b', 2]]))).toBe(true)
  })
  it('every frag back at zero: reset', () => {
    expect(stateCarried(st([['a', 5], ['b', 2]]), st([['a', 0], ['b', 0]]))).toBe(false)
  })
  it('one high scorer back at zero: reset', () => {
    expect(stateCarried(st([['a', 9], ['b', 2]]), st([['a', 0], ['b', 3]]))).toBe(false)
  })
  it('a connected client lost: not carried', () => {
    expect(stateCarried(st([], 1), st([], 0))).toBe(false)
    expect(stateCarried(st([], 1), st([], 1))).toBe(true)
  })
  it('map changed: not carried', () => {
    expect(stateCarried(st([['a', 1]]), st([['a', 1]], 0, 'other'))).toBe(false)
  })
  it('nothing to tell by: null', () => {
    expect(stateCarried(st([['a', 0]]), st([['a', 0]]))).toBeNull()
    expect(stateCarried(null, st([['a', 1]]))).toBeNull()
  })
})

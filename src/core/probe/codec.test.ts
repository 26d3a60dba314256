import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { decode, encodeGetinfo, encodeGetstatus, encodePing, parsePlayerLine, stripColours } from './codec'
import { toServerStatus } from './status'

// Replies captured from a real DarkPlaces server (darkplaces-server + nexuiz-data 2.5.2, map
// dieselpower, 4 bots with bot_join_empty 1) over loopback.
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url))

describe('encode', () => {
  it('writes the four 0xFF header then the command', () => {
    expect([...encodePing()]).toEqual([0xff, 0xff, 0xff, 0xff, ...Buffer.from('ping')])
    expect(encodeGetstatus('gh1').toString('latin1')).toBe('\xff\xff\xff\xffgetstatus gh1')
    expect(encodeGetinfo().toString('latin1')).toBe('\xff\xff\xff\xffgetinfo')
  })
  it('refuses challenges the server would reject', () => {
    for (const bad of ['a\\b', 'a/b', 'a;b', 'a"b', 'a%b', 'a b', '']) expect(() => encodeGetstatus(bad)).toThrow(/invalid challenge/)
  })
})

describe('decode real replies', () => {
  it('ack: exactly the header and "ack", no id', () => {
    const buf = fixture('ack.bin')
    expect(buf.length).toBe(7)
    expect(decode(buf)).toEqual({ kind: 'ack' })
  })

  it('infoResponse with the echoed challenge', () => {
    const d = decode(fixture('info-challenge.bin'))
    expect(d?.kind).toBe('info')
    if (d?.kind !== 'info') return
    expect(d.fields).toMatchObject({
      gamename: 'Nexuiz',
      mapname: 'dieselpower',
      sv_maxclients: '8',
      clients: '4',
      bots: '4',
      protocol: '3',
      hostname: 'globehop probe test',
      challenge: 'gh7',
    })
  })

  it('statusResponse with bots and their frags (negative too)', () => {
    const d = decode(fixture('status-bots.bin'))
    expect(d?.kind).toBe('status')
    if (d?.kind !== 'status') return
    expect(d.fields.challenge).toBe('gh8')
    expect(d.players).toEqual([
      { frags: 1, ping: 0, name: '[BOT]Shadow' },
      { frags: 3, ping: 0, name: '[BOT]Sensible' },
      { frags: 1, ping: 0, name: '[BOT]Resurrection' },
      { frags: -1, ping: 0, name: '[BOT]Hellfire' },
    ])
    const s = toServerStatus(d.fields, d.players, 123)
    expect(s).toMatchObject({ at: 123, hostname: 'globehop probe test', map: 'dieselpower', game: 'Nexuiz', clients: 4, bots: 4, maxClients: 8 })
    expect(s.players.every((p) => p.bot)).toBe(true)
  })

  it('rejects non-connectionless data and passes unknown replies through', () => {
    expect(decode(Buffer.from('ack'))).toBeNull()
    expect(decode(Buffer.from('\xff\xff\xffack', 'latin1'))).toBeNull()
    expect(decode(Buffer.from('\xff\xff\xff\xffack\0', 'latin1'))).toEqual({ kind: 'ack' })
    expect(decode(Buffer.from('\xff\xff\xff\xffchallenge 123', 'latin1'))).toEqual({ kind: 'other', text: 'challenge 123' })
  })
})

describe('player lines', () => {
  it('parses the team form and names with spaces and quotes', () => {
    expect(parsePlayerLine('12 48 2 "^1Red ^7Guy"')).toEqual({ frags: 12, ping: 48, team: 2, name: '^1Red ^7Guy' })
    expect(parsePlayerLine('0 33 "say "hi""')).toEqual({ frags: 0, ping: 33, name: 'say "hi"' })
    expect(parsePlayerLine('garbage')).toBeNull()
  })
  it('a human (ping > 0) is not a bot', () => {
    const s = toServerStatus({ clients: '1', bots: '0' }, [{ frags: 2, ping: 40, name: 'p' }], 0)
    expect(s.players[0]!.bot).toBe(false)
  })
  it('strips colour codes', () => {
    expect(stripColours('^1Red^xF0A^7 ^^x')).toBe('Red ^x')
  })
})

// The text scan runs before yaml: it must refuse what would stall or crash the parser, and never
// refuse YAML a person writes (block scalars, brackets in text, comments, anchors).
import { describe, expect, it } from 'vitest'
import { TOUR_LIMITS } from '../../shared/tour'
import { parseTour } from './load'
import { PARSER_DEPTH_GUARD, prescan } from './prescan'

const TOUR = `name: t
description: >
  A folded description with [brackets], {braces}, - dashes, "quotes", it's
    more indented lines
      and more [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
  # not a comment
defaults:
  ssh: &ssh { user: root, port: 22 }   # [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
hosts:
- name: a
  label: 'It''s [A]'
  lat: &lat 1
  lon: 2
  ssh: { host: 198.51.100.11 }
- {
    name: b, label: "B: [x] {y} # z", lat: *lat,
    lon: 4, ssh: { host: 198.51.100.12 }
  }
container: { id: game, bundle: /srv/game }
floatingIp: { address: 198.51.100.100 }
hops: [a, b]
`

describe('prescan', () => {
  it('lets through block scalars, brackets in text, comments, quotes, multi-line flow and anchors', () => {
    expect(prescan(TOUR, '/t.yaml')).toEqual([])
    const t = parseTour(TOUR, '/t.yaml')
    expect(t.description).toContain('[[[[')
    expect(t.hosts.map((h) => h.label)).toEqual(["It's [A]", 'B: [x] {y} # z'])
    expect(t.hosts[1]!.lat).toBe(1)
  })

  it('refuses deep flow nesting at once, even behind a tag or an anchor, naming the top-level key', () => {
    for (const prefix of ['', '!!seq ', '&x ']) {
      const text = `name: t\nhosts: ${prefix}${'['.repeat(100_000)}`
      const t0 = performance.now()
      const [p, ...rest] = prescan(text, '/t.yaml')
      expect(performance.now() - t0).toBeLessThan(100)
      expect(rest).toEqual([])
      expect(p).toMatchObject({ line: 2, field: 'hosts', message: expect.stringMatching(new RegExp(`more than ${PARSER_DEPTH_GUARD} levels`)) as string })
    }
  })

  it('refuses deep block nesting: compact "- - -" and indentation staircases', () => {
    expect(prescan(`description:\n  ${'- '.repeat(5000)}x\n`, '/t.yaml')[0]).toMatchObject({ line: 2, field: 'description' })
    const stairs = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')
    expect(prescan(stairs, '/t.yaml')[0]).toMatchObject({ line: PARSER_DEPTH_GUARD + 1, field: 'k0' })
  })

  it('refuses too many lines and too many values before parsing', () => {
    expect(prescan('#\n'.repeat(TOUR_LIMITS.lines + 1), '/t.yaml')[0]).toMatchObject({ line: TOUR_LIMITS.lines + 1, message: `more than ${TOUR_LIMITS.lines} lines` })
    expect(prescan(`hops: [${'a,'.repeat(TOUR_LIMITS.nodes)}]`, '/t.yaml')[0]).toMatchObject({ line: 1, field: 'hops', message: `more than ${TOUR_LIMITS.nodes} values` })
  })
})

import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { resourcePath } from './default'
import { loadTour, parseTour, TourError } from './load'

const GOOD = `name: t
defaults:
  ssh: { user: root, identityFile: ./key, knownHosts: ./known_hosts }
hosts:
  - name: a
    label: A
    lat: 48.7
    lon: 9.1
    ssh: { host: 198.51.100.11 }
  - name: b
    label: B
    lat: 1.3
    lon: 103.8
    ssh: { host: 198.51.100.12, port: 2222, user: admin }
container: { id: game, bundle: /b }
floatingIp: { address: 198.51.100.100 }
hops: [a, b, a]
`

function problems(text: string) {
  try {
    parseTour(text, '/tours/t.yaml')
  } catch (err) {
    expect(err).toBeInstanceOf(TourError)
    return (err as TourError).problems
  }
  throw new Error('expected the tour to be rejected')
}

describe('tour files', () => {
  it('accepts a good tour, merges defaults and resolves paths against the file', () => {
    const t = parseTour(GOOD, '/tours/t.yaml')
    expect(t.hosts[0]!.ssh).toMatchObject({ host: '198.51.100.11', port: 22, user: 'root', identityFile: '/tours/key', knownHosts: '/tours/known_hosts' })
    expect(t.hosts[1]!.ssh).toMatchObject({ port: 2222, user: 'admin' })
    expect(t.hosts[1]!.address).toBe('198.51.100.12')
    expect(t.options.mode).toBe('auto')
    expect(t.options.preCopy.maxIterations).toBe(8)
    expect(t.floatingIp.method).toBe('keepalived')
  })

  it('ships a valid world tour with the seed route', async () => {
    const t = await loadTour(resourcePath('tours', 'world.yaml'))
    expect(t.hops).toEqual(['stuttgart', 'strasbourg', 'montreal', 'singapore', 'strasbourg'])
    const sg = t.hosts.find((h) => h.name === 'singapore')!
    expect(sg.lat).toBeCloseTo(1.35, 1)
    expect(sg.lon).toBeCloseTo(103.8, 1)
  })

  it('names line and field for a wrong type', () => {
    const [p, ...rest] = problems(GOOD.replace('lat: 1.3', 'lat: "north"'))
    expect(rest).toEqual([])
    expect(p).toMatchObject({ file: '/tours/t.yaml', line: 12, field: 'hosts[1].lat' })
    expect(p!.message).toMatch(/number/)
  })

  it('names an unknown host in hops with its line', () => {
    const [p] = problems(GOOD.replace('hops: [a, b, a]', 'hops: [a, b, tokyo]'))
    expect(p).toMatchObject({ line: 17, field: 'hops[2]' })
    expect(p!.message).toContain('unknown host "tokyo"')
  })

  it('names a missing field', () => {
    const [p] = problems(GOOD.replace('container: { id: game, bundle: /b }', 'container: { id: game }'))
    expect(p).toMatchObject({ field: 'container.bundle', line: 15 })
    expect(p!.message).toMatch(/missing/)
  })

  it('names an unknown field at its own line', () => {
    const [p] = problems(GOOD.replace('floatingIp: { address: 198.51.100.100 }', 'floatingIp:\n  address: 198.51.100.100\n  iface: eth0'))
    expect(p).toMatchObject({ line: 18, field: 'floatingIp' })
    expect(p!.message).toContain('unknown field "iface"')
  })

  it('reports bad YAML with its line', () => {
    const [p] = problems('name: t\nhosts: [\n  - a\n')
    expect(p!.line).toBeGreaterThan(0)
    expect(p!.message).toMatch(/^YAML: /)
  })

  it('reports only the first YAML problem, at the unclosed bracket, with its line', () => {
    // One missing `}`: yaml reports every line after it too (11 lines for this file).
    const ps = problems(GOOD.replace('ssh: { host: 198.51.100.11 }', 'ssh: { host: 198.51.100.11'))
    expect(ps).toHaveLength(1)
    expect(ps[0]).toMatchObject({ line: 9, column: 10, field: 'hosts[0].ssh', excerpt: '    ssh: { host: 198.51.100.11' })
    expect(ps[0]!.message).toMatch(/^YAML: .*end with a \}.*not closed before line 10/)
    const [flat] = problems('name: t\nhosts: [\n  - a\n')
    expect(flat).toMatchObject({ line: 3, excerpt: '  - a' })
  })

  it('a YAML excerpt is cut to 200 characters and shows control and bidi characters as escapes', () => {
    const [p] = problems(`name: t\nx: a: ${'y'.repeat(300)}\u202e\n`)
    expect(p!.excerpt).toBe(`x: a: ${'y'.repeat(194)}`)
    const [q] = problems('name: t\nx: a: \u202eb\n')
    expect(q!.excerpt).toBe('x: a: \\u202eb')
  })

  it('reports duplicate hosts, a hop to itself and a missing ssh host', () => {
    const text = GOOD.replace('name: b', 'name: a').replace('hops: [a, b, a]', 'hops: [a, a]').replace('ssh: { host: 198.51.100.11 }', 'ssh: {}')
    const ps = problems(text)
    expect(ps.map((p) => p.field).sort()).toEqual(['hops[1]', 'hosts[0].ssh.host', 'hosts[1].name'])
  })

  it('reports type errors and cross-field problems in one run', () => {
    const ps = problems(GOOD.replace('lat: 1.3', 'lat: "north"').replace('hops: [a, b, a]', 'hops: [a, b, tokyo]'))
    expect(ps.map((p) => p.field)).toEqual(['hosts[1].lat', 'hops[2]'])
  })

  it('says when the file does not exist', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gh-tour-'))
    await expect(loadTour(path.join(dir, 'nope.yaml'))).rejects.toThrow(/nope\.yaml: file not found/)
    writeFileSync(path.join(dir, 'ok.yaml'), GOOD)
    await expect(loadTour(path.join(dir, 'ok.yaml'))).resolves.toMatchObject({ name: 't' })
  })
})

// The real `globehop` binary, as a user runs it.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '..')
const run = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/globehop.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })

describe('globehop CLI', () => {
  it('validate prints ok for the shipped world tour', () => {
    const r = run('validate', 'resources/tours/world.yaml')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^ok: Around the world: 4 hosts, 4 hops/)
  })

  it('validate names file, line and field of every problem and exits 1', () => {
    const r = run('validate', 'e2e/fixtures/bad-tour.yaml')
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/bad-tour\.yaml:5:\d+: hosts\[1\]\.lat: .*number/)
    expect(r.stderr).toMatch(/bad-tour\.yaml:8:\d+: hops\[2\]: unknown host "tokyo"/)
  })

  it('validate of a missing file says so', () => {
    const r = run('validate', 'nope.yaml')
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('nope.yaml: file not found')
  })

  it.each([[['frobnicate']], [['serve', '--port', 'abc']], [['validate']], [['serve', '--bogus']], [[]]])('%j prints usage and exits 2', (args) => {
    const r = run(...args)
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('usage:')
  })
})

// `globehop validate` as a user runs it: what reaches the terminal is never a control sequence.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')
const validate = (file: string) => spawnSync(process.execPath, [path.join(ROOT, 'bin/globehop.mjs'), 'validate', file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

describe('globehop validate', () => {
  it('prints problems with control sequences from the file name and the tour shown as text', () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'gh-validate-')), 'tours\u001b[2J\u202e')
    mkdirSync(dir)
    const file = path.join(dir, 'evil.yaml')
    const base = readFileSync(path.join(ROOT, 'resources/tours/world.yaml'), 'utf8')
    writeFileSync(file, base.replace('name: Around the world', 'name: "Around\\e]0;pwned\\a the world"\n"\\e[2Jextra": 1'))
    const r = validate(file)
    expect(r.status).toBe(1)
    expect(r.stderr).not.toMatch(RAW_CONTROL)
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/tours\\x1b\[2J\\u202e\/evil\.yaml:\d+:\d+: name: control or bidi character U\+001B/)
    expect(lines[1]).toContain('unknown field "\\u001b[2Jextra"')
  }, 60_000)

  it('prints ok for a good tour in a folder with an escape sequence in its name, without the raw sequence', () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'gh-validate-')), 'x\u001b[2J')
    mkdirSync(dir)
    writeFileSync(path.join(dir, 'ok.yaml'), readFileSync(path.join(ROOT, 'resources/tours/world.yaml')))
    const r = validate(path.join(dir, 'ok.yaml'))
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^ok: Around the world: 4 hosts, 4 hops/)
    expect(r.stdout).not.toMatch(RAW_CONTROL)
  }, 60_000)
})

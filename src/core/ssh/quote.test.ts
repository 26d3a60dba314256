import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { quoteArg, quoteArgv } from './quote'

// The remote login shell may be dash (/bin/sh on Debian) or bash: the quoting must hold in both.
const SHELLS = ['/bin/sh', '/bin/bash'].filter((sh) => existsSync(sh))

// Runs the quoted line through each real shell and returns the argv the shell built.
function shellArgv(line: string): string[] {
  const results = SHELLS.map((sh) => execFileSync(sh, ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8', cwd: '/' }).split('\0').slice(0, -1))
  for (const r of results.slice(1)) expect(r).toEqual(results[0])
  return results[0]!
}

const HOSTILE = [
  '; rm -rf /',
  '$(id)',
  '`id`',
  '${HOME}',
  "it's",
  "'",
  "''",
  '"double"',
  'a\nb',
  '\n',
  '*',
  '/e?c/*',
  '[a-z]*',
  '~',
  '~root',
  '#not a comment',
  'a=b',
  '-n',
  '--',
  '-e \\n',
  'back\\slash\\',
  'tab\there',
  ' leading and trailing ',
  '',
  'ünïcødé 🌍 日本',
  '|& > ~/x < /etc/passwd',
  "!'\"$`\\",
]

describe('quoteArg', () => {
  it.each(HOSTILE.map((s) => [JSON.stringify(s), s]))('keeps %s one intact word', (_label, s) => {
    expect(shellArgv(quoteArg(s))).toEqual([s])
  })

  it('leaves plain words bare and quotes everything else', () => {
    expect(quoteArg('runc')).toBe('runc')
    expect(quoteArg('/var/lib/globehop/images')).toBe('/var/lib/globehop/images')
    expect(quoteArg('--image-path')).toBe('--image-path')
    expect(quoteArg('')).toBe("''")
    expect(quoteArg("it's")).toBe(`'it'\\''s'`)
    expect(quoteArg('a=b')).toBe("'a=b'")
  })
})

describe('quoteArgv', () => {
  it('keeps a whole hostile argv intact, element for element', () => {
    expect(shellArgv(quoteArgv(HOSTILE))).toEqual(HOSTILE)
  })

  it('runs the first word as a command, not as an assignment or a glob', () => {
    const out = execFileSync('/bin/sh', ['-c', quoteArgv(['printf', '%s|', 'x y', '*'])], { encoding: 'utf8', cwd: '/' })
    expect(out).toBe('x y|*|')
  })

  it('refuses an empty argv', () => {
    expect(() => quoteArgv([])).toThrow(/empty argv/)
  })
})

import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MAX_EXEC_STRING, quoteArg, quoteArgv, shNeutralCommand } from './quote'

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

// Login shells sshd may hand the exec string to. csh is tcsh on Debian; zsh is not installed by
// .ci/run (its quoting is POSIX's for this purpose).
const LOGIN_SHELLS = ['/bin/sh', '/bin/bash', '/bin/dash', '/usr/bin/tcsh', '/usr/bin/csh', '/usr/bin/fish', '/usr/bin/zsh']
const MUST_HAVE = ['/usr/bin/tcsh', '/usr/bin/fish'] // .ci/run installs them
const notInstalled = (sh: string) => (existsSync(sh) ? '' : ` (skipped: ${sh} is not installed${MUST_HAVE.includes(sh) ? '; .ci/run installs it: apt-get install tcsh fish' : ''})`)

describe('shNeutralCommand', () => {
  // Every ASCII character but NUL, one per argument and all in one, beside the hostile list.
  const ascii = Array.from({ length: 127 }, (_, i) => String.fromCharCode(i + 1))
  const argv = ['printf', '%s\\0', ...HOSTILE, "\\'", '!!', '!$', '%1', '\r', ...ascii, ascii.join(''), 'é\u00a0\u2028🌍', 'x'.repeat(20_000)]
  const exec = shNeutralCommand(quoteArgv(argv))

  for (const sh of LOGIN_SHELLS) {
    it.skipIf(!existsSync(sh))(`runs the same argv when the login shell is ${sh}${notInstalled(sh)}`, () => {
      // As sshd does: `$SHELL -c STRING`.
      const out = execFileSync(sh, ['-c', exec], { encoding: 'utf8', cwd: '/', env: { PATH: process.env.PATH, HOME: '/nonexistent' } })
      expect(out.split('\0').slice(0, -1)).toEqual(argv.slice(2))
    })
  }

  it('shows why: the POSIX-quoted line itself breaks under tcsh and fish', () => {
    // tcsh: no newline inside '...'; fish: `\'` and `\\` are escapes inside '...'.
    const args = ['a\nb', "it's", "a\\'b", 'c\\\\d']
    const line = quoteArgv(['printf', '%s|', ...args])
    for (const sh of MUST_HAVE.filter((s) => existsSync(s))) {
      let out: string
      try {
        out = execFileSync(sh, ['-c', line], { encoding: 'utf8', cwd: '/', stdio: ['ignore', 'pipe', 'ignore'], env: { PATH: process.env.PATH, HOME: '/nonexistent' } })
      } catch {
        out = '(failed)'
      }
      expect(out, sh).not.toBe(args.map((a) => `${a}|`).join(''))
    }
  })

  it('sends only characters every login shell leaves alone inside single quotes', () => {
    const word = /'([^']*)'$/.exec(exec)![1]!
    // Printable ASCII; a backslash only ever starts an octal escape; no `!`, no `'`.
    expect(word).toMatch(/^[\x20-\x7e]*$/)
    expect(word.replace(/\\0[0-7]{3}/g, '')).not.toMatch(/[\\'!]/)
    expect(exec.startsWith(`exec sh -c 'eval "$(printf %b "$1")"' sh '`)).toBe(true)
  })

  it('refuses a command past the one-argument limit with a clear error', () => {
    expect(() => shNeutralCommand('x'.repeat(MAX_EXEC_STRING))).toThrow(/too long.*stdin/)
  })
})

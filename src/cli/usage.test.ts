// The README's CLI section is the usage text, so neither can drift: a flag added to one and not the
// other fails here.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { main } from './main'
import { USAGE, usageFor } from './usage'

const ROOT = path.resolve(import.meta.dirname, '..', '..')

/** The command lines of the usage text (between "usage:" and the first blank line), dedented. */
function usageCommands(usage: string): string[] {
  const lines = usage.split('\n')
  const start = lines.indexOf('usage:') + 1
  const end = lines.indexOf('', start)
  return lines.slice(start, end).map((l) => l.replace(/^ {2}/, ''))
}

/** The first code block under the README's "## The CLI". */
function readmeCommands(readme: string): string[] {
  const section = readme.split(/^## The CLI$/m)[1]
  if (section === undefined) throw new Error('README.md has no "## The CLI" section')
  const block = /^```\n([\s\S]*?)^```$/m.exec(section)
  if (!block) throw new Error('README.md\'s "## The CLI" section has no code block')
  return block[1]!.replace(/\n$/, '').split('\n')
}

describe('usage text', () => {
  it("is the README's CLI section, line for line", () => {
    expect(readmeCommands(readFileSync(path.join(ROOT, 'README.md'), 'utf8'))).toEqual(usageCommands(USAGE))
  })

  it('names every subcommand and the flags of migrate and tour', () => {
    const text = usageCommands(USAGE).join('\n')
    for (const cmd of ['demo', 'open', 'serve', 'validate', 'preflight', 'migrate', 'tour', 'export', 'replay', 'recover', 'lab']) expect(text).toMatch(new RegExp(`^globehop ${cmd} `, 'm'))
    for (const flag of ['--tracking criu|rsync', '--no-probe', '--no-record', '--no-sandbox']) expect(text).toContain(flag)
  })

  it('finds a changed README line', () => {
    const readme = ['# x', '## The CLI', '', '```', ...usageCommands(USAGE), '```', ''].join('\n')
    expect(readmeCommands(readme)).toEqual(usageCommands(USAGE))
    expect(readmeCommands(readme.replace(' [--no-probe]', ''))).not.toEqual(usageCommands(USAGE))
  })
})

describe('usageFor', () => {
  it("is the usage text's entries for those subcommands, descriptions included, in its order", () => {
    expect(usageFor('recover', 'validate').split('\n')).toEqual([
      'usage:',
      '  globehop validate FILE                  check a tour file; prints problems or "ok"',
      '  globehop recover FILE [--dry-run] [--wait SECONDS]',
      '                                          after a crash mid-hop: find what runs where, repair it',
    ])
    expect(usageFor('tour')).not.toContain('globehop tour FILE --to')
    expect(usageFor('tour')).not.toMatch(/globehop (migrate|preflight)/)
  })
})

describe('--version', () => {
  it("prints package.json's version", async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
    const out: string[] = []
    const log = console.log
    console.log = (s: string) => void out.push(s)
    try {
      expect(await main(['--version'])).toBe(0)
    } finally {
      console.log = log
    }
    expect(out).toEqual([`globehop ${pkg.version}`])
  })
})

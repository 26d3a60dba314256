import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { stubCommands } from '../../../test/stub-commands'
import { compressLevel, rsyncArgv } from './rsync'

const target = { address: '198.51.100.12', port: 22, user: 'root' }

describe('rsync argv: no tour value can be read as an option', () => {
  it('puts `--` before the source and destination, and at the end of --rsh (rsync appends the host there)', () => {
    const argv = rsyncArgv({ from: '/a', to: '/b', target, compress: false })
    expect(argv.slice(-3)).toEqual(['--', '/a/', '198.51.100.12:/b/'])
    const rsh = argv[argv.indexOf('--rsh') + 1]!
    expect(rsh.endsWith(' -p 22 -l root --')).toBe(true)
  })

  it('refuses an address or user that ssh would take for an option, or a shell would read', () => {
    for (const address of ['-oProxyCommand=x', '-v', '-F./x', 'a b', '$(id)', 'h;reboot']) {
      expect(() => rsyncArgv({ from: '/a', to: '/b', target: { ...target, address }, compress: false }), address).toThrow(/unsafe address/)
    }
    expect(() => rsyncArgv({ from: '/a', to: '/b', target: { ...target, user: '-oProxyCommand=x' }, compress: false })).toThrow(/unsafe user/)
  })

  it('run for real: ssh gets its options, then `--`, then the host (an IPv6 literal bracketed for rsync, bare for ssh)', () => {
    const src = mkdtempSync(path.join(tmpdir(), 'gh-rsync-'))
    writeFileSync(path.join(src, 'pages-1.img'), 'x')
    for (const address of ['198.51.100.12', '2001:db8::12']) {
      const stub = stubCommands({ ssh: 'exit 255' })
      const argv = rsyncArgv({ from: src, to: '/var/lib/globehop/images/x', target: { ...target, address }, compress: false })
      expect(argv.at(-1)).toBe(`${address.includes(':') ? `[${address}]` : address}:/var/lib/globehop/images/x/`)
      const r = spawnSync(argv[0]!, argv.slice(1), { env: stub.env, encoding: 'utf8', timeout: 20_000 })
      expect(r.status).not.toBe(0)
      const [call, ...more] = stub.calls()
      expect(more).toEqual([])
      const dd = call!.args.indexOf('--')
      expect(call!.args.slice(dd - 4, dd + 3)).toEqual(['-p', '22', '-l', 'root', '--', address, 'rsync'])
      expect(call!.args.slice(dd + 1).at(-1)).toBe('/var/lib/globehop/images/x/')
    }
  })
})

describe('rsync argv: what the destination holds after a snapshot', () => {
  it('a file rewritten at its old size within the same second is still copied (real rsync, local dirs)', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'gh-rsync-'))
    const [src, dst] = [path.join(root, 'snap'), path.join(root, 'img')]
    mkdirSync(src)
    const file = (dir: string) => path.join(dir, 'pages-1.img')
    writeFileSync(file(src), Buffer.alloc(8192, 1))
    utimesSync(file(src), 1_800_000_000.1, 1_800_000_000.1)
    // rsyncArgv's own options, with local dirs in place of the host (no ssh here).
    const argv = rsyncArgv({ from: src, to: dst, target, compress: false, delta: true })
    const opts = argv.slice(1, argv.indexOf('--rsh'))
    const copy = () => spawnSync('rsync', [...opts, '--', `${src}/`, `${dst}/`], { encoding: 'utf8', timeout: 20_000 })
    expect(copy().status).toBe(0)
    // The second snapshot: the same size, a mtime in the same whole second.
    writeFileSync(file(src), Buffer.alloc(8192, 2))
    utimesSync(file(src), 1_800_000_000.6, 1_800_000_000.6)
    expect(Math.floor(statSync(file(src)).mtimeMs / 1000)).toBe(Math.floor(statSync(file(dst)).mtimeMs / 1000))
    expect(copy().status).toBe(0)
    expect(readFileSync(file(dst)).equals(readFileSync(file(src)))).toBe(true)
  })
})

describe('zstd level from the link rate', () => {
  it('slow links compress harder, fast and unmeasured ones at level 1', () => {
    expect([5, 10, 25, 50, 100, 150, 1000].map(compressLevel)).toEqual([9, 9, 9, 3, 3, 1, 1])
    expect([null, undefined, 0, NaN].map(compressLevel)).toEqual([1, 1, 1, 1])
    const argv = rsyncArgv({ from: '/a', to: '/b', target, compress: true, mbitPerSec: 9.1 })
    expect(argv).toContain('--compress-level=9')
    expect(rsyncArgv({ from: '/a', to: '/b', target, compress: false })).not.toContain('--compress')
  })
})

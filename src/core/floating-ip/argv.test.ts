import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { addAddress, delAddress, gratuitousArp, holdsAddress, readTrackFile, writeTrackFile } from './argv'

const run = promisify(execFile)

describe('floating IP command lines', () => {
  it('manual method: ip addr add/del with prefix and interface, then unsolicited ARP', () => {
    expect(addAddress('198.51.100.100', 24, 'eth0')).toEqual(['ip', 'addr', 'add', '198.51.100.100/24', 'dev', 'eth0'])
    expect(delAddress('198.51.100.100', 24, 'eth0')).toEqual(['ip', 'addr', 'del', '198.51.100.100/24', 'dev', 'eth0'])
    expect(gratuitousArp('198.51.100.100', 'eth0')).toEqual(['arping', '-U', '-c', '3', '-w', '2', '-I', 'eth0', '--', '198.51.100.100'])
  })
  it('keepalived track file: written for real, directory created, hostile path stays one path', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gh-ip-'))
    const file = path.join(dir, "new dir; touch $(pwned)", 'vrrp-owner')
    for (const [owner, want] of [[true, '1\n'], [false, '0\n']] as const) {
      const argv = writeTrackFile(file, owner)
      await run(argv[0]!, argv.slice(1))
      expect(readFileSync(file, 'utf8')).toBe(want)
    }
  })
  it('a track file path shaped like an option stays a path for mkdir and cat (`--`)', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'gh-ip-'))
    const file = '-v/vrrp-owner'
    const w = writeTrackFile(file, true)
    await run(w[0]!, w.slice(1), { cwd })
    expect(readFileSync(path.join(cwd, file), 'utf8')).toBe('1\n')
    const r = readTrackFile(file)
    expect(r).toEqual(['cat', '--', file])
    expect((await run(r[0]!, r.slice(1), { cwd })).stdout).toBe('1\n')
  })
  it('tells who holds the address from `ip -o -4 addr show`, not a longer one sharing its prefix', () => {
    const out = '1: lo    inet 127.0.0.1/8 scope host lo\n2: eth0    inet 198.51.100.11/24 brd 198.51.100.255 scope global eth0\n2: eth0    inet 198.51.100.100/24 scope global secondary eth0\n'
    expect(holdsAddress(out, '198.51.100.100')).toBe(true)
    expect(holdsAddress(out, '198.51.100.10')).toBe(false)
    expect(holdsAddress(out.split('\n').slice(0, 2).join('\n'), '198.51.100.100')).toBe(false)
  })
})

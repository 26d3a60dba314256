import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkHostKey, fingerprint, knownKeyTypes, parseKnownHosts } from './known-hosts'

// Two real ed25519 public keys, their `ssh-keygen -lf` fingerprints, and lines `ssh-keygen -H` hashed.
const K1 = 'AAAAC3NzaC1lZDI1NTE5AAAAIJYafgT7V2YZf2qnEQvQCAPW6ArlcUDCBfDwNVqgbo/t'
const K1_FP = 'SHA256:+HqUf00FiVDo2YxlcHgEgmWlbkCHZNSOpQkeezCLmOM'
const K2 = 'AAAAC3NzaC1lZDI1NTE5AAAAICx7gIFWX3AM05cimoQFuiujddgXBSClMFqudmuNScrw'
const K2_FP = 'SHA256:ECgGg63pY+Esn+mbwRQFa3IgEiiRE81aFHLpcD5La44'
const HASHED_K1_HOST_EXAMPLE = `|1|kbEW3nqePHeFAoDGpVioErWpAxA=|WyJntczGbX9377KBDOn7jOfWrP8= ssh-ed25519 ${K1}`
const HASHED_K2_HOST_EXAMPLE_2222 = `|1|OxUDhMFZrZtaehdBkKRQrwVXtVI=|h+3KlGtKhX6nT6DslMJdFli/dJ8= ssh-ed25519 ${K2}`
const k1 = Buffer.from(K1, 'base64')
const k2 = Buffer.from(K2, 'base64')

describe('fingerprint', () => {
  it('matches ssh-keygen -lf', () => {
    expect(fingerprint(k1)).toBe(K1_FP)
    expect(fingerprint(k2)).toBe(K2_FP)
  })
})

describe('parseKnownHosts', () => {
  it('reads markers, host lists, hashes and skips comments and junk', () => {
    const entries = parseKnownHosts(
      [
        '# comment',
        '',
        `a.example,198.51.100.11 ssh-ed25519 ${K1} root@a`,
        `@revoked * ssh-ed25519 ${K2}`,
        `@cert-authority *.example ssh-ed25519 ${K2}`,
        `@bogus-marker x ssh-ed25519 ${K2}`,
        'only-two fields',
        `wrongtype ssh-rsa ${K1}`,
        HASHED_K1_HOST_EXAMPLE,
      ].join('\n'),
    )
    expect(entries.map((e) => [e.line, e.marker, e.patterns, !!e.hashed])).toEqual([
      [3, undefined, ['a.example', '198.51.100.11'], false],
      [4, 'revoked', ['*'], false],
      [5, 'cert-authority', ['*.example'], false],
      [9, undefined, [], true],
    ])
  })
})

describe('checkHostKey', () => {
  it('plain entry with a comma-separated host list', () => {
    const e = parseKnownHosts(`a.example,198.51.100.11 ssh-ed25519 ${K1}`)
    expect(checkHostKey(e, '198.51.100.11', 22, k1)).toEqual({ ok: true })
    expect(checkHostKey(e, 'A.Example', 22, k1)).toEqual({ ok: true })
    expect(checkHostKey(e, 'a.example', 22, k2)).toEqual({ ok: false, reason: 'mismatch', expected: [K1_FP], actual: K2_FP })
    expect(checkHostKey(e, 'b.example', 22, k1)).toEqual({ ok: false, reason: 'unknown', actual: K1_FP })
    // A plain entry is for port 22 only.
    expect(checkHostKey(e, 'a.example', 2222, k1)).toMatchObject({ ok: false, reason: 'unknown' })
  })

  it('[host]:port entries for other ports', () => {
    const e = parseKnownHosts(`[a.example]:2222 ssh-ed25519 ${K1}\na.example ssh-ed25519 ${K2}`)
    expect(checkHostKey(e, 'a.example', 2222, k1)).toEqual({ ok: true })
    expect(checkHostKey(e, 'a.example', 2222, k2)).toEqual({ ok: false, reason: 'mismatch', expected: [K1_FP], actual: K2_FP })
    expect(checkHostKey(e, 'a.example', 22, k2)).toEqual({ ok: true })
    expect(checkHostKey(e, 'a.example', 2223, k1)).toMatchObject({ ok: false, reason: 'unknown' })
  })

  it('hashed entries (made by ssh-keygen -H), port 22 and [host]:port', () => {
    const e = parseKnownHosts(`${HASHED_K1_HOST_EXAMPLE}\n${HASHED_K2_HOST_EXAMPLE_2222}`)
    expect(checkHostKey(e, 'host.example', 22, k1)).toEqual({ ok: true })
    expect(checkHostKey(e, 'host.example', 22, k2)).toEqual({ ok: false, reason: 'mismatch', expected: [K1_FP], actual: K2_FP })
    expect(checkHostKey(e, 'host.example', 2222, k2)).toEqual({ ok: true })
    expect(checkHostKey(e, 'host.example', 2222, k1)).toEqual({ ok: false, reason: 'mismatch', expected: [K2_FP], actual: K1_FP })
    expect(checkHostKey(e, 'other.example', 22, k1)).toMatchObject({ ok: false, reason: 'unknown' })
  })

  it('wildcards and negation', () => {
    const e = parseKnownHosts(`*.lab.example,!bad.lab.example ssh-ed25519 ${K1}\n198.51.100.? ssh-ed25519 ${K1}`)
    expect(checkHostKey(e, 'x.lab.example', 22, k1)).toEqual({ ok: true })
    expect(checkHostKey(e, 'bad.lab.example', 22, k1)).toMatchObject({ reason: 'unknown' })
    expect(checkHostKey(e, '198.51.100.7', 22, k1)).toEqual({ ok: true })
    expect(checkHostKey(e, '198.51.100.17', 22, k1)).toMatchObject({ reason: 'unknown' })
  })

  it('@revoked refuses the key even when a plain entry lists it; @cert-authority grants nothing', () => {
    const e = parseKnownHosts(`a.example ssh-ed25519 ${K1}\n@revoked other.example ssh-ed25519 ${K1}\n@cert-authority * ssh-ed25519 ${K2}`)
    expect(checkHostKey(e, 'a.example', 22, k1)).toEqual({ ok: false, reason: 'revoked', actual: K1_FP })
    expect(checkHostKey(e, 'b.example', 22, k2)).toMatchObject({ ok: false, reason: 'unknown' })
  })

  it('lists known key types for the host so the client can prefer them', () => {
    const e = parseKnownHosts(`a.example ssh-ed25519 ${K1}\n@cert-authority a.example ssh-ed25519 ${K2}`)
    expect(knownKeyTypes(e, 'a.example', 22)).toEqual(['ssh-ed25519'])
    expect(knownKeyTypes(e, 'b.example', 22)).toEqual([])
  })
})

// Fresh keys and a file hashed by the installed ssh-keygen, so the check follows OpenSSH itself.
const hasKeygen = spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).error === undefined

describe.skipIf(!hasKeygen)('against ssh-keygen (skipped when ssh-keygen is not installed)', () => {
  it('hashes and fingerprints like OpenSSH for fresh keys', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-kh-'))
    try {
      const keys = ['a', 'b', 'c'].map((n) => {
        const f = path.join(dir, n)
        execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', n, '-f', f])
        const pub = readFileSync(`${f}.pub`, 'utf8').split(' ')
        const fp = execFileSync('ssh-keygen', ['-lf', `${f}.pub`], { encoding: 'utf8' }).split(' ')[1]
        return { type: pub[0]!, b64: pub[1]!, blob: Buffer.from(pub[1]!, 'base64'), fp }
      })
      const [a, b, c] = keys as [(typeof keys)[0], (typeof keys)[0], (typeof keys)[0]]
      const kh = path.join(dir, 'known_hosts')
      writeFileSync(kh, `198.51.100.11 ${a.type} ${a.b64}\n[198.51.100.12]:2022 ${b.type} ${b.b64}\n`)
      execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'ignore' })
      const text = readFileSync(kh, 'utf8')
      expect(text).not.toContain('198.51.100')
      const e = parseKnownHosts(text)
      expect(e.every((x) => x.hashed)).toBe(true)
      for (const k of keys) expect(fingerprint(k.blob)).toBe(k.fp)
      expect(checkHostKey(e, '198.51.100.11', 22, a.blob)).toEqual({ ok: true })
      expect(checkHostKey(e, '198.51.100.12', 2022, b.blob)).toEqual({ ok: true })
      expect(checkHostKey(e, '198.51.100.12', 2022, c.blob)).toEqual({ ok: false, reason: 'mismatch', expected: [b.fp], actual: c.fp })
      expect(checkHostKey(e, '198.51.100.12', 22, b.blob)).toMatchObject({ reason: 'unknown' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

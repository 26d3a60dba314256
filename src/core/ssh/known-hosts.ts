// OpenSSH known_hosts, checked by the app itself (ssh2 accepts any host key by default).
// Format (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): `[@marker] hosts keytype base64-key [comment]`;
// hosts is a comma list of patterns (`*`, `?`, `!negation`), `[host]:port` for non-22 ports, or
// one hashed entry `|1|base64(salt)|base64(HMAC-SHA1(salt, host-or-[host]:port))`.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

export type KnownHostMarker = 'revoked' | 'cert-authority'

export interface KnownHostEntry {
  /** 1-based line in the file, for messages. */
  line: number
  marker?: KnownHostMarker
  /** Plain patterns (may be empty when hashed). */
  patterns: string[]
  hashed?: { salt: Buffer; hmac: Buffer }
  keyType: string
  key: Buffer
}

export type HostKeyCheck =
  | { ok: true }
  | { ok: false; reason: 'unknown' | 'mismatch' | 'revoked'; expected?: string[]; actual: string }

/** `SHA256:` + unpadded base64 of sha256(key blob): what `ssh-keygen -lf` prints. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`
}

/** The key type named inside an SSH wire-format public key blob (first string). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return ''
  const n = keyBlob.readUInt32BE(0)
  return keyBlob.subarray(4, 4 + n).toString('latin1')
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = []
  text.split('\n').forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/)
    if (!fields[0] || fields[0].startsWith('#')) return
    let marker: KnownHostMarker | undefined
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!.slice(1)
      // Unknown markers: skip the line rather than trust it without the marker.
      if (m !== 'revoked' && m !== 'cert-authority') return
      marker = m
    }
    const [hosts, keyType, b64] = fields
    if (!hosts || !keyType || !b64) return
    const key = Buffer.from(b64, 'base64')
    // A blob that names a different type than the line is corrupt: ignore it.
    if (key.length === 0 || keyTypeOf(key) !== keyType) return
    const entry: KnownHostEntry = { line: i + 1, marker, patterns: [], keyType, key }
    if (hosts.startsWith('|1|')) {
      const [, , salt, hmac] = hosts.split('|')
      if (!salt || !hmac) return
      entry.hashed = { salt: Buffer.from(salt, 'base64'), hmac: Buffer.from(hmac, 'base64') }
    } else {
      entry.patterns = hosts.split(',').filter(Boolean)
    }
    out.push(entry)
  })
  return out
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostKeyName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i')
  return re.test(s)
}

/** Whether an entry names this host (hostnames compare case-insensitively, as in OpenSSH). */
export function entryMatches(e: KnownHostEntry, name: string): boolean {
  const lower = name.toLowerCase()
  if (e.hashed) {
    const mac = createHmac('sha1', e.hashed.salt).update(lower).digest()
    return mac.length === e.hashed.hmac.length && timingSafeEqual(mac, e.hashed.hmac)
  }
  let hit = false
  for (const p of e.patterns) {
    // A matching negated pattern vetoes the whole line.
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), lower)) return false
    } else if (globMatch(p, lower)) hit = true
  }
  return hit
}

/** Key types known for a host, so the client can ask the server for one of those first. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = hostKeyName(host, port)
  return [...new Set(entries.filter((e) => !e.marker && entryMatches(e, name)).map((e) => e.keyType))]
}

/**
 * Strict check, as `StrictHostKeyChecking yes`: the key must be listed for this host and port.
 * A key listed as @revoked is refused whatever host its line names. @cert-authority lines are
 * ignored: we do not verify host certificates, so such hosts need a plain entry too.
 */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, keyBlob: Buffer): HostKeyCheck {
  const actual = fingerprint(keyBlob)
  if (entries.some((e) => e.marker === 'revoked' && e.key.equals(keyBlob))) return { ok: false, reason: 'revoked', actual }
  const name = hostKeyName(host, port)
  const mine = entries.filter((e) => !e.marker && entryMatches(e, name))
  if (mine.some((e) => e.key.equals(keyBlob))) return { ok: true }
  if (mine.length === 0) return { ok: false, reason: 'unknown', actual }
  return { ok: false, reason: 'mismatch', expected: [...new Set(mine.map((e) => fingerprint(e.key)))], actual }
}

// What each kind of tour value may look like. Tour values end up in command lines that run as
// root on the hosts (ssh, rsync, ping, ip, runc, keepalived's track file), so each one is held to
// the shape of the thing it names, not just "a string". Pure zod: the renderer shares it.
import { z } from 'zod'

/** Caps on a tour's size. A real 64-host tour is ~25 KB; yaml's parser slows down by seconds on crafted input far below 1 MiB. */
export const TOUR_LIMITS = {
  fileBytes: 128 * 1024,
  lines: 4096,
  /** Collections inside collections; a tour needs 4 (hosts[0].ssh.host). */
  depth: 16,
  aliases: 64,
  /** Values (keys count too) after aliases are expanded; a 64-host tour with every field set has ~2200. */
  nodes: 5000,
  hosts: 64,
  hops: 256,
  name: 120,
  label: 80,
  description: 2000,
  path: 4096,
} as const

/** C0/C1 controls, DEL, line/paragraph separators, bidi marks, embeddings, overrides and isolates, lone surrogates. */
const UNSAFE_CHAR = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Surrogate}/u
const UNSAFE_CHAR_EXCEPT_NL_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Surrogate}/u

export function unsafeCharProblem(s: string, opts: { multiline?: boolean } = {}): string | null {
  const m = (opts.multiline ? UNSAFE_CHAR_EXCEPT_NL_TAB : UNSAFE_CHAR).exec(s)
  if (!m) return null
  const code = m[0].codePointAt(0)!.toString(16).padStart(4, '0')
  return `control or bidi character U+${code.toUpperCase()} at position ${m.index + 1} (it could rewrite a terminal or reorder text)`
}

/** A string schema whose extra rule returns a message, or null when the value is fine. */
function ruled(max: number, rule: (s: string) => string | null): z.ZodString {
  return z
    .string()
    .min(1)
    .max(max, `at most ${max} characters`)
    .superRefine((s, ctx) => {
      const message = rule(s)
      if (message) ctx.addIssue({ code: 'custom', message })
    })
}

/** Free text shown to people: names, labels, descriptions. */
export function text(max: number, opts: { multiline?: boolean } = {}): z.ZodString {
  return ruled(max, (s) => unsafeCharProblem(s, opts))
}

const IPV4 = z.ipv4()
const IPV6 = z.ipv6()

export const isIpv4 = (s: string): boolean => IPV4.safeParse(s).success
export const isIpv6 = (s: string): boolean => IPV6.safeParse(s).success

/** ssh.host, address, a jump host: an IP literal or an RFC 1123 host name; never a leading "-". */
export function hostProblem(s: string): string | null {
  if (s.startsWith('-')) return 'must not start with "-" (ssh and rsync would read it as an option)'
  if (isIpv4(s) || isIpv6(s)) return null
  if (s.length > 253 || !z.regexes.hostname.test(s)) return 'expected an IPv4 or IPv6 address or a host name (letters, digits, "-" and "." only)'
  // getaddrinfo reads "127.1" or "1.2.3.999" loosely as IPv4 (inet_aton); RFC 1123 forbids an all-digit top label.
  if (/(^|\.)\d+\.?$/.test(s)) return 'not a valid IPv4 address, and a host name cannot end in an all-digit label'
  return null
}

export const hostValue = ruled(253, hostProblem)

/** POSIX-portable login names (useradd's default rule, any case); ssh -l and rsync's --rsh take them. */
const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/
export function userProblem(s: string): string | null {
  return USER.test(s) ? null : 'expected a user name: a letter or "_", then letters, digits, "_", "." or "-" (at most 32)'
}
export const userValue = ruled(32, userProblem)

/** OpenSSH's ProxyJump: `none`, or comma-separated `[user@]host[:port]` with `[v6]` in brackets. */
export function jumpProblem(s: string): string | null {
  if (s.toLowerCase() === 'none') return null
  const specs = s.split(',')
  if (specs.length > 8) return 'at most 8 jump hosts'
  for (const spec of specs) {
    const m = /^(?:([^@]*)@)?(\[[^\]]*\]|[^:[\]]*)(?::(\d{1,5}))?$/.exec(spec)
    if (!m) return `bad jump host ${JSON.stringify(spec)}: expected [user@]host[:port]`
    const [, user, host, port] = m
    const bare = host!.startsWith('[') ? host!.slice(1, -1) : host!
    const problem = (user !== undefined ? userProblem(user) : null) ?? (host!.startsWith('[') && !isIpv6(bare) ? 'expected an IPv6 address in brackets' : hostProblem(bare))
    if (problem) return `jump host ${JSON.stringify(spec)}: ${problem}`
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return `jump host ${JSON.stringify(spec)}: port must be 1-65535`
  }
  return null
}
export const jumpValue = ruled(1024, jumpProblem)

/** Paths on the hosts go into remote command lines (runc, rsync's remote side): portable characters only. */
const REMOTE_PATH = /^(\/[A-Za-z0-9._+-]+)+\/?$/
export function remotePathProblem(s: string): string | null {
  if (!s.startsWith('/')) return 'must be an absolute path'
  if (!REMOTE_PATH.test(s)) return 'use only letters, digits, ".", "_", "+", "-" and "/" (the path goes into command lines on the hosts)'
  if (s.split('/').some((seg) => seg === '.' || seg === '..')) return 'must not contain "." or ".." segments'
  return null
}
export const remotePath = ruled(TOUR_LIMITS.path, remotePathProblem)

/** Folders globehop owns on the hosts: the pipeline writes the track file there as root. */
export const TRACK_FILE_DIRS = ['/run/globehop/', '/var/lib/globehop/'] as const
export const trackFileValue = ruled(TOUR_LIMITS.path, (s) => {
  const p = remotePathProblem(s)
  if (p) return p
  if (s.endsWith('/') || !TRACK_FILE_DIRS.some((d) => s.startsWith(d))) return `must be a file under ${TRACK_FILE_DIRS.join(' or ')} (globehop writes it as root)`
  return null
})

/** Paths on this machine (key, known_hosts): read by the app itself, never a shell; no control characters. */
export const localPath = text(TOUR_LIMITS.path)

/** A Linux interface name (IFNAMSIZ 16 with the NUL; dev_valid_name refuses "/", ":", whitespace, "." and ".."). */
export const interfaceName = ruled(15, (s) =>
  /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/.test(s) && s !== '.' && s !== '..' ? null : 'expected an interface name: 1-15 letters, digits, "_", "." or "-", not starting with "-"',
)

/**
 * The floating IP: one IPv4 unicast address (the manual method moves it with `ip -4` and a 0-32
 * prefix). Loopback is allowed: it never leaves the machine, which is what test tours rely on.
 */
export function floatingIpProblem(s: string): string | null {
  if (!isIpv4(s)) return 'expected an IPv4 address (not a host name, not a range)'
  const first = Number(s.split('.')[0])
  if (first === 0) return 'not a host address (0.0.0.0/8)'
  if (first >= 224 && first <= 239) return 'a multicast address (224.0.0.0/4), not one host'
  if (first >= 240) return 'a reserved or broadcast address (240.0.0.0/4), not one host'
  return null
}
export const floatingIpValue = ruled(15, floatingIpProblem)

/** Whether `ip` is the network or broadcast address of its /prefix (only meaningful up to /30). */
export function subnetEdge(ip: string, prefix: number): 'network' | 'broadcast' | null {
  if (prefix > 30 || prefix < 1) return null
  const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0)
  const host = n % 2 ** (32 - prefix)
  return host === 0 ? 'network' : host === 2 ** (32 - prefix) - 1 ? 'broadcast' : null
}

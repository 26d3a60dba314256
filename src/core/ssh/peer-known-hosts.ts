// Host-to-host SSH (rsync and the link probe, run on the source host towards the destination)
// without trust on first use. globehop itself verified every host's key against the user's
// known_hosts when it connected (connect.ts); it writes exactly those keys into a known_hosts
// file of its own on each source host and has host-to-host ssh check against that file only,
// strictly. A host whose key changed since globehop connected fails the copy instead of being
// trusted.
//
// Peers reach a host at its tour `address` and `ssh.port`, which may differ from the `ssh.host`
// globehop connected to (a public name vs a private address): entries are written for the name
// and port peers type, `[address]:port` when the port is not 22, as OpenSSH looks them up.
import type { Host } from '../../shared/tour'
import { keyTypeOf } from './known-hosts'
import type { Remote } from './types'

/** Default place on each host. ssh expands `~` itself; ~/.ssh already holds the ControlPath. */
export const PEER_KNOWN_HOSTS = '~/.ssh/globehop_known_hosts'

// The path goes into rsync's --rsh (which rsync splits on spaces) and into ssh -o: plain words.
const SAFE_PATH = /^(~\/|\/)[A-Za-z0-9._/-]+$/

function checkPath(file: string): void {
  if (!SAFE_PATH.test(file) || file.split('/').includes('..')) {
    throw new Error(`peer known_hosts path ${JSON.stringify(file)}: must be absolute or start with ~/, letters, digits, ".", "_", "-" and "/" only, no ".."`)
  }
}

/** OpenSSH's default ciphers (9.x), AES-GCM moved first. */
const HOST_SSH_CIPHERS = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr']

/**
 * Options for every host-to-host ssh: strict checking against globehop's file only (no global
 * file, no IP-address entries, no key updates written into it), never asking, and one master
 * connection per host pair shared by the link probe, the snapshots and the final transfer (over
 * a 280 ms RTT a fresh SSH handshake costs ~1 s of the players' outage). The master gives up on a
 * peer that stopped answering for ~30 s (keepalives): seen on the lab, a master whose connection
 * sat in TCP's retransmission backoff after a 70 s cut held the next hop's link probe for its whole
 * 60 s deadline; without the master the next ssh opens a fresh one. Shorter cuts keep the master
 * (TCP resumes), and every transfer's own stall watch (15 s or more) fails a stuck copy first.
 * AES-GCM first: the image's bytes cross this connection, and on the lab (x86 with AES-NI, two
 * cores, shaping off) 95 MB took ~190 ms of copy with aes128-gcm against ~250 ms with OpenSSH's
 * default first choice, chacha20-poly1305; the rest of the default list follows, for peers without it.
 */
export function hostSshOpts(knownHostsFile: string = PEER_KNOWN_HOSTS): string[] {
  checkPath(knownHostsFile)
  // prettier-ignore
  return [
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'CheckHostIP=no',
    '-o', 'UpdateHostKeys=no',
    '-o', 'ConnectTimeout=10',
    '-o', 'ControlMaster=auto',
    '-o', 'ControlPath=~/.ssh/globehop-%C',
    '-o', 'ControlPersist=60',
    '-o', 'ServerAliveInterval=10',
    '-o', 'ServerAliveCountMax=3',
    '-o', `Ciphers=${HOST_SSH_CIPHERS.join(',')}`,
  ]
}

export interface PeerHostKey {
  /** Tour host name, for messages. */
  host: string
  /** What peers connect to (tour `address`). */
  address: string
  port: number
  /** SSH wire-format public key blob, as verified by globehop. */
  key: Buffer
}

// A host name or an IPv4/IPv6 literal. Nothing a known_hosts line would read as a pattern
// (`*`, `?`, `!`, `,`), a hash (`|`), a marker (`@`), a comment or a field break.
const HOSTNAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/
const IPV6 = /^[0-9A-Fa-f:.]+$/
const KEY_TYPE = /^[a-z0-9][a-z0-9@.-]*$/

function entryName(p: PeerHostKey): string {
  const a = p.address
  const v6 = a.includes(':')
  if (!(v6 ? IPV6.test(a) : HOSTNAME.test(a))) throw new Error(`${p.host}: address ${JSON.stringify(a)} cannot be written to known_hosts (not a host name or IP literal)`)
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) throw new Error(`${p.host}: bad ssh port ${p.port}`)
  // OpenSSH lower-cases the host name before looking it up.
  const name = a.toLowerCase()
  return p.port === 22 ? name : `[${name}]:${p.port}`
}

/** known_hosts text: one line per (address, port) with the key globehop verified for it. */
export function renderPeerKnownHosts(peers: readonly PeerHostKey[]): string {
  const byName = new Map<string, { host: string; line: string }>()
  for (const p of peers) {
    const name = entryName(p)
    const type = keyTypeOf(p.key)
    if (!KEY_TYPE.test(type)) throw new Error(`${p.host}: host key blob names no valid key type (${JSON.stringify(type)})`)
    const line = `${name} ${type} ${p.key.toString('base64')}`
    const seen = byName.get(name)
    // Two tour hosts that peers reach at the same address and port but that showed globehop
    // different keys: one of them is not what the tour says. Refuse rather than accept both.
    if (seen && seen.line !== line) throw new Error(`${seen.host} and ${p.host} are both reached at ${name} but presented different host keys`)
    byName.set(name, { host: seen?.host ?? p.host, line })
  }
  const header = '# Written by globehop: the host keys it verified against your known_hosts. Rewritten on every connect.\n'
  return header + [...byName.values()].map((e) => `${e.line}\n`).join('')
}

/**
 * The entries for every tour host, from the keys globehop verified (pool.verifiedHostKey).
 * Throws naming the hosts it has no verified key for (not connected yet).
 */
export function peerHostKeys(hosts: readonly Host[], verifiedHostKey: (name: string) => Buffer | null): PeerHostKey[] {
  const missing: string[] = []
  const out: PeerHostKey[] = []
  for (const h of hosts) {
    const key = verifiedHostKey(h.name)
    if (!key) missing.push(h.name)
    else out.push({ host: h.name, address: h.address, port: h.ssh.port, key })
  }
  if (missing.length) throw new Error(`no verified host key for ${missing.join(', ')}: connect to ${missing.length > 1 ? 'them' : 'it'} first`)
  return out
}

/**
 * argv that replaces `file` on a host with the text on stdin: mode 600 from the start (umask),
 * written beside it and renamed, so ssh never reads a half-written file and a symlink at `file`
 * is replaced, not followed. The path is an argument, never pasted into the script.
 */
export function writePeerKnownHostsArgv(file: string = PEER_KNOWN_HOSTS): string[] {
  checkPath(file)
  const script = [
    'f=$1',
    'case $f in "~/"*) f=$HOME/${f#"~/"} ;; esac',
    'umask 077',
    'mkdir -p -- "$(dirname -- "$f")" || exit 1',
    't=$f.tmp.$$',
    'if cat >"$t" && chmod 600 "$t" && mv -f -- "$t" "$f"; then exit 0; fi',
    'rm -f -- "$t"; exit 1',
  ].join('\n')
  return ['sh', '-c', script, 'sh', file]
}

/** Writes globehop's known_hosts for `peers` on `remote` (at `file`). */
export async function writePeerKnownHosts(remote: Remote, peers: readonly PeerHostKey[], file: string = PEER_KNOWN_HOSTS): Promise<void> {
  await remote.run(writePeerKnownHostsArgv(file), { stdin: renderPeerKnownHosts(peers), log: 'command', timeoutMs: 30_000 })
}

/**
 * Writes, on each of `hosts`, the keys globehop verified for all of them, connecting those not
 * connected yet (`remote` as the pipeline's, or `(n) => pool.get(n)`). Call it with the hosts
 * about to talk before their first host-to-host ssh: every host in preflight (before the link
 * probes, which run in parallel), source and destination at the start of a hop. Remotes without
 * verifiedHostKey (test doubles) are left out; a real one without a key yet is an error.
 */
export async function syncPeerKnownHosts(hosts: readonly Host[], remote: (name: string) => Promise<Remote>, file: string = PEER_KNOWN_HOSTS): Promise<void> {
  const remotes = await Promise.all(hosts.map((h) => remote(h.name)))
  const real = hosts.filter((_h, i) => typeof remotes[i]!.verifiedHostKey === 'function')
  if (real.length === 0) return
  const byName = new Map(hosts.map((h, i) => [h.name, remotes[i]!]))
  const peers = peerHostKeys(real, (n) => byName.get(n)!.verifiedHostKey!())
  await Promise.all(real.map((h) => writePeerKnownHosts(byName.get(h.name)!, peers, file)))
}

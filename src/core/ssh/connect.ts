// Opens one authenticated ssh2 connection to an endpoint, through its jump hosts, with strict
// host key checking against known_hosts. No retries here: session.ts decides when to reconnect.
//
// Every ssh2 object here (clients, jump clients, forwarded streams) keeps an 'error' listener
// for its whole life: ssh2 may emit 'error' more than once (a host that accepts TCP and never
// speaks SSH gives a timeout, then "Connection lost before handshake"), and one unheard 'error'
// event kills the process, and with it every hop in flight.
import ssh2, { Client, type AnyAuthMethod, type ConnectConfig, type ServerHostKeyAlgorithm } from 'ssh2'
import type { Readable } from 'node:stream'
import type { SshEndpoint } from './config'
import { checkHostKey, hostKeyName, knownKeyTypes, parseKnownHosts, type HostKeyCheck, type KnownHostEntry } from './known-hosts'
import { MAX_KEY_FILE, MAX_KNOWN_HOSTS, readCapped, UnfitFileError } from './read-capped'
import { SshError } from './types'

export interface ConnectTuning {
  keepaliveIntervalMs: number
  keepaliveCountMax: number
  readyTimeoutMs: number
}

export const DEFAULT_TUNING: ConnectTuning = { keepaliveIntervalMs: 5000, keepaliveCountMax: 3, readyTimeoutMs: 20_000 }

export interface OpenConnection {
  /** The connection to the endpoint itself. */
  client: Client
  /** Jump host connections it rides on, outermost first (closed with it). */
  via: Client[]
  /** The endpoint's host key blob (SSH wire format), as checked against known_hosts. */
  hostKey: Buffer
}

// A known_hosts key type and the host key algorithms ssh2 can negotiate for it (others, e.g.
// security-key types, ssh2 cannot verify and would reject as "Unsupported algorithm").
const HOST_KEY_ALGOS: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
}

async function readKnownHosts(label: string, file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts((await readCapped(label, 'known_hosts file', file, MAX_KNOWN_HOSTS)).toString('utf8'))
  } catch (err) {
    // A missing file means "no host is known": the check then refuses with the file named.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    if (err instanceof UnfitFileError) throw new SshError(label, 'config', err.message)
    throw new SshError(label, 'config', `${label}: cannot read known_hosts file ${file}: ${(err as Error).message}`)
  }
}

function describeEndpoint(ep: SshEndpoint): string {
  return `${ep.user}@${ep.hostname}:${ep.port}`
}

export function hostKeyMessage(label: string, ep: SshEndpoint, check: Exclude<HostKeyCheck, { ok: true }>, file: string): string {
  const where = hostKeyName(ep.hostname, ep.port)
  switch (check.reason) {
    case 'unknown':
      return `${label}: host key for ${where} is not in ${file} (strict checking: refusing). Server's key: ${check.actual}. If this is the right host, add it, e.g. ssh-keyscan -p ${ep.port} ${ep.hostname} >> ${file}`
    case 'mismatch':
      return `${label}: HOST KEY MISMATCH for ${where}: ${file} expects ${check.expected?.join(' or ')} but the server presented ${check.actual}. Someone may be intercepting the connection, or the host was reinstalled; refusing.`
    case 'revoked':
      return `${label}: host key ${check.actual} of ${where} is marked @revoked in ${file}; refusing.`
  }
}

async function authMethods(label: string, ep: SshEndpoint): Promise<AnyAuthMethod[]> {
  const methods: AnyAuthMethod[] = []
  const sock = process.env.SSH_AUTH_SOCK
  // Same order as ssh: agent keys first, then identity files.
  if (ep.agent && sock) methods.push({ type: 'agent', username: ep.user, agent: sock })
  const skipped: string[] = []
  for (const file of ep.identityFiles) {
    let text: Buffer
    try {
      text = await readCapped(label, 'identity file', file, MAX_KEY_FILE)
    } catch (err) {
      const unfit = err instanceof UnfitFileError
      if (ep.identityFromTour) throw new SshError(label, 'config', unfit ? err.message : `${label}: cannot read identity file ${file} named in the tour: ${(err as Error).message}`)
      // Keys from ~/.ssh/config or the default names: skipped like ssh does, but said why.
      if (unfit) skipped.push(err.message.slice(label.length + 2))
      continue
    }
    const parsed = ssh2.utils.parseKey(text)
    if (parsed instanceof Error) {
      const encrypted = /encrypted|passphrase/i.test(parsed.message)
      const why = encrypted ? 'it is passphrase-protected: load it into ssh-agent (ssh-add) instead' : parsed.message
      if (ep.identityFromTour) throw new SshError(label, 'config', `${label}: cannot use identity file ${file}: ${why}`)
      continue
    }
    methods.push({ type: 'publickey', username: ep.user, key: text })
  }
  if (methods.length === 0) {
    throw new SshError(label, 'auth', `${label}: no way to log in to ${describeEndpoint(ep)}: no ssh-agent${ep.agent ? ' (SSH_AUTH_SOCK unset)' : ' (disabled by ssh.agent: false)'} and no usable identity file (set ssh.identityFile in the tour)${skipped.length ? `; skipped: ${skipped.join('; ')}` : ''}`)
  }
  return methods
}

function openOne(label: string, ep: SshEndpoint, sock: Readable | undefined, tuning: ConnectTuning): Promise<{ client: Client; hostKey: Buffer }> {
  return (async () => {
    const entries = await readKnownHosts(label, ep.knownHostsFile)
    const auth = await authMethods(label, ep)
    const known = knownKeyTypes(entries, ep.hostname, ep.port).flatMap((t) => HOST_KEY_ALGOS[t] ?? [])
    return await new Promise<{ client: Client; hostKey: Buffer }>((resolve, reject) => {
      const client = new Client()
      let refused: string | null = null
      let verified: Buffer | null = null
      let settled = false
      const fail = (err: Error) => {
        if (settled) return
        settled = true
        // destroy, not end: end() half-closes and waits for the peer's FIN, which a host that
        // never spoke SSH may never send (the socket would stay open for good).
        client.destroy()
        reject(err)
      }
      const cfg: ConnectConfig = {
        host: ep.hostname,
        port: ep.port,
        username: ep.user,
        sock,
        authHandler: auth,
        keepaliveInterval: tuning.keepaliveIntervalMs,
        keepaliveCountMax: tuning.keepaliveCountMax,
        readyTimeout: tuning.readyTimeoutMs,
        // Ask first for a key type known_hosts lists for this host, as ssh does, so a host with
        // several keys is not reported as a mismatch just because it offered another type first.
        algorithms: known.length > 0 ? { serverHostKey: { remove: known, prepend: known, append: [] } } : undefined,
        hostVerifier: (key: Buffer) => {
          const check = checkHostKey(entries, ep.hostname, ep.port, key)
          if (check.ok) {
            verified = Buffer.from(key)
            return true
          }
          refused = hostKeyMessage(label, ep, check, ep.knownHostsFile)
          return false
        },
      }
      client.once('ready', () => {
        // 'ready' follows a successful hostVerifier; without a key something is badly off.
        if (!verified) return fail(new SshError(label, 'host-key', `${label}: connected to ${describeEndpoint(ep)} without a verified host key; refusing`))
        if (settled) return
        settled = true
        // No Nagle: the engine's writes are small and each one waits on the far side (a go-ahead,
        // a fence, a command's stdin). Held behind an unacknowledged packet on the connection, the
        // go-ahead reached the lab's Montreal one RTT late (~66 ms over its one-way delay).
        client.setNoDelay(true)
        resolve({ client, hostKey: verified })
      })
      // Permanent (see the top of this file); errors after the handshake go to 'close' watchers.
      client.on('error', (err: Error & { level?: string }) => {
        if (settled) return
        if (refused) return fail(new SshError(label, 'host-key', refused))
        if (err.level === 'client-authentication') {
          const tried = auth.map((a) => (a.type === 'agent' ? 'ssh-agent' : a.type === 'publickey' ? 'key file' : a.type)).join(', ')
          return fail(new SshError(label, 'auth', `${label}: authentication as ${ep.user} on ${ep.hostname}:${ep.port} failed (tried ${tried}: ${ep.identityFiles.join(', ') || 'no files'})`))
        }
        fail(new SshError(label, 'network', `${label}: cannot connect to ${describeEndpoint(ep)}: ${err.message}`))
      })
      client.once('close', () => fail(new SshError(label, 'network', refused ?? `${label}: connection to ${describeEndpoint(ep)} closed during the handshake`)))
      try {
        client.connect(cfg)
      } catch (err) {
        fail(new SshError(label, 'config', `${label}: ${(err as Error).message}`))
      }
    })
  })()
}

function forward(via: Client, label: string, ep: SshEndpoint): Promise<Readable> {
  return new Promise((resolve, reject) => {
    via.forwardOut('127.0.0.1', 0, ep.hostname, ep.port, (err, stream) => {
      if (err) return reject(new SshError(label, 'network', `${label}: jump host cannot reach ${ep.hostname}:${ep.port}: ${err.message}`))
      // The next hop's client reports a broken tunnel itself; this only keeps the stream's own
      // 'error' event from being unhandled.
      stream.on('error', () => {})
      resolve(stream)
    })
  })
}

/** Connects to `ep`, hopping through `ep.jumps` in order (each checked against its own known_hosts). */
export async function openConnection(label: string, ep: SshEndpoint, tuning: ConnectTuning = DEFAULT_TUNING): Promise<OpenConnection> {
  const via: Client[] = []
  try {
    let sock: Readable | undefined
    for (let i = 0; i < ep.jumps.length; i++) {
      const j = ep.jumps[i]!
      const jumpLabel = `${label} (jump host ${j.alias})`
      const { client: c } = await openOne(jumpLabel, j, sock, tuning)
      via.push(c)
      sock = await forward(c, jumpLabel, ep.jumps[i + 1] ?? ep)
    }
    const { client, hostKey } = await openOne(label, ep, sock, tuning)
    // A jump connection dying takes the tunnel, and so the target connection, with it.
    for (const c of via) c.once('close', () => client.end())
    return { client, via, hostKey }
  } catch (err) {
    for (const c of via) c.end()
    throw err
  }
}

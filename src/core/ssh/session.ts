// One kept-open SSH connection per host, behind the Remote interface the pipeline codes against.
// - strict host key checking and ssh-like auth/config: connect.ts, config.ts;
// - at most `maxChannels` exec channels at once (OpenSSH's MaxSessions defaults to 10), the rest queue;
// - a dropped connection is noticed (keepalives, socket close) and re-opened by the next command,
//   with backoff; a command running when the connection drops fails (it is never re-run: most
//   pipeline commands are not idempotent).
import type { Client } from 'ssh2'
import type SSHConfig from 'ssh-config'
import type { HostConnState } from '../../shared/contract'
import type { Host } from '../../shared/tour'
import { noEmit, type Emit } from '../events'
import { loadSshConfig, resolveSshTarget, type SshEndpoint } from './config'
import { DEFAULT_TUNING, openConnection, type ConnectTuning, type OpenConnection } from './connect'
import { Limiter } from './limiter'
import { checkSignalName, RemoteExec } from './command'
import { quoteArgv } from './quote'
import { RemoteCommandError, RemoteTimeoutError, SshError, type Remote, type RemoteProcess, type RunOptions, type RunResult, type Stream } from './types'

export interface ConnectRemoteOptions {
  emit?: Emit
  onState?: (s: HostConnState, detail?: string) => void
  /** Overrides the known_hosts file (tour `ssh.knownHosts`, ssh config, ~/.ssh/known_hosts). */
  knownHostsFile?: string
  /** Parsed ssh config; default: ~/.ssh/config if it exists. null: use none. */
  sshConfig?: SSHConfig | null
  /** Concurrent exec channels on the connection (default 8, under OpenSSH's MaxSessions 10). */
  maxChannels?: number
  tuning?: Partial<ConnectTuning>
  /** Reconnect attempts after a drop, and the first backoff delay (doubling, capped at 4 s). */
  reconnectAttempts?: number
  reconnectDelayMs?: number
  /** After kill()/timeout (TERM to the command's process group), how long before KILL follows. */
  killGraceMs?: number
}

const TAIL_LINES = 20
const TAIL_CHARS = 2000

function tail(text: string): string {
  const lines = text.trimEnd().split(/\r\n|\r|\n/).slice(-TAIL_LINES).join('\n')
  return lines.length > TAIL_CHARS ? `…${lines.slice(-TAIL_CHARS)}` : lines
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Opens the exec channel. sshd frees a finished session's MaxSessions slot a moment after our
 * side saw its channel close (it collects dead channels after handling the packets at hand), so
 * a channel opened in that gap is refused though the bound holds. A refused channel ran nothing:
 * two quick retries cover the gap; a real overload still fails.
 */
async function openChannel(exec: RemoteExec): Promise<Awaited<ReturnType<RemoteExec['open']>>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await exec.open()
    } catch (err) {
      // ssh2 sets `reason` only on a CHANNEL_OPEN_FAILURE from the server.
      if ((err as { reason?: unknown }).reason === undefined || attempt >= 2) throw err
      await sleep(20 * (attempt + 1))
    }
  }
}

export class SshRemote implements Remote {
  readonly endpoint: SshEndpoint
  private conn: OpenConnection | null = null
  private connecting: Promise<Client> | null = null
  private closed = false
  private hostKey: Buffer | null = null
  private readonly limiter: Limiter
  private readonly emit: Emit
  private readonly tuning: ConnectTuning
  /** How many times the connection was (re)opened. */
  connects = 0

  constructor(
    readonly host: Host,
    private readonly opts: ConnectRemoteOptions = {},
  ) {
    const config = opts.sshConfig === undefined ? loadSshConfig() : opts.sshConfig
    this.endpoint = resolveSshTarget(host.ssh, { config })
    if (opts.knownHostsFile) this.endpoint.knownHostsFile = opts.knownHostsFile
    this.limiter = new Limiter(opts.maxChannels ?? 8)
    this.emit = opts.emit ?? noEmit
    this.tuning = { ...DEFAULT_TUNING, ...opts.tuning }
  }

  /** Channels open now, waiting, and the most ever open at once. */
  get channelStats(): { active: number; queued: number; peak: number } {
    return this.limiter.stats
  }

  get connected(): boolean {
    return this.conn !== null
  }

  /** The host key this connection verified (known_hosts): peers are told to expect it. */
  verifiedHostKey(): Buffer | null {
    return this.hostKey
  }

  private state(s: HostConnState, detail?: string): void {
    this.opts.onState?.(s, detail)
  }

  private describe(): string {
    const e = this.endpoint
    const via = e.jumps.length ? ` via ${e.jumps.map((j) => j.alias).join(' -> ')}` : ''
    return `${e.user}@${e.hostname}:${e.port}${via}`
  }

  /** Opens the connection (once); later calls reuse it or re-open it after a drop. */
  async client(): Promise<Client> {
    if (this.closed) throw new SshError(this.host.name, 'closed', `${this.host.name}: connection was closed`)
    if (this.conn) return this.conn.client
    this.connecting ??= this.open().finally(() => (this.connecting = null))
    return this.connecting
  }

  private async open(): Promise<Client> {
    // The first connect has one try (a wrong tour should fail fast); re-connects back off.
    const attempts = this.connects === 0 ? 1 : 1 + (this.opts.reconnectAttempts ?? 4)
    let delay = this.opts.reconnectDelayMs ?? 250
    let last: unknown
    for (let i = 0; i < attempts; i++) {
      if (i > 0) {
        await sleep(delay)
        delay = Math.min(delay * 2, 4000)
      }
      if (this.closed) break
      this.state('connecting', i > 0 ? `attempt ${i + 1} of ${attempts}` : this.describe())
      try {
        const conn = await openConnection(this.host.name, this.endpoint, this.tuning)
        if (this.closed) {
          conn.client.end()
          break
        }
        this.conn = conn
        this.hostKey = conn.hostKey
        this.connects++
        conn.client.on('error', () => {}) // reported through 'close'; keeps Node from throwing
        conn.client.once('close', () => {
          if (this.conn !== conn) return
          this.conn = null
          for (const v of conn.via) v.end()
          if (!this.closed) this.state('error', `connection to ${this.describe()} lost; the next command reconnects`)
        })
        this.state('connected', this.describe())
        return conn.client
      } catch (err) {
        last = err
        this.state('error', (err as Error).message)
        // Wrong keys, unknown host keys and bad config do not get better by retrying.
        if (err instanceof SshError && err.kind !== 'network') throw err
      }
    }
    if (this.closed) throw new SshError(this.host.name, 'closed', `${this.host.name}: connection was closed`)
    throw last
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const proc = this.spawn(argv, opts)
    const res = await proc.done
    if (res.code !== 0 && !opts.allowFail) throw new RemoteCommandError(this.host.name, quoteArgv(argv), res.code, tail(res.stderr))
    return res
  }

  start(argv: readonly string[], opts: Omit<RunOptions, 'allowFail'> = {}): RemoteProcess {
    return this.spawn(argv, opts)
  }

  private spawn(argv: readonly string[], opts: RunOptions): RemoteProcess {
    const name = this.host.name
    const cmd = quoteArgv(argv)
    let exec: RemoteExec | null = null
    // Why the command was stopped early, if it was.
    let stopped: { why: 'kill' | 'timeout' | 'abort'; signal: string } | null = null
    let over = false

    const kill = (signal: string, why: 'kill' | 'timeout' | 'abort') => {
      if (over || stopped) return
      stopped = { why, signal }
      exec?.kill(signal) // not started yet: it will not be
    }
    const timer = opts.timeoutMs !== undefined ? setTimeout(() => kill('TERM', 'timeout'), opts.timeoutMs) : undefined
    const onAbort = () => kill('TERM', 'abort')
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    if (opts.signal?.aborted) onAbort()

    const log = opts.log !== false
    const logOutput = log && opts.log !== 'command'
    const onLine = (stream: Stream, line: string) => {
      opts.onLine?.(stream, line)
      if (logOutput) this.emit('log', { host: name, stream, line, at: Date.now() })
    }

    const done = (async (): Promise<RunResult> => {
      const release = await this.limiter.acquire()
      try {
        const client = stopped ? null : await this.client()
        if (!client || stopped) throw this.stoppedError(cmd, stopped!, opts, '')
        try {
          exec = new RemoteExec(client, cmd, { stdin: opts.stdin, onLine, killGraceMs: this.opts.killGraceMs ?? 2000 })
        } catch (err) {
          throw new Error(`${name}: ${(err as Error).message}`)
        }
        if (log) this.emit('log', { host: name, stream: 'cmd', line: cmd, at: Date.now() })
        const finished = await openChannel(exec).catch((err: Error) => {
          throw new SshError(name, 'network', `${name}: cannot start \`${cmd}\`: ${err.message}`)
        })
        // kill() may have come while the channel was opening.
        const early = stopped as { signal: string } | null
        if (early) exec.kill(early.signal)
        const outcome = await finished
        const st = stopped as { why: 'kill' | 'timeout' | 'abort'; signal: string } | null
        const stderr = outcome.kind === 'exit' ? outcome.result.stderr : outcome.stderr
        if (st && st.why !== 'kill') throw this.stoppedError(cmd, st, opts, tail(stderr))
        if (outcome.kind === 'lost') {
          throw new SshError(name, 'lost', `${name}: connection lost while running \`${cmd}\`; its outcome is unknown${stderr ? `: ${tail(stderr)}` : ''}`)
        }
        return outcome.result
      } finally {
        over = true
        release()
        clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
      }
    })()
    // kill() of a start()ed process resolves `done` with the exit code; only timeouts/aborts reject.
    return {
      done,
      groupId: () => exec?.groupId ?? null,
      kill: (signal?: string) => {
        checkSignalName(signal ?? 'TERM')
        kill(signal ?? 'TERM', 'kill')
      },
    }
  }

  private stoppedError(cmd: string, stopped: { why: string }, opts: RunOptions, stderrTail: string): Error {
    if (stopped.why === 'timeout') return new RemoteTimeoutError(this.host.name, cmd, opts.timeoutMs ?? 0, stderrTail)
    const e = new Error(`${this.host.name}: \`${cmd}\` was ${stopped.why === 'abort' ? 'cancelled' : 'killed'}${stderrTail ? `: ${stderrTail}` : ''}`)
    e.name = stopped.why === 'abort' ? 'AbortError' : 'RemoteKilledError'
    return e
  }

  async close(): Promise<void> {
    this.closed = true
    const conn = this.conn
    this.conn = null
    if (conn) {
      const gone = new Promise<void>((r) => conn.client.once('close', () => r()))
      conn.client.end()
      for (const v of conn.via) v.end()
      await Promise.race([gone, sleep(2000)])
    }
    this.state('idle')
  }
}

/** Connects to a tour host (strict host keys, agent/key auth, ProxyJump) and returns its Remote. */
export async function connectRemote(host: Host, opts: ConnectRemoteOptions = {}): Promise<Remote> {
  const remote = new SshRemote(host, opts)
  await remote.client()
  return remote
}

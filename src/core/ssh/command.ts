// One remote command on an open ssh2 connection: output capture and line streaming, exit status,
// and killing it (timeout, abort, kill()).
//
// Killing: OpenSSH delivers the RFC 4254 "signal" request with killpg(), but refuses it for root
// sessions ("session signalling requires privilege separation": root logins skip the post-auth
// privsep child), and the lab logs in as root. sshd starts each command in its own session
// (setsid), so the login shell's PID is also the process group of everything the command starts.
// The command therefore first reports `$$` on stderr (a marker line we strip), and a kill runs
// `kill -SIG -PID` on a second channel. The signal request is sent as well, for servers
// where it works.
//
// The PID line and the command run under `sh` whatever the user's login shell is: see
// shNeutralCommand in quote.ts.
import { constants as osConstants } from 'node:os'
import { Readable } from 'node:stream'
import type { Client, ClientChannel } from 'ssh2'
import { LineSplitter } from './lines'
import { shNeutralCommand } from './quote'
import type { RunResult, Stream } from './types'

const MAX_OUTPUT = 16 * 1024 * 1024
const PID_MARK = 'globehop-pid:'
const PID_LINE = new RegExp(`^${PID_MARK}(\\d+)$`)

/** Keeps the last MAX_OUTPUT bytes of a stream. */
class Capture {
  private chunks: Buffer[] = []
  private size = 0
  push(b: Buffer): void {
    this.chunks.push(b)
    this.size += b.length
    while (this.size > MAX_OUTPUT && this.chunks.length > 1) this.size -= this.chunks.shift()!.length
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8')
  }
}

function signalCode(name: string | undefined): number {
  // The protocol says `TERM`; ssh2 reports it as `SIGTERM`. Accept both.
  const key = name?.startsWith('SIG') ? name : `SIG${name}`
  const n = name ? (osConstants.signals as Record<string, number>)[key] : undefined
  return 128 + (n ?? 0)
}

// ssh2's Channel.signal() refuses once we sent EOF on stdin (always, like `ssh -n`), although EOF
// only ends our data direction; send the request through the protocol object instead (ssh2 is
// pinned; falls back to Channel.signal()).
interface ChannelInternals {
  outgoing?: { id: number; state: string }
  _client?: { _protocol?: { signal?: (id: number, name: string) => void } }
}
function signalRequest(ch: ClientChannel, name: string): void {
  const c = ch as unknown as ChannelInternals
  const proto = c._client?._protocol
  const state = c.outgoing?.state
  try {
    if ((state === 'open' || state === 'eof') && typeof proto?.signal === 'function') proto.signal(c.outgoing!.id, name)
    else ch.signal(name)
  } catch {
    // Best effort: the process-group kill below is what we rely on.
  }
}

/** The name goes into the kill command line: only signal names pass. */
export function checkSignalName(signal: string): void {
  if (!/^(SIG)?[A-Z][A-Z0-9+-]*$/.test(signal)) throw new Error(`kill: bad signal name ${JSON.stringify(signal)}`)
}

export interface ExecOptions {
  stdin?: string | Buffer | Readable
  onLine?: (stream: Stream, line: string) => void
  /** After a kill, how long before KILL follows TERM and the channel is closed. */
  killGraceMs: number
}

export type ExecOutcome =
  | { kind: 'exit'; result: RunResult }
  /** The channel closed with no exit status: the connection dropped. */
  | { kind: 'lost'; stdout: string; stderr: string }

export class RemoteExec {
  private channel: ClientChannel | null = null
  private pid: number | null = null
  private pendingSignal: string | null = null
  private finished = false
  private killedWith: string | null = null
  private timers: NodeJS.Timeout[] = []
  private giveUp: (() => void) | null = null
  private readonly wrapped: string

  /** Throws when the command is too long to send (see shNeutralCommand). */
  constructor(
    private readonly client: Client,
    cmd: string,
    private readonly opts: ExecOptions,
  ) {
    this.wrapped = shNeutralCommand(`printf '${PID_MARK}%s\\n' "$$" >&2; ${cmd}`)
  }

  /** Opens the channel (rejects when the server refuses it) and resolves once it is running. */
  open(): Promise<Promise<ExecOutcome>> {
    const t0 = Date.now()
    return new Promise((resolveOpen, rejectOpen) => {
      this.client.exec(this.wrapped, (err, ch) => {
        if (err) return rejectOpen(err)
        this.channel = ch
        // A channel error (e.g. writing stdin after the connection died) must not be an
        // unhandled 'error' event; the outcome is reported through 'close'.
        ch.on('error', () => {})
        ch.stderr.on('error', () => {})
        const out = new Capture()
        const errCap = new Capture()
        const outLines = new LineSplitter((l) => this.opts.onLine?.('stdout', l))
        const errLines = new LineSplitter((l) => {
          if (this.pid === null) {
            const m = PID_LINE.exec(l)
            if (m) return this.gotPid(Number(m[1]))
          }
          this.opts.onLine?.('stderr', l)
        })
        ch.on('data', (b: Buffer) => (out.push(b), outLines.push(b)))
        ch.stderr.on('data', (b: Buffer) => (errCap.push(b), errLines.push(b)))
        const stdin = this.opts.stdin
        // A stream stays open for what the caller writes later (a go-ahead); EOF when it ends.
        if (stdin instanceof Readable) stdin.pipe(ch)
        else if (stdin !== undefined) ch.end(stdin)
        else ch.end()
        const finished = new Promise<ExecOutcome>((resolve) => {
          let status: { code: number | null; signal?: string } | null = null
          const finish = () => {
            if (this.finished) return
            this.finished = true
            for (const t of this.timers) clearTimeout(t)
            outLines.end()
            errLines.end()
            const stdout = out.text()
            const stderr = errCap.text().replace(new RegExp(`(^|\\n)${PID_MARK}\\d+\\n`), '$1')
            if (!status && this.killedWith) status = { code: null, signal: this.killedWith }
            if (!status) return resolve({ kind: 'lost', stdout, stderr })
            resolve({ kind: 'exit', result: { code: status.code ?? signalCode(status.signal), stdout, stderr, ms: Date.now() - t0 } })
          }
          ch.on('exit', (code: number | null, signal?: string) => (status = { code, signal }))
          ch.on('close', finish)
          this.giveUp = finish
        })
        resolveOpen(finished)
      })
    })
  }

  /** The command's process group on the host, once it reported it (null before). */
  get groupId(): number | null {
    return this.pid
  }

  private gotPid(pid: number): void {
    this.pid = pid
    if (this.pendingSignal) this.signalGroup(this.pendingSignal)
  }

  private signalGroup(signal: string): void {
    if (this.finished || !this.channel) return
    signalRequest(this.channel, signal)
    if (this.pid === null) {
      this.pendingSignal = signal
      return
    }
    // On its own channel, outside the caller's channel bound: a kill must not wait in a queue.
    // `kill -SIG -PGID`: dash (Debian's sh) refuses `kill -s SIG -- -PGID` ("Illegal number: -").
    try {
      this.client.exec(shNeutralCommand(`kill -${signal.replace(/^SIG/, '')} -${this.pid} 2>/dev/null`), (err, ch) => {
        if (err) return
        ch.on('error', () => {})
        ch.stderr.on('error', () => {})
        ch.on('close', () => {}).resume().end()
      })
    } catch {
      // ssh2 throws "Not connected" once the connection is gone: nothing left to signal.
    }
  }

  /** TERM (or `signal`) now; KILL and channel close after the grace period; stop waiting after that. */
  kill(signal = 'TERM'): void {
    checkSignalName(signal)
    if (this.finished || this.killedWith) return
    this.killedWith = signal
    this.signalGroup(signal)
    const g = this.opts.killGraceMs
    this.timers.push(
      setTimeout(() => this.signalGroup('KILL'), g),
      setTimeout(() => {
        try {
          this.channel?.close()
        } catch {
          // the connection is already gone
        }
      }, g + 1000),
      setTimeout(() => this.giveUp?.(), g + 2000),
    )
  }
}

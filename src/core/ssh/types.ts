// The engine's view of one remote host. The pipeline codes against this interface; the ssh2
// implementation lives beside it (a test may use the same interface over the lab).
import type { Readable } from 'node:stream'
import type { Host } from '../../shared/tour'

export type Stream = 'stdout' | 'stderr'

export interface RunOptions {
  /** Bytes or text written to the command's stdin, then stdin is closed; or a stream whose
   *  writes go to stdin as they come (stdin closes when it ends). */
  stdin?: string | Buffer | Readable
  /** Kill the command (and fail) after this long. */
  timeoutMs?: number
  /** Called per complete line of output as it arrives. Lines end at `\n`, `\r\n` or a bare `\r`
   *  (so each `\r`-separated progress update of rsync is its own line). */
  onLine?: (stream: Stream, line: string) => void
  /** Resolve with the exit code instead of throwing on non-zero exit. */
  allowFail?: boolean
  signal?: AbortSignal
  /**
   * Which `log` events (sent to every UI client) this command emits. true (default): the command
   * line and every output line; 'command': the command line only, for output that may hold
   * secrets (a bundle's config.json); false: none (polling). onLine gets the lines in every case.
   */
  log?: boolean | 'command'
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
  ms: number
}

/** A long-running remote command (page server, lazy-pages daemon). */
export interface RemoteProcess {
  /** Resolves with the exit status whatever it is (a daemon stopped by kill() exits non-zero;
   *  a signal shows as 128 + its number); rejects on timeout, abort or a lost connection. */
  readonly done: Promise<RunResult>
  /** Sends a signal (default TERM) to the remote command's whole process group; KILL follows
   *  after a grace period (killGraceMs) if it is still running. */
  kill(signal?: string): void
  /** The command's process group on the host (null until it started): what can still be signalled
   *  over a new connection after the one that ran it was lost. */
  groupId?(): number | null
}

export interface Remote {
  readonly host: Host
  /** Runs argv on the host. Each element is quoted for the remote shell: no string pasting. */
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>
  /** Starts argv and returns at once. */
  start(argv: readonly string[], opts?: Omit<RunOptions, 'allowFail'>): RemoteProcess
  close(): Promise<void>
  /** The host key (SSH wire-format blob) checked against the user's known_hosts on the current
   *  or last connection; null before the first. Optional: test doubles need not have one. */
  verifiedHostKey?(): Buffer | null
}

/** A remote command exited non-zero. */
export class RemoteCommandError extends Error {
  constructor(
    readonly host: string,
    readonly command: string,
    readonly code: number,
    readonly stderrTail: string,
  ) {
    super(`${host}: \`${command}\` exited ${code}${stderrTail ? `: ${stderrTail}` : ''}`)
    this.name = 'RemoteCommandError'
  }
}

/** A remote command was killed because it ran past `timeoutMs`. */
export class RemoteTimeoutError extends RemoteCommandError {
  constructor(host: string, command: string, readonly timeoutMs: number, stderrTail: string) {
    super(host, command, 124, stderrTail)
    this.message = `${host}: \`${command}\` timed out after ${timeoutMs} ms and was killed${stderrTail ? `: ${stderrTail}` : ''}`
    this.name = 'RemoteTimeoutError'
  }
}

/** Why a connection could not be made; `kind` lets callers tell permanent failures from drops. */
export type SshErrorKind = 'host-key' | 'auth' | 'network' | 'config' | 'lost' | 'closed'

export class SshError extends Error {
  constructor(
    readonly host: string,
    readonly kind: SshErrorKind,
    message: string,
  ) {
    super(message)
    this.name = 'SshError'
  }
}

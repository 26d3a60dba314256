// The engine's view of one remote host. The pipeline codes against this interface; the ssh2
// implementation lives beside it (a test may use the same interface over the lab).
import type { Host } from '../../shared/tour'

export type Stream = 'stdout' | 'stderr'

export interface RunOptions {
  /** Bytes or text written to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer
  /** Kill the command (and fail) after this long. */
  timeoutMs?: number
  /** Called per complete line of output as it arrives. */
  onLine?: (stream: Stream, line: string) => void
  /** Resolve with the exit code instead of throwing on non-zero exit. */
  allowFail?: boolean
  signal?: AbortSignal
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
  ms: number
}

/** A long-running remote command (page server, lazy-pages daemon). */
export interface RemoteProcess {
  readonly done: Promise<RunResult>
  /** Sends a signal (default TERM) to the remote command. */
  kill(signal?: string): void
}

export interface Remote {
  readonly host: Host
  /** Runs argv on the host. Each element is quoted for the remote shell: no string pasting. */
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>
  /** Starts argv and returns at once. */
  start(argv: readonly string[], opts?: Omit<RunOptions, 'allowFail'>): RemoteProcess
  close(): Promise<void>
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

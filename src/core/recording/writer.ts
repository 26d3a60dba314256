// Records one hop or tour run: a JSON-lines file (header, then every engine event with its time)
// and one asciicast file per host for the remote command output. Each line is handed to the kernel
// as it comes (a crashed process leaves every full line readable) and fsync'ed at each hop's end
// and on close (a power cut loses at most the hop under way). A recording never fails the run:
// a write error stops it and is kept in `problem`.
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs'
import path from 'node:path'
import type { AnyEvent, PreflightReport } from '../../shared/contract'
import { castEvent, castHeader } from './asciicast'
import { hostVersions, RECORDING_FORMAT, RECORDING_VERSION, type RecordedTour, type RecordingHeader } from './format'
import { castFile, recordingBase, recordingsDir } from './paths'

export interface RecordingWriterOptions {
  tour: RecordedTour
  /** globehop's version (package.json). */
  globehop: string
  /**
   * The preflight known when the run starts. Undefined: the run does its own, so the header waits
   * for its table (or the first hop step) and the events before it stay in memory until then.
   */
  preflight?: PreflightReport | null
  /** Default recordingsDir(). */
  dir?: string
  /** Epoch ms (tests pin it). */
  now?: () => number
  /** Monotonic ms for `t` (tests pin it). */
  clock?: () => number
}

/** Events held while the header waits for a preflight: far more than a preflight emits. */
const MAX_HELD = 5000
/** Hosts a recording writes casts for: a tour's few, plus pseudo-hosts such as "recover". */
const MAX_CASTS = 64

/** Creates the recording file; 'wx' claims the name, so two runs in one second get -2, -3, ... */
function claimFile(dir: string, startedAt: number, tourName: string): { file: string; fd: number } {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  for (let n = 1; ; n++) {
    const file = path.join(dir, `${recordingBase(startedAt, tourName, n)}.jsonl`)
    try {
      return { file, fd: openSync(file, 'wx', 0o600) }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 1000) throw err
    }
  }
}

export class RecordingWriter {
  readonly file: string
  readonly startedAt: number
  /** Why the recording stopped early or lacks a part; null while all is well. */
  problem: string | null = null
  private fd: number | null
  private readonly t0: number
  private held: string[] | null
  private readonly casts = new Map<string, { fd: number | null; last: number }>()
  private readonly now: () => number
  private readonly clock: () => number

  constructor(private readonly opts: RecordingWriterOptions) {
    this.now = opts.now ?? Date.now
    this.clock = opts.clock ?? (() => performance.now())
    this.startedAt = this.now()
    this.t0 = this.clock()
    const claimed = claimFile(opts.dir ?? recordingsDir(), this.startedAt, opts.tour.name)
    this.file = claimed.file
    this.fd = claimed.fd
    this.held = opts.preflight === undefined ? [] : null
    if (opts.preflight !== undefined) this.writeHeader(opts.preflight)
  }

  /** Attach this to an event source: `source.onEvent(writer.listener)`. */
  readonly listener = (event: AnyEvent): void => {
    if (this.fd === null) return
    const at = this.now()
    const t = Math.round((this.clock() - this.t0) * 1000) / 1000
    try {
      const line = JSON.stringify({ t, at, event: { name: event.name, payload: event.payload } })
      if (this.held) {
        if (event.name === 'preflight') this.writeHeader(event.payload)
        else if ((event.name === 'step' && event.payload.step !== 'preflight') || event.name === 'hop' || this.held.length >= MAX_HELD) this.writeHeader(null)
      }
      if (this.held) this.held.push(line)
      else this.append(line)
      if (event.name === 'log') this.cast(event.payload.host, t, event.payload)
      if (event.name === 'hop') this.sync()
    } catch (err) {
      this.fail(err)
    }
  }

  /** Writes what is held, syncs and closes every file. Idempotent. */
  close(): void {
    if (this.fd === null) return
    try {
      if (this.held) this.writeHeader(null)
      this.sync()
    } catch (err) {
      this.fail(err)
    }
    this.closeAll()
  }

  private writeHeader(preflight: PreflightReport | null): void {
    const header: RecordingHeader = {
      type: 'header',
      format: RECORDING_FORMAT,
      version: RECORDING_VERSION,
      globehop: this.opts.globehop,
      startedAt: this.startedAt,
      tour: this.opts.tour,
      preflight: preflight ? hostVersions(preflight) : null,
    }
    const held = this.held ?? []
    this.held = null
    this.append(JSON.stringify(header))
    for (const line of held) this.append(line)
    fsyncSync(this.fd!)
  }

  private append(line: string): void {
    writeSync(this.fd!, `${line}\n`)
  }

  private cast(host: string, t: number, log: Parameters<typeof castEvent>[1]): void {
    let c = this.casts.get(host)
    if (!c) {
      if (this.casts.size >= MAX_CASTS) return
      c = { fd: null, last: 0 }
      this.casts.set(host, c)
      try {
        c.fd = openSync(castFile(this.file, host), 'wx', 0o600)
        writeSync(c.fd, `${castHeader(this.startedAt, this.opts.tour.name, host)}\n`)
      } catch (err) {
        // The host's cast is lost, the recording goes on.
        this.problem ??= `${host}'s asciicast: ${(err as Error).message}`
        if (c.fd !== null) closeSync(c.fd)
        c.fd = null
        return
      }
    }
    if (c.fd === null) return
    // asciicast players expect times that never go back.
    c.last = Math.max(c.last, t / 1000)
    try {
      writeSync(c.fd, `${castEvent(c.last, log)}\n`)
    } catch (err) {
      this.problem ??= `${host}'s asciicast: ${(err as Error).message}`
      closeSync(c.fd)
      c.fd = null
    }
  }

  private sync(): void {
    if (this.fd !== null) fsyncSync(this.fd)
    for (const c of this.casts.values()) if (c.fd !== null) fsyncSync(c.fd)
  }

  private fail(err: unknown): void {
    this.problem = `recording stopped: ${(err as Error).message}`
    this.closeAll()
  }

  private closeAll(): void {
    for (const fd of [this.fd, ...[...this.casts.values()].map((c) => c.fd)]) {
      if (fd === null) continue
      try {
        closeSync(fd)
      } catch {
        // Already gone: nothing more to write.
      }
    }
    this.fd = null
    for (const c of this.casts.values()) c.fd = null
  }
}

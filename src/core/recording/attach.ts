// Recording a run from any event source (the engine, the CLI's emit): the one call every host
// makes when a hop or tour command starts, and close() when it ends.
import type { AnyEvent, PreflightReport, TourView } from '../../shared/contract'
import type { Tour } from '../../shared/tour'
import { recordedTour } from './format'
import { GLOBEHOP_VERSION } from './version'
import { RecordingWriter } from './writer'

export interface EventSource {
  /** Subscribes to every event; returns the unsubscribe function (Engine.onEvent's shape). */
  onEvent(listener: (event: AnyEvent) => void): () => void
}

export interface RecordingOptions {
  /** Default: package.json's version. */
  globehop?: string
  /** The last preflight report when one ran before the run; undefined when the run does its own. */
  preflight?: PreflightReport | null
  /** Default recordingsDir() (GLOBEHOP_RECORDINGS_DIR, XDG_DATA_HOME). */
  dir?: string
}

export interface RecordingHandle {
  readonly file: string
  /** Why the recording is incomplete (a write failed), or null. */
  readonly problem: string | null
  /** Stops listening, writes what is held, fsyncs and closes. Idempotent. */
  close(): void
}

/** Starts recording now. Throws only when the file cannot be created (the caller says so and runs on). */
export function startRecording(source: EventSource, tour: TourView | Tour, opts: RecordingOptions = {}): RecordingHandle {
  const writer = new RecordingWriter({ tour: recordedTour(tour), globehop: opts.globehop ?? GLOBEHOP_VERSION, preflight: opts.preflight, dir: opts.dir })
  const off = source.onEvent(writer.listener)
  return {
    file: writer.file,
    get problem() {
      return writer.problem
    },
    close() {
      off()
      writer.close()
    },
  }
}

// A migrate or tour run's recording for the CLI: a failure to record never stops the hop, and
// the file (or why there is none) is the last line on stderr.
import type { Tour } from '../shared/tour'
import { startRecording, type EventSource, type RecordingHandle } from '../core/recording/attach'

export type Out = { out: (s: string) => void; err: (s: string) => void }

/** A migrate or tour run's recording: started once the tour has loaded, named as the last stderr line. */
export class RunRecording {
  private handle: RecordingHandle | null = null
  private failed: string | null = null
  private said = false

  start(source: EventSource, tour: Tour): boolean {
    try {
      this.handle = startRecording(source, tour)
    } catch (err) {
      // No recording is no reason to refuse the hop: the run goes on and the end says why.
      this.failed = (err as Error).message
    }
    return this.handle !== null
  }

  /** Closes the file and names it (once; also on the interrupt guard's way out). */
  end(io: Out): void {
    if (this.said) return
    this.said = true
    this.handle?.close()
    const problem = this.handle?.problem ?? this.failed
    if (this.handle) io.err(`recording: ${this.handle.file}${problem ? ` (incomplete: ${problem})` : ''}`)
    else if (problem) io.err(`recording: none (${problem})`)
  }
}

// What a loaded tour runs on: one SSH pool, the UDP prober at the floating IP and the pipeline
// session, wired together. The engine (UI hosts) and the CLI both start tours through this.
import type { HostConnState } from '../shared/contract'
import type { Tour } from '../shared/tour'
import { noEmit, type Emit } from './events'
import { FileJournal, journalPath, openHop, readJournal, type Journal, type OpenHop } from './pipeline/journal'
import { recover, type RecoverReport } from './pipeline/recover'
import { PipelineSession, type ClientObserver } from './pipeline/session'
import { Prober } from './probe/prober'
import { SshPool } from './ssh/pool'

export interface TourRuntimeOptions {
  /** Pipeline events: steps, preflight, hops. */
  emit: Emit
  /** Remote command lines as `log` events (default: none). */
  sshEmit?: Emit
  /** Prober events: probe samples, outages, server status (default: none). */
  proberEmit?: Emit
  /** Probe the game at the floating IP, so hops carry the client-observed gap (default true). */
  probe?: boolean
  /**
   * Send the first probe now (default true: the CLI's migrate and tour are the user's act). The
   * engine passes false and calls startProbing() on Connect: loading a tour sends no packet.
   */
  probeNow?: boolean
  onConn?: (host: string, state: HostConnState, detail?: string) => void
  /** Where hops journal their progress (default: the tour file's journal under the state dir). */
  journal?: Journal
}

export interface TourRuntime {
  readonly tour: Tour
  readonly pool: SshPool
  readonly prober: Prober | null
  readonly pipeline: PipelineSession
  readonly journalFile: string
  /** The journal's unfinished hop, if a process died mid-hop. */
  openHop(): OpenHop | null
  /** `globehop recover` on this tour's hosts. */
  recover(say: (line: string) => void, opts?: { dryRun?: boolean; unreachableMs?: number }): Promise<RecoverReport>
  /** Starts the prober if it is not running yet (idempotent). */
  startProbing(): void
  close(): Promise<void>
}

export function startTourRuntime(tour: Tour, opts: TourRuntimeOptions): TourRuntime {
  const pool = new SshPool(tour, { emit: opts.sshEmit, onState: opts.onConn })
  let prober: Prober | null = null
  let client: ClientObserver | undefined
  if (opts.probe !== false) {
    const p = new Prober({ address: tour.floatingIp.address, port: tour.container.gamePort, hz: tour.options.probeHz, emit: opts.proberEmit ?? noEmit })
    if (opts.probeNow !== false) p.start()
    prober = p
    client = { hopStarted: (id) => p.setHop(id), hopEnded: () => p.setHop(null), clientView: (id) => p.clientView(id) }
  }
  const journalFile = journalPath(tour)
  const journal = opts.journal ?? new FileJournal(journalFile)
  const pipeline = new PipelineSession({ tour, remote: (h) => pool.get(h), emit: opts.emit, client, journal })
  return {
    tour,
    pool,
    prober,
    pipeline,
    journalFile,
    openHop: () => openHop(readJournal(journalFile)),
    recover: (say, o = {}) => recover({ tour, remote: (h) => pool.get(h), journal, journalFile, say, ...o }),
    startProbing: () => prober?.start(),
    async close() {
      pipeline.cancel()
      await prober?.stop()
      await pool.close()
    },
  }
}

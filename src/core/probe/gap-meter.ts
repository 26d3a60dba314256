// A test instrument, independent of the prober: one socket pinging every 10 ms, keeping the
// arrival time of every reply, so a test can compare the prober's outages with what it saw.
import dgram from 'node:dgram'
import { performance } from 'node:perf_hooks'
import { encodePing } from './codec'

export class GapMeter {
  private readonly sock = dgram.createSocket('udp4')
  private readonly arrivals: number[] = []
  private timer: NodeJS.Timeout | null = null
  constructor(
    private readonly address: string,
    private readonly port: number,
  ) {
    this.sock.on('message', (_m, r) => {
      if (r.address === address && r.port === port) this.arrivals.push(performance.now())
    })
  }
  start(): void {
    const ping = encodePing()
    this.timer = setInterval(() => this.sock.send(ping, this.port, this.address), 10)
  }
  /** Longest stretch without a reply between `from` and `to` (monotonic ms). */
  longestGap(from: number, to: number): { ms: number; start: number; end: number } {
    const xs = this.arrivals.filter((t) => t >= from && t <= to)
    let best = { ms: 0, start: from, end: from }
    for (let i = 1; i < xs.length; i++) if (xs[i]! - xs[i - 1]! > best.ms) best = { ms: xs[i]! - xs[i - 1]!, start: xs[i - 1]!, end: xs[i]! }
    return best
  }
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await new Promise<void>((r) => this.sock.close(() => r()))
  }
}

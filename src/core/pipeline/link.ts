// Measures the link between two hosts from the source: RTT with ping, throughput by pushing
// 1 MiB of incompressible bytes over SSH minus the cost of an empty SSH session. At 10 Mbit/s
// that costs ~1 s, once per pair and session.
import type { Host } from '../../shared/tour'
import type { Remote } from '../ssh/types'
import type { LinkFacts } from './facts'
import { HOST_SSH_OPTS } from '../transfer/rsync'

export const PROBE_BYTES = 1048576

export function linkProbeArgv(to: Host): string[] {
  const script = [
    'a=$1; p=$2; u=$3; n=$4',
    // `--` before the address: whatever the tour says, ssh and ping never read it as an option.
    `ssh_() { ssh ${HOST_SSH_OPTS.join(' ')} -p "$p" -l "$u" -- "$a" "$@"; }`,
    'ping -c 3 -i 0.2 -q -- "$a" 2>/dev/null | tail -n 1',
    // Opens the shared master first, so both timings below ride on it.
    'ssh_ true || exit 1',
    't0=$(date +%s%N); head -c "$n" /dev/urandom | ssh_ "cat >/dev/null" || exit 1',
    't1=$(date +%s%N); ssh_ true || exit 1; t2=$(date +%s%N)',
    'echo "xfer $(( (t1 - t0) / 1000 )) $(( (t2 - t1) / 1000 ))"',
  ].join('\n')
  return ['sh', '-c', script, 'sh', to.address, String(to.ssh.port), to.ssh.user ?? 'root', String(PROBE_BYTES)]
}

/** Parses the probe's output: ping's summary line and `xfer <us with data> <us empty>`. */
export function parseLinkProbe(out: string): LinkFacts {
  const rtt = /= [\d.]+\/([\d.]+)\//.exec(out)
  const x = /xfer (\d+) (\d+)/.exec(out)
  let mbit: number | null = null
  if (x) {
    // Never below 1 ms: on a fast LAN the difference drowns in SSH's own cost.
    const us = Math.max(Number(x[1]) - Number(x[2]), 1000)
    mbit = (PROBE_BYTES * 8) / us
  }
  return { rttMs: rtt ? Number(rtt[1]) : null, mbitPerSec: mbit }
}

export async function measureLink(src: Remote, to: Host): Promise<LinkFacts> {
  const r = await src.run(linkProbeArgv(to), { allowFail: true, timeoutMs: 60_000 })
  return parseLinkProbe(r.stdout)
}

/** Each pair's link, measured once per session (concurrent asks share one probe). */
export class LinkBook {
  private readonly known = new Map<string, Promise<LinkFacts>>()

  constructor(
    private readonly tour: { hosts: Host[] },
    private readonly remote: (host: string) => Promise<Remote>,
  ) {}

  measure(src: Remote, from: string, to: string): Promise<LinkFacts> {
    const key = `${from}>${to}`
    let p = this.known.get(key)
    if (!p) {
      const host = this.tour.hosts.find((h) => h.name === to)
      if (!host) return Promise.reject(new Error(`unknown host "${to}"`))
      p = measureLink(src, host)
      // A probe that failed is not remembered: the next ask measures again.
      p.catch(() => this.known.delete(key))
      this.known.set(key, p)
    }
    return p
  }

  /** The pair's link, or null when its source cannot be reached. */
  async between([from, to]: [string, string]): Promise<LinkFacts | null> {
    try {
      return await this.measure(await this.remote(from), from, to)
    } catch {
      return null
    }
  }
}

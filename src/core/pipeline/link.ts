// Measures the link between two hosts from the source: RTT with ping, throughput by pushing
// 1 MiB of incompressible bytes over SSH minus the cost of an empty SSH session. At 10 Mbit/s
// that costs ~1 s, once per pair and session. A try that took under FAST_TRY_MS goes again, up to
// PROBE_TRIES, and the fastest counts: on a fast link one stall of a few tens of ms is most of a
// try (on the lab's unshaped link, 30 tries in a row: 387 Mbit/s to the probe's 8389 cap, median
// ~1 Gbit/s; 200 Mbit/s is where compression starts, modes.ts).
import type { Host } from '../../shared/tour'
import type { Remote } from '../ssh/types'
import { syncPeerKnownHosts } from '../ssh/peer-known-hosts'
import type { LinkFacts } from './facts'
import { HOST_SSH_OPTS } from '../transfer/rsync'

export const PROBE_BYTES = 1048576
export const PROBE_TRIES = 3
/** 1 MiB in this long is ~42 Mbit/s: slower tries are the link's own measure, not a stall's. */
export const FAST_TRY_MS = 200

export function linkProbeArgv(to: Host): string[] {
  const script = [
    'a=$1; p=$2; u=$3; n=$4; k=$5; f=$6',
    // `--` before the address: whatever the tour says, ssh and ping never read it as an option.
    `ssh_() { ssh ${HOST_SSH_OPTS.join(' ')} -p "$p" -l "$u" -- "$a" "$@"; }`,
    'ping -c 3 -i 0.2 -q -- "$a" 2>/dev/null | tail -n 1',
    // Opens the shared master first, so both timings below ride on it.
    'ssh_ true || exit 1',
    'i=1',
    'while :; do',
    '  t0=$(date +%s%N); head -c "$n" /dev/urandom | ssh_ "cat >/dev/null" || exit 1',
    '  t1=$(date +%s%N); ssh_ true || exit 1; t2=$(date +%s%N)',
    '  echo "xfer $(( (t1 - t0) / 1000 )) $(( (t2 - t1) / 1000 ))"',
    '  [ "$i" -lt "$k" ] && [ $(( (t1 - t0) / 1000000 )) -lt "$f" ] || break',
    '  i=$((i + 1))',
    'done',
  ].join('\n')
  return ['sh', '-c', script, 'sh', to.address, String(to.ssh.port), to.ssh.user ?? 'root', String(PROBE_BYTES), String(PROBE_TRIES), String(FAST_TRY_MS)]
}

/** Parses the probe's output: ping's summary line and a `xfer <us with data> <us empty>` line per
 *  try; the fastest try's rate. */
export function parseLinkProbe(out: string): LinkFacts {
  const rtt = /= [\d.]+\/([\d.]+)\//.exec(out)
  // Never below 1 ms: on a fast LAN the difference drowns in SSH's own cost.
  const rates = [...out.matchAll(/xfer (\d+) (\d+)/g)].map((x) => (PROBE_BYTES * 8) / Math.max(Number(x[1]) - Number(x[2]), 1000))
  return { rttMs: rtt ? Number(rtt[1]) : null, mbitPerSec: rates.length ? Math.max(...rates) : null }
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
      const probe = measureLink(src, host)
      // A probe that failed, or gave no rate (its ssh did not get through), is not remembered: the
      // next ask measures again, where a remembered null would have left the session's hops on
      // that pair without a rate (compressed, no predicted gap) until it ended.
      const forget = () => this.known.get(key) === probe && this.known.delete(key)
      probe.then((l) => l.mbitPerSec === null && forget(), forget)
      this.known.set(key, probe)
      p = probe
    }
    return p
  }

  /**
   * The pair's link, or null when its source cannot be reached. Outside a hop (preflight), so the
   * pair's known_hosts for host-to-host ssh are written first, as a hop writes them: without the
   * destination's key there the probe's ssh was refused (a lab session's preflight after hops
   * between other pairs), and the link read as unmeasured.
   */
  async between([from, to]: [string, string]): Promise<LinkFacts | null> {
    try {
      const hosts = [from, to].map((n) => this.tour.hosts.find((h) => h.name === n))
      if (hosts.every((h) => h !== undefined)) await syncPeerKnownHosts(hosts, this.remote)
      return await this.measure(await this.remote(from), from, to)
    } catch {
      return null
    }
  }
}

// Lab only (bench): when the game's tasks start to freeze on a machine, on this process's clock.
// The lab's machines share one kernel, so the container's cgroup v1 freezer is a file here; a
// small perl loop reads its state every millisecond for the whole hop and prints the epoch (ms) of
// every read that left THAWED (CRIU asked the freezer; the tasks stop within that read). The last
// one is the final dump's freeze (pre-copy's snapshots freeze and thaw before it). The step events
// cannot say it: the checkpoint step starts before the runtime does, ~100 ms before CRIU freezes,
// and a far source's events reach the engine a one-way delay late.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { CONTAINER_CGROUP } from './hosts'
import { readState } from './state'

const LOOP = String.raw`
use Time::HiRes qw(time sleep); $| = 1; my ($f) = @ARGV; my $was = 'THAWED';
while (1) {
  my $s = 'GONE';
  if (open(my $h, '<', $f)) { $s = <$h> // 'GONE'; close $h; chomp $s }
  printf "%.3f\n", time * 1000 if $was eq 'THAWED' && ($s eq 'FREEZING' || $s eq 'FROZEN');
  $was = $s;
  sleep 0.001;
}
`

export interface FreezeWatch {
  /** Ends the watch: the epoch ms (Date.now()'s clock) of the last freeze seen, null if none. */
  stop(): Promise<number | null>
}

/** Watches `host`'s container freezer until stopped (lab only: cgroup v1 freezer). */
export function watchFreeze(host: string): FreezeWatch {
  const h = readState()?.hosts.find((x) => x.name === host)
  const base = h?.cgroups.find((c) => c.includes('/freezer/'))
  if (!base) return { stop: () => Promise.resolve(null) }
  const file = path.join(base, CONTAINER_CGROUP, 'freezer.state')
  const p = spawn('perl', ['-e', LOOP, file], { stdio: ['ignore', 'pipe', 'ignore'] })
  let out = ''
  p.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c))
  const closed = new Promise<void>((resolve) => {
    p.once('error', () => resolve())
    p.once('close', () => resolve())
  })
  return {
    stop: async () => {
      p.kill('SIGTERM')
      await closed
      const v = Number.parseFloat(out.trim().split('\n').at(-1) ?? '')
      return Number.isFinite(v) ? v : null
    },
  }
}

// Lab only (bench): when the game's tasks freeze on a machine, on this process's clock. The lab's
// machines share one kernel, so the container's cgroup v1 freezer and its tasks are files here. A
// small perl loop looks every millisecond for the whole hop and prints the epoch (ms) at which each
// freeze began (the freezer left THAWED, or a tracer (CRIU) holds the game's first task) and ended. Both,
// because CRIU uses the freezer only to seize the tasks with ptrace and thaws it again once they
// are seized (criu/seize.c): the freezer reads FREEZING/FROZEN for 2-4 ms (or ~100 ms when CRIU's
// first look found it still FREEZING), the tracer stays for the whole dump (the task's own state
// does not: CRIU's parasite code runs in it). The last freeze is the final dump's (pre-copy's
// snapshots freeze and resume before it). The step events cannot say it: the checkpoint step
// starts before the runtime does, ~70-100 ms before CRIU freezes, and a far source's events reach
// the engine a one-way delay late.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { CONTAINER_CGROUP } from './hosts'
import { readState } from './state'

// The files stay open and are read again from their start (cgroupfs and /proc re-render on each
// read): the watch runs through the whole hop on the lab's two cores, and opening three files a
// millisecond took 8 % of a core, part of it while CRIU was waiting for the CPU.
const LOOP = String.raw`
use Time::HiRes qw(time sleep); $| = 1; my ($cg) = @ARGV; my $held = 1; my ($fzh, $sth);
sub slurp { open(my $h, '<', $_[0]) or return ''; local $/; my $d = <$h> // ''; close $h; $d }
# The file's text from its start, '' (and the handle dropped) once it is gone: reopened next look.
sub again { my ($h) = @_; return '' unless $$h; sysseek($$h, 0, 0); my $d = ''; my $r = sysread($$h, $d, 4096); return $d if $r; undef $$h; '' }
while (1) {
  $fzh or open($fzh, '<', "$cg/freezer.state") or undef $fzh;
  my $fz = again(\$fzh);
  if (!$sth) { my ($pid) = slurp("$cg/tasks") =~ /^(\d+)/; open($sth, '<', "/proc/$pid/status") or undef $sth if defined $pid }
  my ($tracer) = again(\$sth) =~ /^TracerPid:\s*(\d+)/m;
  my $now = $fz =~ /^FR/ || ($tracer // 0) > 0;
  # A freeze begins where the game ran (THAWED, no tracer) the look before, and ends where it runs again.
  my $next = $now || $fz !~ /^THAWED/;
  printf "%.3f\n", time * 1000 if $now && !$held;
  printf "-%.3f\n", time * 1000 if $held && !$next;
  $held = $next;
  sleep 0.001;
}
`

export interface FreezeWatch {
  /** Ends the watch: the epoch ms (Date.now()'s clock) of the last freeze seen, null if none. */
  stop(): Promise<number | null>
  /** After stop(): every freeze seen, start and end (epoch ms); a freeze still on at the stop has no end. */
  holds(): { startMs: number; endMs?: number }[]
}

/** Watches `host`'s container freezer until stopped (lab only: cgroup v1 freezer). */
export function watchFreeze(host: string): FreezeWatch {
  const h = readState()?.hosts.find((x) => x.name === host)
  const base = h?.cgroups.find((c) => c.includes('/freezer/'))
  if (!base) return { stop: () => Promise.resolve(null), holds: () => [] }
  const p = spawn('perl', ['-e', LOOP, path.join(base, CONTAINER_CGROUP)], { stdio: ['ignore', 'pipe', 'ignore'] })
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
      const v = Number.parseFloat(out.trim().split('\n').filter((l) => !l.startsWith('-')).at(-1) ?? '')
      return Number.isFinite(v) ? v : null
    },
    holds: () => {
      const all: { startMs: number; endMs?: number }[] = []
      for (const l of out.split('\n').filter(Boolean)) {
        const t = Number.parseFloat(l.replace(/^-/, ''))
        if (l.startsWith('-')) {
          if (all.length) all.at(-1)!.endMs = t
        } else all.push({ startMs: t })
      }
      return all
    },
  }
}

// A checkpoint that freezes the game's cgroup itself, a few ms before CRIU looks at it.
// CRIU asks a cgroup v1 freezer to freeze and reads it back at once; still FREEZING (about half the
// dumps on the lab), it sleeps 100 ms before it looks again (criu/seize.c freeze_processes,
// step_ms), and the game stands still through that sleep. A cgroup CRIU finds FROZEN (or FREEZING)
// it takes as frozen by its owner: no write, no sleep. It thaws the cgroup once it has seized the
// tasks (they stay stopped under ptrace), and at the end of a `--leave-running` dump puts the state
// it found back (pstree_switch_state -> freezer_restore_state) before it prints "Unfreezing tasks
// into": the game stays frozen until we thaw it, on that line and again whatever happens when the
// checkpoint ends or a signal arrives (a game left frozen is a lost server). A final dump kills the
// tasks instead; one that fails leaves them frozen like a snapshot, and the same thaw frees them.
// The freeze is written when CRIU's log appears: CRIU's first look follows 4-13 ms later on the lab
// (its kdat cache loaded, the RPC with runc, the cgroup properties). Written any later, CRIU finds
// the cgroup thawed and freezes it the usual way; written earlier, the game waits for runc's start.
// CRIU also records the state it found in the image (THAWED_IMAGE below sets it back).
// The container's freezer is found from its init's /proc/<pid>/cgroup and this host's mounts (a v1
// freezer hierarchy where one is mounted here, as runc chooses, else cgroup v2's cgroup.freeze).

import { SNAPSHOT_MOUNTS } from './snapshot-mounts'

/** The wrapper's report, one stdout line. */
export const FREEZE_FIRST_MARK = 'globehop-freeze:'

/**
 * Perl: `$THAWED_IMAGE->($img)` sets the freezer.state CRIU recorded in `$img/cgroup.img` back to
 * THAWED; true when it changed something. CRIU writes the state it found there (CgroupPropEntry
 * "freezer.state" = "FROZEN", protobuf) and a restore puts it back, so an image of a game we froze
 * first would restore a frozen game. The game ran before we froze it (a hop starts only from a
 * running container): the same six bytes, in place. The tail chain's sender runs it too, before it
 * reads the image's other files (transfer/tail-chain.ts).
 */
export const THAWED_IMAGE = String.raw`
our $THAWED_IMAGE = sub {
  open(my $h, '+<:raw', "$_[0]/cgroup.img") or return 0; my $s = do { local $/; <$h> } // ''; my ($at, $n) = (0, 0);
  my $k = "\x0a\x0dfreezer.state\x12\x06FROZEN";
  while (($at = index($s, $k, $at)) >= 0) { $at += length($k) - 6; seek($h, $at, 0); print $h 'THAWED'; $n++ }
  close($h) && $n;
};
`

// SNAPSHOT_MOUNTS brings $MOUNT_ENTRY (criu/mountinfo.ts), which dir_of reads the host's mounts with.
const SCRIPT = THAWED_IMAGE + SNAPSHOT_MOUNTS + String.raw`
use strict; use warnings; no warnings 'exec'; use POSIX (); use Time::HiRes ();
$SIG{PIPE} = 'IGNORE'; $| = 1;
my ($log, $img, $conf, $n) = splice(@ARGV, 0, 4); my @state = splice(@ARGV, 0, $n); my @ck = @ARGV;
my $outside = 0;
sub now { Time::HiRes::clock_gettime(Time::HiRes::CLOCK_MONOTONIC()) * 1000 }
sub say1 { print "globehop-freeze: $_[0]" . ($outside ? "; $outside tmpfs mounts not archived (a snapshot)" : '') . "\n" }
sub plain { say1("off: $_[0]"); $SIG{PIPE} = 'DEFAULT'; exec { $ck[0] } @ck; print STDERR "globehop-freeze: cannot run $ck[0]: $!\n"; exit 127 }
sub slurp { open(my $h, '<', $_[0]) or return undef; local $/; my $s = <$h>; close $h; $s }
sub unesc { my $s = shift; $s =~ s/\\([0-7]{3})/chr(oct($1))/ge; $s }

my $st = do { my $p; open($p, '-|', @state) or plain("cannot run $state[0]: $!"); local $/; <$p> } // '';
my ($pid) = $st =~ /"pid"\s*:\s*(\d+)/;
plain("$state[0] names no process of the container") unless $pid;
# A snapshot: CRIU leaves the container's tmpfs mounts unarchived (criu/snapshot-mounts.ts).
$outside = $SNAPSHOT_MOUNTS->($pid, $conf) if $conf ne '';
my $cg = slurp("/proc/$pid/cgroup") // plain("cannot read /proc/$pid/cgroup");
my $mi = slurp('/proc/self/mountinfo') // plain('cannot read /proc/self/mountinfo');
# The cgroup's directory under this host's mounts of that hierarchy (a later mount covers an earlier).
sub dir_of {
  my ($path, $v2) = @_; my $dir;
  for my $l (split /\n/, $mi) {
    my ($r, $m, $type, $opts) = $MOUNT_ENTRY->($l); next unless defined $type;
    next unless $v2 ? $type eq 'cgroup2' : ($type eq 'cgroup' && ",$opts," =~ /,freezer,/);
    my ($root, $mnt) = (unesc($r), unesc($m));
    if ($root eq '/') { $dir = $mnt . ($path eq '/' ? '' : $path) }
    elsif ($path eq $root || index($path, "$root/") == 0) { $dir = $mnt . substr($path, length $root) }
  }
  $dir;
}
my ($ctl, $freeze, $thaw, $frozen);
my ($v1) = $cg =~ m{^\d+:(?:[^:\n]*,)?freezer(?:,[^:\n]*)?:(/[^\n]*)$}m;
my ($v2) = $cg =~ m{^0::(/[^\n]*)$}m;
if (defined $v1 && defined(my $d = dir_of($v1, 0))) {
  ($ctl, $freeze, $thaw) = ("$d/freezer.state", 'FROZEN', 'THAWED'); $frozen = sub { (slurp($ctl) // '') =~ /^FROZEN/ };
} elsif (defined $v2 && defined(my $d2 = dir_of($v2, 1))) {
  ($ctl, $freeze, $thaw) = ("$d2/cgroup.freeze", '1', '0'); $frozen = sub { (slurp("$d2/cgroup.events") // '') =~ /^frozen 1$/m };
}
plain("no freezer cgroup of process $pid is mounted here") unless defined $ctl && -w $ctl;
plain("$log is there before the checkpoint") if -e $log;
sub put { open(my $h, '>', $ctl) or return 0; my $ok = syswrite($h, $_[0]); close($h) && defined $ok }

my $kid = fork(); plain("fork: $!") unless defined $kid;
if (!$kid) { $SIG{PIPE} = 'DEFAULT'; exec { $ck[0] } @ck; print STDERR "globehop-freeze: cannot run $ck[0]: $!\n"; POSIX::_exit(127) }
# $held: our freeze is on and ours to end.
my ($froze, $held, $tried, $ahead, $line, $late, $t_log, $t_frozen, $t_thaw) = (0, 0, 0, 0, 0, 0);
for my $s (qw(TERM INT HUP QUIT)) { $SIG{$s} = sub { put($thaw) if $froze; kill $s, $kid } }
my ($pos, $carry, $rc) = (0, '');
# CRIU's log on from where the last read stopped (with that read's tail, for a line cut in two).
sub more {
  open(my $l, '<:raw', $log) or return $carry; seek($l, $pos, 0); my $got = read($l, my $d, 1 << 20) // 0; close $l;
  $pos += $got; my $s = $carry . $d; $carry = substr($s, -60); $s;
}
sub thaw_now { if (put($thaw)) { $held = 0; $t_thaw = now() } }
# CRIU logs its freezer attempts only when its first look found the cgroup thawed: our write came
# too late, CRIU freezes (and thaws) the game itself, and ours must go at once.
sub look {
  my $s = more();
  if ($s =~ /freezing processes: \d+ attempts done/) { $late = 1; thaw_now() }
  elsif ($s =~ /Unfreezing tasks into/) { $line = 1; thaw_now() }
}
while (1) {
  if (waitpid($kid, POSIX::WNOHANG()) == $kid) {
    $rc = $?;
    # CRIU's unfreeze line and the checkpoint's end can fall between two looks (a loaded machine):
    # the log's last lines still say which it was.
    look() if $held;
    last;
  }
  if (!$tried) {
    unless (-e $log) { select(undef, undef, undef, 0.0002); next }
    $tried = 1; $t_log = now();
    # Never freeze behind CRIU: once it has seized the tasks it thaws the cgroup and runs its
    # parasite code in them, which a freeze of ours landing then would stop for good.
    if (more() =~ /freezing (?:cgroup|processes)/) { $ahead = 1; next }
    if (put($freeze)) { $froze = $held = 1 } else { say1("off: cannot write $ctl: $!") }
    next;
  }
  if ($held) {
    look();
    my $early = !defined $t_frozen && now() - $t_log < 50;
    $t_frozen = now() if $early && $frozen->();
    # Every 0.1 ms until the freeze holds (50 ms at most: CRIU may have thawed it already); then
    # every 2 ms: looking every 0.5 ms at nice -10 slowed CRIU's page dump by 40-60 % on the lab's
    # 2 cores (frozen 264 against 176-242 ms, A/B).
    select(undef, undef, undef, $early && !defined $t_frozen ? 0.0001 : 0.002);
    next;
  }
  select(undef, undef, undef, 0.002);
}
# Always, once frozen: a --leave-running dump leaves the game running, whatever CRIU did or did not.
# (A final dump's container is gone by then, its cgroup with it: nothing left to thaw.)
if ($froze) { put($thaw) or !-e $ctl or print STDERR "globehop-freeze: cannot thaw $ctl: $!\n"; $t_thaw //= now() }
if ($froze) {
  my $fixed = $rc == 0 && $THAWED_IMAGE->($img) ? "; the image's freezer.state says THAWED again" : '';
  say1(sprintf('held %.1f ms; frozen %s; thawed %s%s', $t_thaw - $t_log,
    defined $t_frozen ? sprintf('%.1f ms after the log appeared', $t_frozen - $t_log) : 'not within 50 ms',
    $late ? 'at once: CRIU looked first and froze it itself' : $line ? "on CRIU's unfreeze line" : 'when the checkpoint ended', $fixed));
} elsif ($ahead) { say1('off: CRIU was at the freezer before its log was read; it froze the game itself') }
elsif (!$tried) { say1('off: the checkpoint ended before CRIU logged anything') }
exit($rc & 127 ? 128 + ($rc & 127) : $rc >> 8);
`

export interface FreezeFirstArgs {
  /** The runtime's checkpoint (a `--leave-running` snapshot or the final dump). */
  checkpoint: readonly string[]
  /** The runtime's state argv (JSON with the container's init `pid`). */
  state: readonly string[]
  /** CRIU's log of that checkpoint (its work path + the runtime's `dumpLog`); it must not exist yet. */
  log: string
  /** The checkpoint's image dir (CRIU's cgroup.img). */
  img: string
  /**
   * A `--leave-running` snapshot's CRIU config file, written before the checkpoint starts: the
   * container's tmpfs mounts go unarchived (criu/snapshot-mounts.ts). Never for the final dump.
   */
  snapshotConf?: string
}

export function freezeFirstArgv(a: FreezeFirstArgs): string[] {
  return ['perl', '-e', SCRIPT, a.log, a.img, a.snapshotConf ?? '', String(a.state.length), ...a.state, ...a.checkpoint]
}

export interface FreezeFirstReport {
  /** How long the wrapper held the cgroup frozen (its freeze write to its thaw). */
  heldMs?: number
  /** CRIU looked at the freezer before the wrapper's freeze landed and froze the game itself. */
  criuFirst?: boolean
  /** Why it did not freeze first (the checkpoint then ran as it is). */
  off?: string
  /** The wrapper's line, for the step's words. */
  words: string
}

/**
 * A checkpoint's pause for the game: CRIU's freezing + frozen time (criu/stats.ts criuPauseMs) or,
 * where the wrapper froze the game first, the longer of that and the wrapper's hold (it froze a few
 * ms before CRIU looked and thaws just after CRIU's unfreeze line).
 */
export function pauseMs(report: FreezeFirstReport | null, criuMs: number | undefined): number | undefined {
  const held = report?.heldMs
  if (held === undefined) return criuMs
  return criuMs === undefined ? held : Math.max(held, criuMs)
}

/** The wrapper's line out of the checkpoint's stdout; null when there is none. */
export function parseFreezeFirst(stdout: string): FreezeFirstReport | null {
  const line = stdout.split('\n').find((l) => l.startsWith(FREEZE_FIRST_MARK))
  if (!line) return null
  const words = line.slice(FREEZE_FIRST_MARK.length).trim()
  const off = /^off: (.*)$/.exec(words)
  if (off) return { off: off[1], words }
  const held = /^held (\d+(?:\.\d+)?) ms/.exec(words)
  return { heldMs: held ? Number(held[1]) : undefined, criuFirst: words.includes('CRIU looked first'), words }
}

// Pre-copy's frozen tail without a command start between its parts. The source runs one command:
// it opens a host-to-host session to the destination and waits until the receiver there says it is
// ready, then the final dump, then the one-way page delta into that session; the destination's side
// verifies every file and leaves a marker. The restore waits in a gate the engine opened on the
// destination before the freeze: it sees the marker, says so, and restores only on the engine's
// go-ahead, sent down its open stdin.
// Measured on the lab (50 ms link), each command start had cost a channel open and exec (2 RTT to
// the host), and the delta's host-to-host session 1.5 RTT of the pair, all while players waited;
// the go-ahead costs one RTT to the destination. Opening that session beside the dump still cost
// CPU while the game was frozen (ssh's key exchange against CRIU on the same cores): it opens
// before the freeze now, and a session that cannot open freezes nothing. The sender starts before
// the freeze too and sends the game's memory at CRIU's line after its last task (page-delta.ts
// compares the pages files with the snapshot while CRIU writes them), the other files when CRIU's
// log says the dump finished, not when the runtime exits after its cleanup (35-150 ms later on
// the lab); the go-ahead still waits for the runtime's exit status. Measured side by side on the
// lab's 50 ms link (8 hops each way, alternating): client gap median 798 ms against 907 ms with
// the memory sent after the finish. The scan back at nice 0 once CRIU ended took the delta's end
// from 64 to 44 ms after CRIU's (4 hops each, strasbourg <-> montreal, medians); sending the
// records as the scan found them, while CRIU still wrote, took it to 8 ms, but a hop whose memory
// layout moved then sent MBs at equal offsets (2.3 MB once in 24 lab hops), so they wait for the
// pagemaps now.
// Warming the session before the freeze (its bandwidth-delay product of
// zeros, read and answered for by the destination, so TCP's window is open for the delta) changed
// nothing on the 183 ms path (8 hops each, alternating: checkpoint start to verified copy 653
// against 650 ms) and put the freeze 0.33 s later: the pair's master connection is still warm from
// the snapshots, and the pages cross during CRIU's last 200 ms anyway.
// It keeps one decider: no restore can start on the destination unless the engine said go
// (journaled first; a runtime that runs `criu` from PATH starts its restore with the gate, the
// game's resume held until then: criu-hold.ts), so when the copy fails before that the game comes back on
// the source at once, however long the destination stays cut off. (Sending it once the whole delta had left the source
// saved that RTT, 15-70 ms on the lab, but a destination cut off while the last bytes were on their
// way then kept the game down until it came back: not worth it.) After it, a rollback or
// `globehop recover` takes the restore claim (an atomic mkdir) first, or waits for the restore that
// won it to end.
import { quoteArgv, shNeutralCommand } from '../ssh/quote'
import { THAWED_IMAGE } from '../criu/freeze-first'
import { CRIU_SHIM, CRIU_SHIM_NAME, withHoldEnvNames } from './criu-hold'
import { COUNT, DEFLATE, gzipArg, HAS_ZLIB, INFLATE, RECEIVER, receiverScript, SENDER, senderPipeline, type StreamCodec } from './page-delta'

export const TAIL_MARK = {
  /** The destination's receiver is there (the source reads it before it freezes anything). */
  receiverReady: 'globehop-tail: receiver ready',
  /** The session to the destination did not open: nothing was frozen. */
  noReceiver: 'globehop-tail: no session to the destination',
  /** The checkpoint starts now. */
  freezing: 'globehop-tail: freezing',
  /**
   * CRIU's log says it freezes the game's tasks now: the engine moves the IP on this line. Not on
   * "frozen": CRIU reads a cgroup v1 freezer right after asking it and, still FREEZING (about half
   * the dumps on the lab), sleeps 100 ms before it looks again (criu/seize.c). The tasks stop
   * within that first look; keepalived's takeover (one one-way delay, then VRRP) ends after it.
   * (CRIU before 4.1 words that line "freezing processes: N attempts with 100 ms steps".)
   */
  frozen: 'globehop-tail: frozen',
  /** The runtime's checkpoint exited 0. */
  dumped: 'globehop-tail: dumped',
  dumpFailed: 'globehop-tail: dump failed',
  gateReady: 'globehop-gate: ready',
  verified: 'globehop-gate: verified',
  restoring: 'globehop-gate: restoring',
  fenced: 'globehop-gate: fenced',
} as const

/**
 * How long CRIU's restore waited for the go-ahead at its post-restore notification, from the gate's
 * "restoring" line (criu-hold.ts); 0 where it did not wait there.
 */
export function postRestoreWaitMs(line: string): number {
  return line.startsWith(TAIL_MARK.restoring) ? Number(/at post-restore: (\d+) ms/.exec(line)?.[1] ?? 0) : 0
}

/** The gate's exit statuses besides the restore's own. */
export const GATE_EXIT = { noCopy: 93, noGo: 94, fenced: 96 } as const

/** The source's exit status when the destination's session did not open (nothing frozen). */
export const NO_RECEIVER_EXIT = 98

/** The engine's go-ahead line on the gate's stdin. */
export const GATE_GO = 'go\n'

export interface TailChainArgs {
  /** The final checkpoint's argv on the source (the runtime's). */
  checkpoint: readonly string[]
  /**
   * CRIU's log of that checkpoint, when the runtime writes nothing into the image once CRIU ended:
   * the pages go out on its last line. Without it they wait for the checkpoint's exit.
   */
  dumpLog?: string
  img: string
  /** The snapshot the destination's `remoteImg` holds, on the source. */
  basis: string
  remoteImg: string
  /** ssh argv up to and including the destination (HOST_SSH_OPTS, port, user, `--`, address). */
  ssh: readonly string[]
  compress: boolean
  /** The link's measured rate: gzip's level follows it. */
  mbitPerSec?: number | null
  /**
   * A whole image (stop-and-copy: `basis` does not exist, every file goes whole): compressed with
   * zstd at this level instead of gzip (rsync's codec: ~20 % fewer bytes than zlib -6 on the game's
   * memory, at a fifth of the CPU). Only with `compress`.
   */
  zstdLevel?: number
  /**
   * Files the runtime writes into the image before it starts CRIU and never after (runc's
   * descriptors.json): a whole image sends them first, once CRIU's log appeared, so the
   * destination's held restore (criu-hold.ts) gets runc's own start done while the pages cross.
   */
  leadFiles?: readonly string[]
  /** Source: the FIFO the stream goes through. */
  fifo: string
  /** Destination: the file the verified copy leaves (the receiver's last line). */
  marker: string
}

// The sender waits in itself for the dump: started (and compiled) before the freeze, it scans the
// moment CRIU is done, where a sender started then had taken 25-40 ms to get going on the lab's
// two cores (runc's cleanup runs beside it). The wait reads CRIU's log on from where it stopped,
// every 2 ms: says on fd 5 (the command's stdout) when the game's tasks freeze (CRIU's line just
// before it asks the freezer cgroup, or the freezer's or the first seized task's line without it),
// and ends on the "finished" line or, without one, on the checkpoint's exit status 0 (having set the
// image's freezer.state back to THAWED where the checkpoint froze the game first: criu/freeze-first.ts);
// the sender exits 1 without a byte when the checkpoint failed.
// Asked for it, the wait also returns early, at CRIU's first line after its last task: every
// task's memory (pages-*.img and its pagemap) is written and closed by then, while CRIU goes on
// with the mounts (a tar and a gzip per tmpfs: 17 ms each on the lab), the cgroups and the
// inventory (cr-dump.c: the task loop, then dump_mnt_namespaces, whose first line this is).
const DUMP_WAIT = String.raw`
our ($DW_LOG, $DW_RC) = splice(@ARGV, 2, 2); our ($DW_POS, $DW_TAIL, $DW_FROZEN, $DW_MEM, $DW_END) = (0, '', 0, 0, 0);
open(our $DW_TELL, '>&=', 5) or die "fd 5: $!
"; select((select($DW_TELL), $| = 1)[0]);
# Reads what CRIU's log gained since the last look; true when there was something.
our $DW_READ = sub {
  return 0 if $DW_LOG eq '' || !open(my $l, '<:raw', $DW_LOG);
  seek($l, $DW_POS, 0); my $n = read($l, my $d, 1 << 20) // 0; close $l;
  return 0 unless $n;
  $DW_POS += $n; my $s = $DW_TAIL . $d; $DW_TAIL = substr($s, -80);
  if (!$DW_FROZEN && $s =~ /freezing cgroup \S+: \d+ x \d+ms attempts|freezing processes: \d+ attempts (?:with|done)|SEIZE \d+ \(comm [^\n]*\): success/) { print $DW_TELL "FROZEN_MARK\n"; $DW_FROZEN = 1 }
  $DW_END = 1 if index($s, 'Dumping finished successfully') >= 0;
  $DW_MEM = 1 if index($s, 'mnt: Dumping mountpoints') >= 0;
  1;
};
# One look, without waiting: true once the log says the dump finished.
our $DUMP_DONE = sub { $DW_READ->() unless $DW_END; $DW_END };
# 1: every task's memory is written (only when $_[0] asks for it); 0: the dump finished.
our $DUMP_WAIT = sub {
  my ($early) = @_;
  while (1) {
    if ($DW_END) { $THAWED_IMAGE->($ARGV[0]); close $DW_TELL; return 0 }
    return 1 if $early && $DW_MEM;
    next if $DW_READ->();
    # (A line without its newline is still being written: looked at again.)
    if (-e $DW_RC) { open(my $r, '<', $DW_RC) or exit 1; my $v = <$r> // ''; if (chomp $v) { if ($v eq '0') { $THAWED_IMAGE->($ARGV[0]); close $DW_TELL; return 0 } exit 1 } }
    select(undef, undef, undef, 0.002);
  }
};
`.replace('FROZEN_MARK', TAIL_MARK.frozen)

const SOURCE = [
  'fifo=$1 img=$2 base=$3 zip=$4 sender=$5 remote=$6 count=$7 ckpt=$8 log=$9 deflate=${10} lead=${11}; shift 11',
  'rc_file="$fifo.rc"',
  'rm -f "$fifo" "$fifo.back" "$rc_file"; mkfifo "$fifo" "$fifo.back" || exit 97',
  // The destination's session opens first; nothing freezes until its receiver says it is there.
  '"$@" "$remote" <"$fifo" >"$fifo.back" &',
  'peer=$!',
  'exec 3>"$fifo" 4<"$fifo.back"; rm -f "$fifo" "$fifo.back"',
  // (A login script's chatter on stdout comes first; the receiver's line is the one that counts.)
  // Its line ends in "zlib" where its perl has zlib's module: then every file that goes whole carries
  // its CRC along (page-delta.ts SENDER), if ours has it too.
  `zcrc=0; while IFS= read -r ready <&4; do case $ready in "${TAIL_MARK.receiverReady}") break ;; "${TAIL_MARK.receiverReady} zlib") zcrc=1; break ;; esac; done`,
  `case $ready in "${TAIL_MARK.receiverReady}" | "${TAIL_MARK.receiverReady} zlib") ;; *) exec 3>&- 4<&-; wait "$peer"; echo "${TAIL_MARK.noReceiver} (ssh exit $?)"; exit ${NO_RECEIVER_EXIT} ;; esac`,
  // The compressor is chosen before the freeze (a perl start). The waiting sender's frozen line
  // goes to fd 5, this command's stdout (its own is the stream).
  `case $zip in zstd*) zf=zstd zip=\${zip#zstd} ;; *) zf=gzip; ! ${HAS_ZLIB} || zf=perl ;; esac`,
  'exec 5>&1',
  `echo "${TAIL_MARK.freezing}"`,
  // A log left from before must not say "finished" for this dump.
  '[ -z "$log" ] || rm -f "$log"',
  // The checkpoint says how it ended itself (a line, and its status in a file for the watch, which
  // waits for the whole line: no mv process at the dump's end).
  `{ eval "$ckpt"; rc=$?; if [ "$rc" -eq 0 ]; then echo "${TAIL_MARK.dumped}"; else echo "${TAIL_MARK.dumpFailed} ($rc)"; fi; echo "$rc" >"$rc_file"; } 3>&- 4<&- 5>&- &`,
  'ck=$!',
  // No stream on a failed dump: the destination reads a cut-short stream and verifies nothing.
  senderPipeline('GLOBEHOP_ZCRC=$zcrc perl -e "$sender" -- "$img" "$base" "$log" "$rc_file" "$lead" 4<&-', '>&3'),
  'exec 3>&- 5>&-',
  // Past this point the destination verifies and restores (on the lab, on these same two cores):
  // the shell's own read and printf instead of cat, and the rc file's rm once that is over.
  'wait "$ck"; rc=1; [ ! -r "$rc_file" ] || read -r rc <"$rc_file" || rc=1',
  // The destination's verify line, then its status; a failed checkpoint's status wins.
  `while IFS= read -r l <&4; do printf '%s\\n' "$l"; done; [ -z "$l" ] || printf '%s' "$l"; exec 4<&-`,
  'wait "$peer"; peer_rc=$?; rm -f "$rc_file"',
  '[ "$rc" -eq 0 ] || exit "$rc"',
  'exit "$peer_rc"',
].join('\n')

// The receiver writes its verify line to the marker itself (aside, then renamed: the gate reads it
// whole), and on to the source. A whole image has no snapshot there to patch: its dir is new.
const DESTINATION = (codec: StreamCodec) =>
  [
    'recv=$1 dir=$2 marker=$3 inflate=$4; set -- "$recv" "$dir" "$inflate" "$marker"',
    'mkdir -p -- "$dir" || exit 1',
    // (A perl start before anything freezes: the source waits for this line.)
    `if ${HAS_ZLIB}; then echo "${TAIL_MARK.receiverReady} zlib"; else echo "${TAIL_MARK.receiverReady}"; fi`,
    receiverScript(codec, true),
  ].join('\n')

// The lead files as one word list: plain names only (the image's files are checked the same way).
function leadWords(names: readonly string[] = []): string {
  for (const n of names) if (!/^[A-Za-z0-9._-]+$/.test(n) || n.startsWith('.')) throw new Error(`tail chain: odd lead file name ${JSON.stringify(n)}`)
  return names.join(' ')
}

/** One command on the source; it ends once the destination verified the copy (or failed). */
export function tailChainArgv(a: TailChainArgs): string[] {
  // The destination's login shell may be any shell: the command reaches sh unchanged (quote.ts).
  const zstd = a.compress && a.zstdLevel !== undefined
  const remote = shNeutralCommand(quoteArgv(['sh', '-c', DESTINATION(zstd ? 'zstd' : a.compress ? 'gzip' : 'none'), 'sh', RECEIVER, a.remoteImg, a.marker, INFLATE]))
  const zip = zstd ? `zstd${a.zstdLevel}` : gzipArg(a)
  return ['sh', '-c', SOURCE, 'sh', a.fifo, a.img, a.basis, zip, THAWED_IMAGE + DUMP_WAIT + SENDER, remote, COUNT, quoteArgv(a.checkpoint), a.dumpLog ?? '', DEFLATE, leadWords(a.leadFiles), ...a.ssh]
}

export interface GateArgs {
  marker: string
  /** How long the gate waits for the marker. */
  waitMs: number
  claim: string
  done: string
  restore: readonly string[]
  /**
   * Start the restore with the gate, CRIU's version check held until the copy is verified and its
   * restore until the go-ahead (criu-hold.ts): only for a runtime whose restore runs `criu` from PATH.
   */
  hold?: { shimDir: string; fifo: string; held: string; images?: string }
  /**
   * A whole image's copy has no fixed time: the gate gives up once nothing new reached `dir` (the
   * receiver's image dir) for `ms`, so a held restore does not wait out `waitMs` where the source or
   * the link died and no engine is left to say no.
   */
  idle?: { dir: string; ms: number }
}

// One perl process: polls for the marker (2 ms: a perl sleep, no process per look), then waits for
// the go line and takes the restore claim itself (a process start less between the go-ahead and the
// restore). With a hold, the restore starts with the gate, before the freeze, in its own session (a
// kill of the gate's command does not reach it: the gate ends it): runc's own start is over before
// anything is frozen, its CRIU version check waits for the gate's marker (the copy is verified: runc
// reads the image's descriptors.json after that check) unless the snapshot's is in `images` already
// (then it goes at once and the restore checks the copy's against it), CRIU restores the game from
// the verified copy on, and the game's resume waits for its "go" (once the gate holds the claim: criu-hold.ts);
// "no" without a go line, on a fence, when the copy never came or the gate is stopped. `held` says
// the restore's process (its pid) before anything is frozen, so a fence that claims waits for that
// restore to end (fenceArgv). The gate writes `done` once a restore it started ended.
const GATE = withHoldEnvNames(String.raw`
use strict; use POSIX (); use Fcntl qw(O_RDWR); use Time::HiRes ();
$| = 1; $SIG{PIPE} = 'IGNORE';
my ($marker, $ms, $claim, $done, $shim, $fifo, $held, $images, $idle_dir, $idle_ms, $text, @restore) = @ARGV;
print "GATE_READY\n";
# The held restore needs the real criu (first on PATH) and the shim beside nothing else.
my $real = '';
if ($shim ne '') {
  ($real) = ((grep { -f $_ && -x _ } map { "$_/criu" } grep { $_ ne '' && $_ ne $shim } split(/:/, $ENV{PATH} // '')), '');
  my ($f, $o) = ("$shim/SHIM_NAME");
  $real = '' unless $real ne '' && (-d $shim || mkdir $shim) && open($o, '>', "$f.part") && (print $o "#!$^X\n$text") && close($o) && chmod(0755, "$f.part") && rename("$f.part", $f);
}
my ($pid, $go, $said, $rc);
# The restore's status into done as soon as it ended (a held one may end while the gate still waits
# for its go line: a fence waits for that), once.
my $reaped = sub {
  return if defined $rc || waitpid($pid, $_[0] ? 0 : POSIX::WNOHANG()) != $pid;
  $rc = $? & 127 ? 128 + ($? & 127) : $? >> 8;
  if (open(my $d, '>', $done)) { print $d "$rc\n"; close $d }
};
my $finish = sub { my ($exit) = @_; $SIG{CHLD} = 'DEFAULT'; $reaped->(1); exit($exit // $rc) };
my $start = sub {
  $pid = fork;
  die "fork: $!\n" unless defined $pid;
  return if $pid;
  if ($go) {
    POSIX::setsid();
    # At nice 10 until its go (the shim puts the group back at 0): what runc does once the copy is
    # verified must not take the CPU from the gate's "verified" line on its way to the engine.
    setpriority(0, 0, 10);
    $ENV{PATH} = "$shim:$ENV{PATH}";
    @ENV{qw(HOLD_ENV_NAMES)} = ($real, $fifo, $marker, int($ms / 1000) + 1, "$fifo.waiting", $images);
    open(STDIN, '<', '/dev/null');
  }
  exec { $restore[0] } @restore; exit 127;
};
# The gate's word to the shim, once: "go" or "no" (a file too, for the calls that only ask).
my $say = sub { my ($w) = @_; return if $said; $said = $w; if ($w eq 'no' && open(my $x, '>', "$fifo.no")) { close $x } syswrite($go, "$w\n") };
# No restore here: a held one ends first.
my $give_up = sub { my ($code) = @_; exit $code unless $go; $say->('no'); $finish->($code) };
if ($real ne '') {
  unlink $fifo, "$fifo.waiting", "$fifo.no", "$fifo.desc";
  if (POSIX::mkfifo($fifo, 0600) && sysopen($go, $fifo, O_RDWR)) {
    $start->();
    my ($t, $h) = ("$held.part");
    $SIG{CHLD} = sub { local ($?, $!); $reaped->(0) };
    open($h, '>', $t) && (print $h "$pid\n") && close($h) && rename($t, $held) or $give_up->(GATE_NO_COPY);
    # Stopped before the go line: the restore ends without one; after it: the restore is stopped too.
    $SIG{TERM} = $SIG{HUP} = $SIG{INT} = sub {
      if (($said // '') eq 'go') { kill('TERM', -$pid); $finish->() }
      $give_up->(GATE_NO_GO);
    };
  } else {
    undef $go;
  }
}
# The engine writes nothing before the copy is verified; an end of its stdin before that (the
# engine gave up on the hop, or its session here closed) means no go line will come: a held restore
# (in the container's cgroup once runc's own start is over) must not wait out the bound for it.
my ($n, $in, $eof, $rin, $seen, $still) = (0, '', 0, '', '', 0);
vec($rin, fileno(STDIN), 1) = 1;
# (A held restore's end interrupts the read: SIGCHLD, not the end of stdin.)
my $read = sub { my $r = sysread(STDIN, $in, 64, length $in); $eof = 1 unless $r || (!defined $r && $! == POSIX::EINTR()) };
# What the receiver's dir holds (names and bytes), to see that the copy still arrives.
my $arrived = sub { opendir(my $h, $idle_dir) or return ''; my ($k, $b) = (0, 0); for (readdir $h) { next if /^\.\.?$/; $k++; $b += -s "$idle_dir/$_" // 0 } closedir $h; "$k $b" };
until (-e $marker) {
  $give_up->(GATE_NO_COPY) if ++$n * 2 > $ms;
  if (!$eof && select(my $r = $rin, undef, undef, 0.002) > 0) { $read->(); $give_up->(GATE_NO_GO) if $eof && index($in, "\n") < 0 }
  else { select(undef, undef, undef, 0.002) if $eof }
  # Every 100 ms: a whole image's copy that stopped arriving for the idle bound will not come.
  if ($idle_ms > 0 && $n % 50 == 0) { my $s = $arrived->(); if ($s ne $seen) { ($seen, $still) = ($s, $n) } elsif (($n - $still) * 2 > $idle_ms) { $give_up->(GATE_NO_COPY) } }
}
open(my $m, '<', $marker) or $give_up->(GATE_NO_COPY); my $v = <$m> // ''; chomp $v; print "GATE_VERIFIED $v\n";
$read->() until $eof || index($in, "\n") >= 0;
my $line = index($in, "\n") >= 0 ? substr($in, 0, index($in, "\n") + 1) : undef;
my $ok = defined $line && $line eq "go\n";
my $claimed = $ok && mkdir($claim);
print STDERR "GATE_FENCED: a rollback claimed the restore first\n" if $ok && !$claimed;
if ($go) {
  # How long CRIU's restore had waited at its post-restore notification (the shim's file says so):
  # CRIU counts it in its restore time.
  my ($at, $waited) = ('', 0);
  if ($claimed && open(my $w, '<', "$fifo.waiting")) { $at = <$w> // ''; close $w; $waited = (Time::HiRes::time() - (Time::HiRes::stat("$fifo.waiting"))[9]) * 1000 }
  $say->($claimed ? 'go' : 'no');
  print "GATE_RESTORING (" . ($at eq "post-restore\n" ? sprintf("CRIU's restore waited for it at post-restore: %.0f ms", $waited) : -e "$fifo.waiting" ? "CRIU's restore was waiting for it" : "CRIU's restore was not waiting yet") . ")\n" if $claimed;
  $finish->($claimed ? undef : $ok ? GATE_FENCED : GATE_NO_GO);
}
exit GATE_NO_GO unless $ok;
exit GATE_FENCED unless $claimed;
print "GATE_RESTORING\n";
$start->();
$finish->();
`)
  .replaceAll('GATE_NO_COPY', String(GATE_EXIT.noCopy))
  .replaceAll('GATE_NO_GO', String(GATE_EXIT.noGo))
  .replaceAll('GATE_FENCED:', `${TAIL_MARK.fenced}:`)
  .replaceAll('GATE_FENCED', String(GATE_EXIT.fenced))
  .replace('GATE_READY', TAIL_MARK.gateReady)
  .replace('GATE_VERIFIED', TAIL_MARK.verified)
  .replaceAll('GATE_RESTORING', TAIL_MARK.restoring)
  .replace('SHIM_NAME', CRIU_SHIM_NAME)

/** Where the gate's argv holds its marker, and where the restore's own argv starts in it. */
export const GATE_ARGV_AT = { marker: 4, restore: 15 } as const

/** The destination's restore gate: started before the freeze, restores only after the go line. */
export function gateArgv(a: GateArgs): string[] {
  const h = a.hold
  return ['perl', '-e', GATE, '--', a.marker, String(Math.max(1, Math.round(a.waitMs))), a.claim, a.done, h?.shimDir ?? '', h?.fifo ?? '', h?.held ?? '', h?.images ?? '', a.idle?.dir ?? '', String(a.idle ? Math.max(1, Math.round(a.idle.ms)) : 0), CRIU_SHIM, ...a.restore]
}

/** A hop's restore claim on the destination (pipeline/paths.ts restoreClaim). */
export interface RestoreClaim {
  hopDir: string
  claim: string
  done: string
  /** The pid of a restore the gate started before its go-ahead, and the FIFO its shim waits on. */
  held: string
  go: string
}

/**
 * On the destination, before anything else undoes or repeats a hop: take the restore claim so a
 * restore gate that got its go-ahead can never start a second copy; when the gate took it first,
 * wait (bounded) for its restore to end, so what runs there afterwards is settled. A restore the
 * gate started before its go-ahead (`held`) can no longer get one once the claim is taken: the
 * fence tells it "no" itself (the gate may be cut off from its engine) and waits for it to end.
 * Prints what it found.
 */
export function fenceArgv(c: RestoreClaim, waitMs: number): string[] {
  const script = [
    'hop=$1 claim=$2 done=$3 held=$4 go=$5 n=$6',
    '[ -d "$hop" ] || { echo "globehop-fence: no hop directory"; exit 0; }',
    // Ended: `done`, or its process is gone (the gate wrote its pid before anything was frozen).
    'alive() { [ -e "$held" ] && [ ! -e "$done" ] && read -r pid <"$held" && kill -0 "$pid" 2>/dev/null; }',
    'wait_for() { i=0; while "$1" && [ "$i" -lt "$n" ]; do sleep 0.1; i=$((i+1)); done; ! "$1"; }',
    'if mkdir "$claim" 2>/dev/null; then',
    // The shim's "no": a file for a call that only asks, a word for CRIU's restore (<> never blocks).
    '  if alive; then : >"$go.no"; [ ! -p "$go" ] || { printf \'no\\n\' >&3; } 3<>"$go"; fi',
    '  if wait_for alive; then echo "globehop-fence: claimed"; else echo "globehop-fence: restore still running"; fi; exit 0',
    'fi',
    'running() { [ ! -e "$done" ]; }',
    'if wait_for running; then echo "globehop-fence: restore ended"; else echo "globehop-fence: restore still running"; fi',
  ].join('\n')
  return ['sh', '-c', script, 'sh', c.hopDir, c.claim, c.done, c.held, c.go, String(Math.max(1, Math.ceil(waitMs / 100)))]
}

export type FenceOutcome = 'claimed' | 'restore ended' | 'restore still running' | 'no hop directory'

export function parseFence(stdout: string): FenceOutcome | null {
  const m = /globehop-fence: (claimed|restore ended|restore still running|no hop directory)/.exec(stdout)
  return m ? (m[1] as FenceOutcome) : null
}

// A restore that starts before its go-ahead, with only the game's resume held until the go-ahead
// comes. After the go line, runc's own start had taken 50-75 ms on the lab before CRIU's restore
// began (Go's start, a first `criu swrk` only to ask CRIU's version, the container's config and
// cgroups: runc 1.3 libcontainer/criu_linux.go), and CRIU's restore itself 150-380 ms; the go line
// costs a round trip to the destination (35-55 ms on the lab's 50 ms link, ~130 ms to Montreal).
// The restore gate (tail-chain.ts) starts runc's restore with itself, before the freeze, with this
// shim first on PATH as `criu`: runc runs `criu swrk FD` by name for both calls. A request that
// only asks (CRIU's version, a feature or kernel check) waits until the copy is verified (the
// gate's marker: runc reads the image's descriptors.json right after its version check) and then
// goes to the real CRIU; where descriptors.json is in the image dir first (the snapshot's, or the
// one a whole image's stream sends ahead: tail-chain.ts leadFiles), it goes then, and the restore
// fails unless the verified copy's is the same. The restore waits for the
// verified copy too and then runs, with the shim between runc and CRIU, up to CRIU's post-restore
// notification: the game is restored but has not run, and CRIU waits for that answer until the gate writes the go-ahead into a FIFO. The gate's
// "no" (a file for the asking calls, a word in the FIFO for the restore), any other word, the
// gate's end, the wait's bound or a killed shim abort CRIU's restore: it kills what it restored,
// runc's restore fails and undoes its container. A restore request without notifications (not
// runc's) waits for the go line before CRIU starts, as every restore did before.
// The gate starts runc at nice 10 and the shim puts runc's process group back at 0 once the copy
// is verified, for CRIU's restore (before, at the go line: at 0 throughout, runc's work once the
// copy was verified took the CPU from the gate's "verified" line on its way to the engine, lab, 32
// hops each: freeze to go-ahead +27 ms; at nice 10, +1 ms; CRIU's restore now runs from there on).
// Only where the runtime says its restore runs `criu` from PATH (Runtime.restoreRunsCriu): a
// restore that did not pass through the shim would not wait.

/** The shim's file name in its directory (what runc runs). */
export const CRIU_SHIM_NAME = 'criu'

/** How the gate hands the shim its inputs (the restore's environment). */
export const CRIU_HOLD_ENV = {
  /** The real criu's path. */
  criu: 'GLOBEHOP_CRIU',
  /** The FIFO the gate writes "go" (or anything else) into; "<fifo>.no" is the gate's "no" as a file. */
  fifo: 'GLOBEHOP_GO',
  /** The gate's marker: the copy is verified. */
  verified: 'GLOBEHOP_VERIFIED',
  /** The wait's bound, seconds. */
  secs: 'GLOBEHOP_GO_SECS',
  /** A file the shim makes when the restore waits in it (the gate then says "held"). */
  waiting: 'GLOBEHOP_HELD',
  /** The image dir the restore reads (where runc finds descriptors.json). */
  images: 'GLOBEHOP_IMAGES',
} as const

/**
 * A perl script's `@ENV{qw(...)}` of the hold's inputs, in the order the gate sets them and the shim
 * reads them (real criu, FIFO, verified marker, bound, waiting file, image dir): the script writes HOLD_ENV_NAMES.
 */
export function withHoldEnvNames(script: string): string {
  const e = CRIU_HOLD_ENV
  return script.replace('HOLD_ENV_NAMES', [e.criu, e.fifo, e.verified, e.secs, e.waiting, e.images].join(' '))
}

// CRIU's RPC request (images/rpc.proto, criu_req) starts with its type: field 1, a varint, so the
// bytes 0x08 and the type. Read with MSG_PEEK on the SEQPACKET socket, so CRIU still gets it whole.
// CHECK = 3, FEATURE_CHECK = 9, VERSION = 10 change nothing: they wait for the verified copy only
// (a 2 ms look, as the gate's). A restore (2) that asks for CRIU's notifications (criu_opts field
// 12, notify_scripts: runc always does) waits for the verified copy too, and then runs through the
// shim: CRIU talks to the shim, the shim to runc, message by message, and the shim holds CRIU's
// "post-restore" notification until the go line. CRIU sends it once the game's tasks, memory, files
// and mounts are restored and before it lets them run (criu/cr-restore.c: post-restore, then the
// credentials, the seize, "pre-resume" and the resume), and waits for the answer: so CRIU's whole
// restore (290-360 ms on the lab) runs while the go-ahead crosses the link, and the game runs 13 ms
// after it. Any answer but a success aborts CRIU's restore and kills what it restored ("Aborting
// restore due to post-restore script ret code"): the gate's "no" is a failed answer, and a shim
// that dies (its bound, a kill) leaves CRIU an EOF, which aborts the same way. ("pre-resume" would
// hold a little less, but CRIU resumes the game whatever its answer.) CRIU opens the descriptors
// the request names (images and work dirs) through /proc/<its peer's pid>/fd: the peer is now the
// shim, so the shim first opens every directory runc holds open and it lacks at the same number. A
// descriptor CRIU sends along a message (a terminal's, which globehop never asks for) would be
// lost: runc's restore then fails. Every other request, and a restore without notifications, waits
// for the go line before CRIU starts, as before. The shim runs twice per restore: no modules
// (Linux's MSG_PEEK, F_SETFD, F_DUPFD, AF_UNIX and SOCK_SEQPACKET by number), 10 ms a start on the
// lab against 22 ms with Socket's.
const SHIM = withHoldEnvNames(String.raw`
my ($real, $go, $verified, $secs, $waiting, $images) = @ENV{qw(HOLD_ENV_NAMES)};
exit 127 unless defined $real && $real ne '' && defined $go && $go ne '';
$SIG{ALRM} = sub { exit 1 }; alarm($secs && $secs > 0 ? $secs : 600);
# A protobuf message's fields: [number, varint] or [number, bytes]; () when it does not read that way.
sub vint { my ($s, $p) = @_; my ($v, $sh) = (0, 0); while ($$p < length $$s) { my $c = ord(substr($$s, $$p++, 1)); $v += ($c & 0x7f) * 2 ** $sh; return $v unless $c & 0x80; $sh += 7 } undef }
sub fields {
  my ($s) = @_; my ($p, @f) = (0);
  while ($p < length $s) {
    my $k = vint(\$s, \$p); return () unless defined $k; my ($n, $t) = (int($k / 8), $k % 8);
    if ($t == 0) { my $v = vint(\$s, \$p); return () unless defined $v; push @f, [$n, $v] }
    elsif ($t == 2) { my $l = vint(\$s, \$p); return () unless defined $l && $p + $l <= length $s; push @f, [$n, substr($s, $p, $l)]; $p += $l }
    elsif ($t == 1 || $t == 5) { $p += $t == 1 ? 8 : 4 }
    else { return () }
  }
  @f;
}
sub field { my ($n, @f) = @_; for (@f) { return $_->[1] if $_->[0] == $n } undef }
# Until the copy is verified, or the sub given says so first; the gate's "no" ends the wait and the shim.
my $wait_copy = sub { my ($or) = @_; until (($or && $or->()) || (defined $verified && -e $verified)) { exit 1 if -e "$go.no"; select(undef, undef, undef, 0.002) } };
sub slurp { open(my $f, '<', $_[0]) or return undef; local $/; my $d = <$f>; close $f; $d // '' }
# runc reads the image's descriptors.json right after its version check, and nothing else of the
# image before CRIU's restore. Where the snapshot's is there already (pre-copy), the asking calls go
# at once with a copy of it beside the FIFO, so runc's own start (the second shim's included) is over
# before the copy is verified (lab: 12-23 ms from the verified copy to CRIU's first log line when
# runc started then); the restore compares the verified copy's with it and fails where they differ.
my $seen = "$go.desc";
my $early = sub {
  return 1 if -e $seen;
  my $d = defined $images && $images ne '' ? slurp("$images/descriptors.json") : undef;
  return 0 unless defined $d;
  my $o; open($o, '>', "$seen.part") && (print $o $d) && close($o) && rename("$seen.part", $seen);
};
# The gate's word, once: "go" or anything else. The waiting file says where the restore waits.
my $word = sub {
  my ($where) = @_;
  open(my $f, '<', $go) or return '';
  if (defined $waiting && open(my $w, '>', $waiting)) { print $w $where // ''; close $w }
  my $l = '';
  while (length($l) < 3) { my $r = sysread($f, $l, 3 - length($l), length($l)); last unless $r }
  $l;
};
my ($type, $sock, $notify) = (-1);
if (@ARGV == 2 && $ARGV[0] eq 'swrk' && $ARGV[1] =~ /^\d+$/ && open($sock, '+<&=', $ARGV[1])) {
  my $b = '';
  if (defined(recv($sock, $b, 1 << 20, 2)) && length($b) >= 2 && ord($b) == 8) {
    $type = ord(substr($b, 1, 1));
    my @req = fields($b);
    $notify = $type == 2 && (field(12, fields(field(2, @req) // '')) // 0) == 1;
  }
  # criu swrk reads its request on this descriptor: it must survive the exec (F_SETFD, no flags).
  fcntl($sock, 2, 0);
}
if ($type == 3 || $type == 9 || $type == 10) {
  # (A whole image's stream brings descriptors.json first, long before the copy is verified.)
  $wait_copy->($early);
} elsif ($notify) {
  $wait_copy->();
  # What runc read early must be what the copy holds: else its restore fails here (the gate's done
  # says so, the engine rolls back), before CRIU.
  if (-e $seen) { my ($was, $now) = (slurp($seen), slurp("$images/descriptors.json")); exit 1 unless defined $was && defined $now && $was eq $now }
  # CRIU's restore runs from the verified copy on: at 0 (PRIO_PGRP is 1; root may raise a priority).
  setpriority(1, 0, 0);
  my $pp = getppid(); my %have = map { m{/(\d+)$} ? ($1 => 1) : () } glob("/proc/$$/fd/*");
  for (glob("/proc/$pp/fd/*")) {
    my ($n) = m{/(\d+)$}; next if $have{$n} || !-d $_ || !open(my $h, '<', $_);
    # F_DUPFD (0): the lowest free descriptor from $n on, which is $n; no close-on-exec.
    fcntl($h, 0, $n + 0); close $h;
  }
  # AF_UNIX (1), SOCK_SEQPACKET (5).
  socketpair(my $us, my $them, 1, 5, 0) or exit 1;
  my $pid = fork; exit 1 unless defined $pid;
  if (!$pid) { close $us; close $sock; fcntl($them, 2, 0); exec { $real } $real, 'swrk', fileno($them); exit 127 }
  close $them;
  my ($rin, $said) = ('');
  vec($rin, fileno($_), 1) = 1 for $sock, $us;
  while (1) {
    next unless select(my $r = $rin, undef, undef, undef) > 0;
    if (vec($r, fileno($sock), 1)) { my $m = ''; last unless defined(recv($sock, $m, 1 << 22, 0)) && $m ne ''; send($us, $m, 0) }
    if (vec($r, fileno($us), 1)) {
      my $m = ''; last unless defined(recv($us, $m, 1 << 22, 0)) && $m ne '';
      my @resp = fields($m);
      if (!$said && (field(1, @resp) // -1) == 6 && (field(1, fields(field(5, @resp) // '')) // '') eq 'post-restore') {
        $said = $word->("post-restore\n");
        # Not "go": a failed answer (criu_req: NOTIFY, notify_success false); CRIU aborts its restore.
        if ($said ne "go\n") { send($us, "\x08\x06\x18\x00", 0); next }
        alarm 0;
      }
      send($sock, $m, 0);
    }
  }
  close $us; close $sock; waitpid($pid, 0);
  exit($? & 127 ? 1 : $? >> 8);
} else {
  exit 1 unless $word->() eq "go\n";
  # The gate started the restore at nice 10 in its own process group: runc and CRIU's restore run
  # at 0 from the go on (PRIO_PGRP is 1; root may raise a priority).
  setpriority(1, 0, 0);
}
alarm 0;
exec { $real } $real, @ARGV;
exit 127;
`)

/** The shim's text after its `#!` line (the gate writes that line with its own perl's path). */
export const CRIU_SHIM = SHIM

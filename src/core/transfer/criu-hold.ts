// A restore that starts before its go-ahead, with CRIU's part held until the go-ahead comes.
// After the go line, runc's own start had taken 50-75 ms on the lab before CRIU's restore began:
// Go's start, a first `criu swrk` only to ask CRIU's version, the container's config and cgroups
// (runc 1.3 libcontainer/criu_linux.go). The go line itself costs a round trip to the destination
// (35-55 ms on the lab's 50 ms link, ~130 ms to Montreal). The restore gate (tail-chain.ts) starts
// runc's restore with itself, before the freeze, with this shim first on PATH as `criu`: runc runs
// `criu swrk FD` by name for both calls. A request that only asks (CRIU's version, a feature or
// kernel check) waits until the copy is verified (the gate's marker: runc reads the image's
// descriptors.json right after its version check) and then goes to the real CRIU; anything else, the
// restore first, waits until the gate writes the go-ahead into a FIFO. The gate's "no" (a file for
// the asking calls, a word in the FIFO for the restore), any other word, the gate's end or the
// wait's bound end it without a restore: runc's restore fails and undoes its container.
// The gate starts runc at nice 10 and the shim puts runc's process group back at 0 on the go line:
// at 0 throughout, runc's work once the copy was verified took the CPU from the gate's "verified"
// line on its way to the engine (lab, 32 hops each: freeze to go-ahead +27 ms; at nice 10, +1 ms).
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
} as const

/**
 * A perl script's `@ENV{qw(...)}` of the hold's inputs, in the order the gate sets them and the shim
 * reads them (real criu, FIFO, verified marker, bound, waiting file): the script writes HOLD_ENV_NAMES.
 */
export function withHoldEnvNames(script: string): string {
  const e = CRIU_HOLD_ENV
  return script.replace('HOLD_ENV_NAMES', [e.criu, e.fifo, e.verified, e.secs, e.waiting].join(' '))
}

// CRIU's RPC request (images/rpc.proto, criu_req) starts with its type: field 1, a varint, so the
// bytes 0x08 and the type. Read with MSG_PEEK on the SEQPACKET socket, so CRIU still gets it whole.
// CHECK = 3, FEATURE_CHECK = 9, VERSION = 10 change nothing: they wait for the verified copy only
// (a 2 ms look, as the gate's); every other type, or a request that does not read that way, waits
// for the go line. The shim runs twice per restore: no modules (Linux's MSG_PEEK and F_SETFD are
// both 2), 10 ms a start on the lab against 22 ms with Socket's.
const SHIM = withHoldEnvNames(String.raw`
my ($real, $go, $verified, $secs, $waiting) = @ENV{qw(HOLD_ENV_NAMES)};
exit 127 unless defined $real && $real ne '' && defined $go && $go ne '';
$SIG{ALRM} = sub { exit 1 }; alarm($secs && $secs > 0 ? $secs : 600);
my ($type, $sock) = (-1);
if (@ARGV == 2 && $ARGV[0] eq 'swrk' && $ARGV[1] =~ /^\d+$/ && open($sock, '+<&=', $ARGV[1])) {
  my $b = '';
  $type = ord(substr($b, 1, 1)) if defined(recv($sock, $b, 2, 2)) && length($b) == 2 && ord($b) == 8;
  # criu swrk reads its request on this descriptor: it must survive the exec (F_SETFD, no flags).
  fcntl($sock, 2, 0);
}
if ($type == 3 || $type == 9 || $type == 10) {
  until (defined $verified && -e $verified) { exit 1 if -e "$go.no"; select(undef, undef, undef, 0.002) }
} else {
  open(my $f, '<', $go) or exit 1;
  if (defined $waiting && open(my $w, '>', $waiting)) { close $w }
  my $l = '';
  while (length($l) < 3) { my $r = sysread($f, $l, 3 - length($l), length($l)); last unless $r }
  exit 1 unless $l eq "go\n";
  close $f;
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

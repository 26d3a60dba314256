// Command lines that move the floating IP. Two methods, never mixed (lab.md: moving the IP by
// hand while keepalived runs left it on both machines and the client lost every reply).

// (`[ -d ]` is the shell's own: no mkdir process where the directory is there, as it is after the
// first move; a hop's writes run at the freeze, where each process start costs CRIU CPU.)
const WRITE = '{ [ -d "${1%/*}" ] || mkdir -p -- "${1%/*}"; } && printf "%s\\n" "$2" >"$1"'

/** keepalived's vrrp_track_file: 1 makes this host the owner (weight 100), 0 gives it up. */
export function writeTrackFile(file: string, owner: boolean): string[] {
  // Values go in as positional parameters, never pasted into the script.
  return ['sh', '-c', WRITE, 'sh', file, owner ? '1' : '0']
}

/** An armed watch whose go line never came (awaitAddress): nothing was written. */
export const NOT_TRIGGERED_EXIT = 4
/** An armed watch whose go line came after a rollback or `recover` had taken the hop's IP claim on
 *  that host: nothing was written (awaitAddress). */
export const FENCED_EXIT = 5

// The hop's IP claim on one host (a directory: mkdir is atomic). Whoever takes it first decides the
// order of the track-file writes there: the armed move's late go line (it may sit in a cut-off
// host's TCP stream and arrive after the rollback wrote) writes only while the claim is free; a
// rollback or recover that finds it taken waits until that write happened ($c/done), then writes.
const TAKE_CLAIM = '{ [ -d "${c%/*}" ] || mkdir -p -- "${c%/*}"; } && mkdir -- "$c" 2>/dev/null'

/**
 * writeTrackFile after the hop's IP claim at `claim` (see TAKE_CLAIM): taken here, nothing of the
 * hop's move writes afterwards; taken by the move, this waits (up to `waitMs`) for its write first.
 */
export function writeTrackFileFenced(file: string, owner: boolean, claim: string, waitMs = 2000): string[] {
  const script = [
    'c=$3 n=$4',
    `if ${TAKE_CLAIM}; then : >"$c/done"; else`,
    '  i=0; while [ ! -e "$c/done" ] && [ "$i" -lt "$n" ]; do i=$((i+1)); sleep 0.01 2>/dev/null || sleep 1; done',
    'fi',
    WRITE,
  ].join('\n')
  return ['sh', '-c', script, 'sh', file, owner ? '1' : '0', claim, String(Math.max(1, Math.ceil(waitMs / 10)))]
}

/** Between looks at the host's addresses without perl, ms. */
const LOOK_MS = 10

// With perl there (the final delta needs it anyway), the whole command is one perl process,
// started before the freeze when armed: at the go line it takes the claim and writes the track
// file itself, then looks at the addresses when `ip monitor` (listening since the start, so no
// change is missed) reports one of this address, and every 100 ms as a safety net. The shell
// version below starts mkdir, sleep and, every 10 ms, `ip`, `grep` and `sleep`: those looks kept a
// core busy while they ran (a 0.5 s wait took 1.25 s of CPU on a lab host, 0.11 s with the
// monitor), and a hop's writes and watches run from the freeze on, while CRIU needs the CPU.
// Inside the shell's single quotes: no single quote in it. /proc/uptime: a clock without
// Time::HiRes (not in perl-base).
const WATCH = String.raw`
use strict; use File::Path qw(make_path); $| = 1;
my ($a, $want, $n, $delay, $file, $val, $armed, $c) = @ARGV;
# Package variables: an exit frees file-scoped lexicals (closing, so waiting for, the monitor) before END runs.
our $mon = open(our $m, "-|", "ip", "-o", "-4", "monitor", "address");
END { kill("TERM", $mon) if $mon } $SIG{$_} = sub { exit 1 } for qw(HUP INT TERM PIPE);
print "started\n";
if (($armed // "") eq "armed") { my $go = <STDIN>; exit ${NOT_TRIGGERED_EXIT} unless defined $go && $go eq "go\n" }
sub dir { my ($d) = $_[0] =~ m{^(.*)/[^/]*$}; return 1 if !defined $d || $d eq "" || -d $d; eval { make_path($d) }; -d $d }
sub touch { my $t; open($t, ">", $_[0]) and close $t }
if (($c // "") ne "") { unless (dir($c) && mkdir($c)) { touch("$c/late"); exit ${FENCED_EXIT} } }
if (($file // "") ne "") {
  select(undef, undef, undef, $delay) if $delay > 0;
  my $f; my $w = dir($file) && open($f, ">", $file) && print($f "$val\n") && close($f);
  touch("$c/done") if ($c // "") ne ""; exit 1 unless $w;
}
sub now { open(my $u, "<", "/proc/uptime") or return time; my $v = <$u>; $v + 0 }
sub holds { open(my $p, "-|", "ip", "-o", "-4", "addr", "show") or return 0; my $h = 0; while (<$p>) { $h = 1 if index($_, " inet $a/") >= 0 } close $p; $h }
my ($tail, $end) = ("", now() + $n * ${LOOK_MS} / 1000);
while (1) {
  exit 0 if holds() == $want;
  # The next look: at an event naming the address, or after 100 ms (without a monitor, gone or
  # an ip without one, after the old 10 ms).
  my $next = now() + ($mon ? 0.1 : ${LOOK_MS} / 1000);
  while (1) {
    my $t = now(); exit 3 if $t >= $end; last if $t >= $next;
    my $wait = ($next < $end ? $next : $end) - $t;
    if (!$mon) { select(undef, undef, undef, $wait); next }
    my $r = ""; vec($r, fileno($m), 1) = 1;
    next unless select($r, undef, undef, $wait);
    my $x; if (!sysread($m, $x, 65536)) { undef $mon; last }
    $x = $tail . $x; $tail = substr($x, -40); last if index($x, " inet $a/") >= 0;
  }
}
`

/**
 * Writes the track file when `track` is given (after `delayMs`: the source waits so the
 * destination is a BACKUP before the source's priority-0 advert reaches it), then waits on the
 * host itself (no round trip per look) until it holds (`want` true) or no longer holds the address;
 * exits 3 after about `timeoutMs`.
 */
export function awaitAddress(
  ip: string,
  want: boolean,
  timeoutMs: number,
  track?: { file: string; owner: boolean; delayMs?: number; armed?: boolean; claim?: string },
): string[] {
  const script = [
    `if command -v perl >/dev/null 2>&1; then exec perl -e '${WATCH}' -- "$@"; fi`,
    'a=$1 want=$2 n=$3 delay=$4',
    // The first line tells the caller when the command started (moveFloatingIp times hosts with it).
    'echo started',
    // Armed: opened before the freeze, it writes only once the engine's go line arrives on stdin;
    // stdin ending without it (the hop ended first) exits 4 with nothing written.
    `if [ "$7" = armed ]; then IFS= read -r go || exit ${NOT_TRIGGERED_EXIT}; [ "$go" = go ] || exit ${NOT_TRIGGERED_EXIT}; fi`,
    // With a claim: write only while it is free, and say when the write is over (writeTrackFileFenced).
    // A fenced go line leaves `late` in the claim, for the survey of what happened.
    `c=$8; if [ -n "$c" ]; then ${TAKE_CLAIM} || { : >"$c/late"; exit ${FENCED_EXIT}; }; fi`,
    `if [ -n "$5" ]; then shift 4; [ "$delay" = 0.000 ] || sleep "$delay" 2>/dev/null; ${WRITE}; w=$?; [ -z "$c" ] || : >"$c/done"; [ "$w" = 0 ] || exit 1; fi`,
    'i=0',
    'while :; do',
    '  if ip -o -4 addr show | grep -qF " inet $a/"; then h=1; else h=0; fi',
    '  [ "$h" = "$want" ] && exit 0',
    '  i=$((i+1)); [ "$i" -ge "$n" ] && exit 3',
    // A sleep without fractions still ends, only slower.
    `  sleep ${LOOK_MS / 1000} 2>/dev/null || sleep 1`,
    'done',
  ].join('\n')
  const write = track ? [track.file, track.owner ? '1' : '0', ...(track.armed || track.claim ? [track.armed ? 'armed' : '-'] : []), ...(track.claim ? [track.claim] : [])] : []
  const delay = ((track?.delayMs ?? 0) / 1000).toFixed(3)
  return ['sh', '-c', script, 'sh', ip, want ? '1' : '0', String(Math.max(1, Math.ceil(timeoutMs / LOOK_MS))), delay, ...write]
}

export function readTrackFile(file: string): string[] {
  return ['cat', '--', file]
}

export function addAddress(ip: string, prefix: number, iface: string): string[] {
  return ['ip', 'addr', 'add', `${ip}/${prefix}`, 'dev', iface]
}

export function delAddress(ip: string, prefix: number, iface: string): string[] {
  return ['ip', 'addr', 'del', `${ip}/${prefix}`, 'dev', iface]
}

/** Gratuitous ARP so neighbours drop the old MAC at once (iputils arping, unsolicited mode). */
export function gratuitousArp(ip: string, iface: string): string[] {
  return ['arping', '-U', '-c', '3', '-w', '2', '-I', iface, '--', ip]
}

export function listAddresses(): string[] {
  return ['ip', '-o', '-4', 'addr', 'show']
}

/** Whether `ip -o -4 addr show` output lists `ip` on any interface. */
export function holdsAddress(ipOutput: string, ip: string): boolean {
  return ipOutput.split('\n').some((l) => l.includes(` inet ${ip}/`))
}

export function keepalivedRunning(): string[] {
  return ['pgrep', '-x', 'keepalived']
}

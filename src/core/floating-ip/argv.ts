// Command lines that move the floating IP. Two methods, never mixed (lab.md: moving the IP by
// hand while keepalived runs left it on both machines and the client lost every reply).

const WRITE = 'mkdir -p -- "${1%/*}" && printf "%s\\n" "$2" >"$1"'

/** keepalived's vrrp_track_file: 1 makes this host the owner (weight 100), 0 gives it up. */
export function writeTrackFile(file: string, owner: boolean): string[] {
  // Values go in as positional parameters, never pasted into the script.
  return ['sh', '-c', WRITE, 'sh', file, owner ? '1' : '0']
}

/** An armed watch whose go line never came (awaitAddress): nothing was written. */
export const NOT_TRIGGERED_EXIT = 4

/** Between looks at the host's addresses, ms. */
const LOOK_MS = 10

/**
 * Writes the track file when `track` is given (after `delayMs`: the source waits so the
 * destination is a BACKUP before the source's priority-0 advert reaches it), then waits on the
 * host itself (no round trip per look) until it holds (`want` true) or no longer holds the address;
 * exits 3 after about `timeoutMs`.
 */
export function awaitAddress(ip: string, want: boolean, timeoutMs: number, track?: { file: string; owner: boolean; delayMs?: number; armed?: boolean }): string[] {
  const script = [
    'a=$1 want=$2 n=$3 delay=$4',
    // The first line tells the caller when the command started (moveFloatingIp times hosts with it).
    'echo started',
    // Armed: opened before the freeze, it writes only once the engine's go line arrives on stdin;
    // stdin ending without it (the hop ended first) exits 4 with nothing written.
    `if [ "$7" = armed ]; then IFS= read -r go || exit ${NOT_TRIGGERED_EXIT}; [ "$go" = go ] || exit ${NOT_TRIGGERED_EXIT}; fi`,
    `if [ -n "$5" ]; then shift 4; [ "$delay" = 0.000 ] || sleep "$delay" 2>/dev/null; ${WRITE} || exit 1; fi`,
    'i=0',
    'while :; do',
    '  if ip -o -4 addr show | grep -qF " inet $a/"; then h=1; else h=0; fi',
    '  [ "$h" = "$want" ] && exit 0',
    '  i=$((i+1)); [ "$i" -ge "$n" ] && exit 3',
    // A sleep without fractions still ends, only slower.
    `  sleep ${LOOK_MS / 1000} 2>/dev/null || sleep 1`,
    'done',
  ].join('\n')
  const write = track ? [track.file, track.owner ? '1' : '0', ...(track.armed ? ['armed'] : [])] : []
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

// Command lines that move the floating IP. Two methods, never mixed (lab.md: moving the IP by
// hand while keepalived runs left it on both machines and the client lost every reply).

const WRITE = 'mkdir -p -- "${1%/*}" && printf "%s\\n" "$2" >"$1"'

/** keepalived's vrrp_track_file: 1 makes this host the owner (weight 100), 0 gives it up. */
export function writeTrackFile(file: string, owner: boolean): string[] {
  // Values go in as positional parameters, never pasted into the script.
  return ['sh', '-c', WRITE, 'sh', file, owner ? '1' : '0']
}

/**
 * Writes the track file first when `track` is given, then waits on the host itself (no round trip
 * per look) until it holds (`want` true) or no longer holds the address; exits 3 after about
 * `timeoutMs`.
 */
export function awaitAddress(ip: string, want: boolean, timeoutMs: number, track?: { file: string; owner: boolean }): string[] {
  const script = [
    'a=$1 want=$2 n=$3',
    `if [ -n "$4" ]; then shift 3; ${WRITE} || exit 1; fi`,
    'i=0',
    'while :; do',
    '  if ip -o -4 addr show | grep -qF " inet $a/"; then h=1; else h=0; fi',
    '  [ "$h" = "$want" ] && exit 0',
    '  i=$((i+1)); [ "$i" -ge "$n" ] && exit 3',
    // 10 ms between looks; a sleep without fractions still ends, only slower.
    '  sleep 0.01 2>/dev/null || sleep 1',
    'done',
  ].join('\n')
  const write = track ? [track.file, track.owner ? '1' : '0'] : []
  return ['sh', '-c', script, 'sh', ip, want ? '1' : '0', String(Math.max(1, Math.ceil(timeoutMs / 10))), ...write]
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

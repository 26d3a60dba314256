// Command lines that move the floating IP. Two methods, never mixed (lab.md: moving the IP by
// hand while keepalived runs left it on both machines and the client lost every reply).

/** keepalived's vrrp_track_file: 1 makes this host the owner (weight 100), 0 gives it up. */
export function writeTrackFile(file: string, owner: boolean): string[] {
  // Values go in as positional parameters, never pasted into the script.
  return ['sh', '-c', 'mkdir -p -- "${1%/*}" && printf "%s\\n" "$2" >"$1"', 'sh', file, owner ? '1' : '0']
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

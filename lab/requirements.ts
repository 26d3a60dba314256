// Can this machine run the lab? null when yes, else why not, in words.
import { accessSync, constants, existsSync } from 'node:fs'
import path from 'node:path'

const TOOLS = ['ip', 'tc', 'unshare', 'nsenter', 'mount', 'debootstrap', 'chroot', 'dpkg-deb', 'gcc', 'ssh-keygen', 'sysctl']

function onPath(tool: string): boolean {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    try {
      accessSync(path.join(dir, tool), constants.X_OK)
      return true
    } catch {
      // next
    }
  }
  return false
}

export function labRequirements(): string | null {
  if (process.platform !== 'linux') return `the lab needs Linux (namespaces, overlayfs, veth); this is ${process.platform}`
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the lab needs root (it creates network namespaces, mounts and cgroups): run it with sudo'
  const missing = TOOLS.filter((t) => !onPath(t))
  if (missing.length > 0) return `missing tool${missing.length > 1 ? 's' : ''}: ${missing.join(', ')} (Debian: apt-get install debootstrap iproute2 util-linux gcc libc6-dev openssh-client)`
  if (!existsSync('/usr/share/debootstrap/scripts/sid')) return 'debootstrap has no sid script (/usr/share/debootstrap/scripts/sid)'
  if (!existsSync('/sys/fs/cgroup')) return 'no /sys/fs/cgroup'
  return null
}

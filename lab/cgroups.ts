// Each lab machine's processes live in their own cgroup, in every hierarchy, below the cgroup
// of whoever ran `lab up`. runc resolves a relative linux.cgroupsPath against its own cgroup
// (libcontainer reads /proc/self/cgroup), so the same config.json puts the container in a
// different cgroup on every machine: source and destination can coexist during a lazy migration.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

interface Hierarchy {
  /** Where the hierarchy is mounted. */
  mount: string
  /** Our process's cgroup inside it. */
  own: string
  cpuset: boolean
}

/** Parses /proc/self/cgroup + /proc/self/mountinfo into the hierarchies we are in. */
export function parseHierarchies(procCgroup: string, mountinfo: string): Hierarchy[] {
  const mounts: { point: string; root: string; fstype: string; superOpts: string[] }[] = []
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ')
    if (!pre || !post) continue
    const f = pre.split(' ')
    const [fstype, , superOpts] = post.split(' ')
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue
    mounts.push({ point: f[4] ?? '', root: f[3] ?? '/', fstype, superOpts: (superOpts ?? '').split(',') })
  }
  const out: Hierarchy[] = []
  for (const line of procCgroup.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim())
    if (!m) continue
    const [, , controllers = '', cg = '/'] = m
    const names = controllers ? controllers.split(',') : []
    const mount = names.length === 0 ? mounts.find((x) => x.fstype === 'cgroup2') : mounts.find((x) => x.fstype === 'cgroup' && names.every((n) => x.superOpts.includes(n)))
    if (!mount) continue
    const rel = path.relative(mount.root, cg)
    out.push({ mount: mount.point, own: path.join('/', rel.startsWith('..') ? '' : rel), cpuset: names.includes('cpuset') })
  }
  return out
}

function hierarchies(): Hierarchy[] {
  return parseHierarchies(readFileSync('/proc/self/cgroup', 'utf8'), readFileSync('/proc/self/mountinfo', 'utf8'))
}

/** Creates the machine's cgroup in every hierarchy; returns the directories. */
export function createMachineCgroups(machine: string): string[] {
  const dirs: string[] = []
  for (const h of hierarchies()) {
    const parent = path.join(h.mount, h.own)
    const lab = path.join(parent, 'globehop-lab')
    const dir = path.join(lab, machine)
    for (const d of [lab, dir]) {
      if (!existsSync(d)) mkdirSync(d)
      // A new v1 cpuset starts with no CPUs or memory nodes: copy the parent's.
      if (h.cpuset) {
        const from = path.dirname(d)
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          if (readFileSync(path.join(d, f), 'utf8').trim() === '') writeFileSync(path.join(d, f), readFileSync(path.join(from, f), 'utf8').trim())
        }
      }
    }
    dirs.push(dir)
  }
  return dirs
}

/** cgroup.procs files a process writes its PID into to join the machine. */
export const procsFiles = (dirs: readonly string[]): string[] => dirs.map((d) => path.join(d, 'cgroup.procs'))

function procsIn(dir: string): number[] {
  try {
    return readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/** PIDs anywhere below the machine's cgroups (runc's container cgroups included). */
export function pidsBelow(dirs: readonly string[]): number[] {
  const pids = new Set<number>()
  const walk = (d: string) => {
    if (!existsSync(d)) return
    for (const p of procsIn(d)) pids.add(p)
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name))
  }
  for (const d of dirs) walk(d)
  return [...pids]
}

/** Removes the machine cgroups bottom-up (they must be empty), then the shared parent if empty. */
export function removeCgroups(dirs: readonly string[]): string[] {
  const failed: string[] = []
  const rm = (d: string) => {
    if (!existsSync(d)) return
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rm(path.join(d, e.name))
    try {
      rmdirSync(d)
    } catch {
      failed.push(d)
    }
  }
  for (const d of dirs) rm(d)
  for (const parent of new Set(dirs.map((d) => path.dirname(d)))) {
    try {
      if (existsSync(parent) && readdirSync(parent, { withFileTypes: true }).every((e) => !e.isDirectory())) rmdirSync(parent)
    } catch {
      // another machine's cgroup is still there, or it is busy: leave it
    }
  }
  return failed
}

export function memoryUsage(dirs: readonly string[]): number {
  let total = 0
  for (const d of dirs) {
    for (const f of ['memory.usage_in_bytes', 'memory.current']) {
      try {
        total += Number(readFileSync(path.join(d, f), 'utf8').trim())
        break
      } catch {
        // not the memory hierarchy
      }
    }
  }
  return total
}

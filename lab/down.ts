// `lab down`: undoes exactly what `lab up` did, using state.json and the ghlab- prefix. Idempotent.
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { cmd, sleep } from './exec'
import { CLIENT_VETH, NETNS_PREFIX } from './hosts'
import { pidsBelow, removeCgroups } from './cgroups'
import { netnsList } from './net'
import { runDir } from './paths'
import { stopPid } from './procs'
import { readState } from './state'

export async function down(): Promise<string[]> {
  const problems: string[] = []
  const state = readState()
  if (state) {
    for (const h of state.hosts) {
      if (h.delaylinePid) await stopPid(h.delaylinePid, 'delayline', 500)
      // Killing a PID namespace's init kills everything in it, the game container included.
      await stopPid(h.initPid, 'tini', 0)
    }
    for (const h of state.hosts) {
      for (let i = 0; i < 100 && pidsBelow(h.cgroups).length > 0; i++) await sleep(50)
      const left = pidsBelow(h.cgroups)
      if (left.length > 0) problems.push(`${h.name}: processes still in its cgroups: ${left.join(' ')}`)
      for (const d of removeCgroups(h.cgroups)) problems.push(`cannot remove cgroup ${d}`)
    }
  }
  for (const ns of await netnsList()) {
    if (!ns.startsWith(NETNS_PREFIX)) continue
    const r = await cmd(['ip', 'netns', 'del', ns], { allowFail: true })
    if (r.code !== 0) problems.push(`ip netns del ${ns}: ${r.stderr.trim()}`)
  }
  // The client veth dies with its peer in the bridge namespace; make sure.
  await cmd(['ip', 'link', 'del', CLIENT_VETH], { allowFail: true })
  if (state) {
    for (const [key, value] of Object.entries(state.sysctls)) {
      const r = await cmd(['sysctl', '-q', '-w', `${key}=${value}`], { allowFail: true })
      if (r.code !== 0) problems.push(`cannot restore ${key}=${value}`)
    }
    for (const [file, value] of Object.entries(state.sysfs ?? {})) {
      try {
        writeFileSync(file, value)
      } catch (e) {
        problems.push(`cannot restore ${file} to ${value}: ${(e as Error).message}`)
      }
    }
    // `ip netns add` turned /run/netns into a mount point; undo that if nobody else uses it.
    if (state.createdNetnsMount && existsSync('/run/netns') && readdirSync('/run/netns').length === 0) {
      await cmd(['umount', '/run/netns'], { allowFail: true })
    }
  }
  rmSync(runDir(), { recursive: true, force: true })
  return problems
}

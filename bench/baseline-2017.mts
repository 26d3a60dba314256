// The 2017 demo script's order, as a baseline for the hop bench: every command a fresh `ssh` from
// this machine (no connection reuse), one step after the other with no overlap: checkpoint on the
// source, floating IP to the destination (the lab's keepalived track files, then wait until the
// destination holds it), `rsync -az` host to host (a fresh ssh too), restore on the destination.
// The client gap comes from globehop's own prober, attributed to this hop like a pipeline hop's.
import { spawn } from 'node:child_process'
import type { Tour } from '../src/shared/tour'
import type { Prober } from '../src/core/probe/prober'

const IMG = '/var/lib/globehop/images/baseline-2017'

export interface BaselineResult {
  gapMs: number
  steps: Record<'checkpoint' | 'ip' | 'rsync' | 'restore', number>
}

function ssh(tour: Tour, host: string, command: string): Promise<void> {
  const h = tour.hosts.find((x) => x.name === host)
  if (!h) throw new Error(`no host ${host} in the tour`)
  const s = h.ssh
  // prettier-ignore
  const argv = [
    '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', 'ControlMaster=no', '-o', 'ControlPath=none',
    ...(s.identityFile ? ['-i', s.identityFile] : []), ...(s.knownHosts ? ['-o', `UserKnownHostsFile=${s.knownHosts}`] : []),
    '-p', String(s.port ?? 22), '-l', s.user ?? 'root', '--', s.host, command,
  ]
  return new Promise((resolve, reject) => {
    const p = spawn('ssh', argv, { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    p.stderr.on('data', (b: Buffer) => (err += b.toString()))
    p.once('error', reject)
    p.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${host}: \`${command}\` exited ${code}: ${err.trim().split('\n').slice(-2).join(' | ')}`))))
  })
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** One hop from `from` to `to` in the 2017 order; the game must run on `from`. */
export async function baselineHop(tour: Tour, prober: Prober, from: string, to: string): Promise<BaselineResult> {
  const id = tour.container.id
  const f = tour.floatingIp
  const bundle = tour.container.bundle
  const dstAddr = tour.hosts.find((h) => h.name === to)!.address ?? tour.hosts.find((h) => h.name === to)!.ssh.host
  // Before the clock: a stopped leftover of an earlier hop on the destination, old images.
  await Promise.all([ssh(tour, to, `runc delete ${q(id)} 2>/dev/null; rm -rf ${IMG}`), ssh(tour, from, `rm -rf ${IMG}`)])
  const hopId = `baseline-2017-${Date.now()}`
  prober.setHop(hopId)
  const steps = { checkpoint: 0, ip: 0, rsync: 0, restore: 0 }
  const time = async (k: keyof typeof steps, fn: () => Promise<void>) => {
    const t = performance.now()
    await fn()
    steps[k] = Math.round(performance.now() - t)
  }
  try {
    await time('checkpoint', () => ssh(tour, from, `runc checkpoint --image-path ${IMG} --work-path ${IMG}-work ${q(id)}`))
    await time('ip', async () => {
      await ssh(tour, to, `printf '1\\n' > ${q(f.trackFile)}`)
      await ssh(tour, from, `printf '0\\n' > ${q(f.trackFile)}`)
      for (let i = 0; ; i++) {
        try {
          await ssh(tour, to, `ip -o -4 addr show | grep -qF ' inet ${f.address}/'`)
          return
        } catch (err) {
          if (i > 50) throw err
        }
      }
    })
    await time('rsync', () => ssh(tour, from, `rsync -az ${IMG}/ ${dstAddr}:${IMG}/`))
    await time('restore', () => ssh(tour, to, `cd ${q(bundle)} && runc restore -d --image-path ${IMG} --work-path ${IMG}-work2 ${q(id)} </dev/null >/dev/null 2>&1`))
    // The outage ends with the first reply after the restore; give the prober time to see it.
    await new Promise((r) => setTimeout(r, 1500))
  } finally {
    prober.setHop(null)
  }
  await Promise.all([ssh(tour, from, `runc delete ${q(id)} 2>/dev/null; rm -rf ${IMG} ${IMG}-work`), ssh(tour, to, `rm -rf ${IMG} ${IMG}-work2`)])
  const gap = prober.clientView(hopId).downtimeMs
  if (gap == null) throw new Error(`baseline ${from} -> ${to}: the prober saw no outage`)
  return { gapMs: gap, steps }
}


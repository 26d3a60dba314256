// The lab network: a bridge in its own namespace, a veth from the root namespace (the app's
// side, CLIENT_IP), and one veth per host. WAN links: tbf for bandwidth, and delay by netem
// when the kernel has it, else by the userspace delay line between the host's veth and the bridge.
import path from 'node:path'
import { cmd, inNetns } from './exec'
import { BRIDGE_NETNS, CLIENT_IP, CLIENT_VETH, LAB_SUBNET_PREFIX, hostNetns } from './hosts'
import { runDir } from './paths'
import { startDetached, stopPid } from './procs'
import type { HostState, LinkSettings, ShapingMethod } from './state'

const BRIDGE = 'br0'
/** Bridge-side interfaces of a host: its veth peer, and the delay line's pair. */
export const hostPort = (name: string) => ({ veth: `h-${name}`.slice(0, 15), dlBridge: `b-${name}`.slice(0, 15), dlPeer: `q-${name}`.slice(0, 15) })

const ipn = (ns: string, ...args: string[]) => cmd(['ip', '-n', ns, ...args])

export async function netnsList(): Promise<string[]> {
  const r = await cmd(['ip', '-j', 'netns', 'list'], { allowFail: true })
  if (r.code !== 0 || !r.stdout.trim()) return []
  return (JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name)
}

export async function createBridge(): Promise<void> {
  await cmd(['ip', 'netns', 'add', BRIDGE_NETNS])
  await ipn(BRIDGE_NETNS, 'link', 'set', 'lo', 'up')
  await ipn(BRIDGE_NETNS, 'link', 'add', BRIDGE, 'type', 'bridge')
  await ipn(BRIDGE_NETNS, 'link', 'set', BRIDGE, 'up')
  await cmd(['ip', 'link', 'add', CLIENT_VETH, 'type', 'veth', 'peer', 'name', 'up0', 'netns', BRIDGE_NETNS])
  await ipn(BRIDGE_NETNS, 'link', 'set', 'up0', 'master', BRIDGE, 'up')
  await cmd(['ip', 'addr', 'add', `${CLIENT_IP}/${LAB_SUBNET_PREFIX}`, 'dev', CLIENT_VETH])
  await cmd(['ip', 'link', 'set', CLIENT_VETH, 'up'])
}

export async function createHostLink(name: string, ip: string): Promise<void> {
  const ns = hostNetns(name)
  const p = hostPort(name)
  await cmd(['ip', 'netns', 'add', ns])
  await ipn(ns, 'link', 'set', 'lo', 'up')
  await ipn(BRIDGE_NETNS, 'link', 'add', p.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
  await ipn(ns, 'addr', 'add', `${ip}/${LAB_SUBNET_PREFIX}`, 'dev', 'eth0')
  await ipn(ns, 'link', 'set', 'eth0', 'up')
  await ipn(BRIDGE_NETNS, 'link', 'set', p.veth, 'master', BRIDGE, 'up')
  // Per-netns sysctls (gone with the namespace): restore a UDP socket bound to the floating IP
  // before the IP arrives (lab.md); no IPv6 chatter on the lab link.
  await inNetns(ns, ['sysctl', '-q', '-w', 'net.ipv4.ip_nonlocal_bind=1', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'])
}

/** netem where the kernel has it (probed on the bridge namespace's loopback), else the delay line. */
export async function detectShaping(): Promise<Exclude<ShapingMethod, 'off'>> {
  const forced = process.env.GLOBEHOP_LAB_SHAPING
  if (forced === 'netem' || forced === 'delayline') return forced
  const r = await inNetns(BRIDGE_NETNS, ['tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], { allowFail: true })
  if (r.code !== 0) return 'delayline'
  await inNetns(BRIDGE_NETNS, ['tc', 'qdisc', 'del', 'dev', 'lo', 'root'], { allowFail: true })
  return 'netem'
}

/** tbf as measured in lab.md: ~9.1 Mbit/s goodput at rate 10mbit. */
function tbfArgs(rateMbit: number): string[] {
  return ['tbf', 'rate', `${rateMbit}mbit`, 'burst', '32kbit', 'latency', '400ms']
}

async function setQdisc(ns: string, dev: string, method: ShapingMethod, link: LinkSettings): Promise<void> {
  await inNetns(ns, ['tc', 'qdisc', 'del', 'dev', dev, 'root'], { allowFail: true })
  const tc = (...a: string[]) => inNetns(ns, ['tc', 'qdisc', 'add', 'dev', dev, ...a])
  if (method === 'netem' && link.delayMs > 0) {
    await tc('root', 'handle', '1:', 'netem', 'delay', `${link.delayMs}ms`, 'limit', '100000')
    if (link.rateMbit !== null) await tc('parent', '1:1', 'handle', '10:', ...tbfArgs(link.rateMbit))
  } else if (link.rateMbit !== null) {
    await tc('root', 'handle', '1:', ...tbfArgs(link.rateMbit))
  }
}

/**
 * Makes a host's link match `link`: qdiscs on both ends of its veth (uplink on the host's
 * eth0, downlink on the bridge side), and with the delay line method a delay line process
 * spliced between the host's veth and the bridge (direct bridge port when there is no delay).
 */
export async function applyLink(h: HostState, method: ShapingMethod, link: LinkSettings, delayline: string): Promise<void> {
  const p = hostPort(h.name)
  const effective: LinkSettings = method === 'off' ? { delayMs: 0, rateMbit: null } : link
  await setQdisc(h.netns, 'eth0', method, effective)
  await setQdisc(BRIDGE_NETNS, p.veth, method, effective)
  const wantLine = method === 'delayline' && effective.delayMs > 0
  if (h.delaylinePid) await stopPid(h.delaylinePid, 'delayline')
  h.delaylinePid = undefined
  if (wantLine) {
    const exists = (await ipn(BRIDGE_NETNS, 'link', 'show', p.dlBridge).catch(() => null)) !== null
    if (!exists) {
      await ipn(BRIDGE_NETNS, 'link', 'add', p.dlBridge, 'type', 'veth', 'peer', 'name', p.dlPeer)
      await ipn(BRIDGE_NETNS, 'link', 'set', p.dlBridge, 'master', BRIDGE, 'up')
      await ipn(BRIDGE_NETNS, 'link', 'set', p.dlPeer, 'up')
    }
    await ipn(BRIDGE_NETNS, 'link', 'set', p.veth, 'nomaster')
    const us = String(Math.round(effective.delayMs * 1000))
    h.delaylinePid = startDetached(['ip', 'netns', 'exec', BRIDGE_NETNS, delayline, p.veth, p.dlPeer, us], path.join(runDir(), 'logs', `delayline-${h.name}.log`))
  } else {
    await ipn(BRIDGE_NETNS, 'link', 'del', p.dlBridge).catch(() => undefined)
    await ipn(BRIDGE_NETNS, 'link', 'set', p.veth, 'master', BRIDGE)
  }
  h.link = { ...effective }
}

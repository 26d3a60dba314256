import { describe, expect, it } from 'vitest'
import { parseTour } from '../src/core/tour/load'
import { parseHierarchies } from './cgroups'
import { FLOATING_IP, LAB_HOSTS } from './hosts'
import { parseReply } from './query'
import { fillTemplate, oneWayDelayUs, renderBundleConfig, renderKeepalivedConf, renderKnownHosts, renderServerCfg, renderTour } from './render'

describe('fillTemplate', () => {
  it('fills every placeholder', () => {
    expect(fillTemplate('a {{x}} b {{y}} {{x}}', { x: 1, y: 'z' })).toBe('a 1 b z 1')
  })
  it('refuses a placeholder without a value and a value without a placeholder', () => {
    expect(() => fillTemplate('{{x}} {{y}}', { x: 1 })).toThrow(/\{\{y\}\}/)
    expect(() => fillTemplate('{{x}}', { x: 1, extra: 2 })).toThrow(/extra/)
  })
})

describe('server.cfg', () => {
  const cfg = renderServerCfg()
  it('binds the floating IP and lifts the query flood limit', () => {
    expect(cfg).toContain(`net_address "${FLOATING_IP}"`)
    expect(cfg).toMatch(/^net_getstatusfloodblockingtimeout 0$/m)
  })
  it('lets bots play on an empty server (Nexuiz defaults bot_join_empty to 0)', () => {
    expect(cfg).toMatch(/^bot_join_empty 1$/m)
    expect(cfg).toMatch(/^minplayers 6$/m)
    expect(cfg).toMatch(/^map toxic$/m)
  })
  it('keeps frags growing: no frag or time limit', () => {
    expect(cfg).toMatch(/^fraglimit_override 0$/m)
    expect(cfg).toMatch(/^timelimit_override 0$/m)
  })
  it('has no unfilled placeholder', () => expect(cfg).not.toMatch(/\{\{/))
})

describe('keepalived.conf', () => {
  const conf = renderKeepalivedConf('montreal')
  it('uses VRRP v3 at 0.1 s adverts and the track file the pipeline writes (0 = FAULT: only the owner and the destination of a move take part)', () => {
    expect(conf).toMatch(/vrrp_version 3/)
    expect(conf).toMatch(/advert_int 0\.1/)
    expect(conf).toMatch(/file "\/run\/globehop\/vrrp-owner"/)
    expect(conf).toMatch(/weight 0 reverse/)
    expect(conf).toMatch(/priority 254/)
    expect(conf).toMatch(/down_timer_adverts 1/)
    expect(conf).toContain(`${FLOATING_IP}/24 dev eth0`)
    expect(conf).toMatch(/router_id montreal/)
  })
})

describe('bundle config.json', () => {
  const c = renderBundleConfig() as {
    process: { terminal: boolean; args: string[] }
    root: { readonly: boolean }
    mounts: { destination: string; type: string }[]
    linux: { namespaces: { type: string }[]; cgroupsPath: string; seccomp?: unknown }
  }
  it('has the edits lab.md needs for CRIU', () => {
    expect(c.process.terminal).toBe(false)
    expect(c.root.readonly).toBe(true)
    expect(c.mounts.find((m) => m.destination === '/tmp')?.type).toBe('tmpfs')
    expect(c.linux.namespaces.map((n) => n.type)).not.toContain('network')
    expect(c.linux.seccomp).toBeUndefined()
    expect(c.linux.cgroupsPath.startsWith('/')).toBe(false)
    expect(c.process.args).toContain('-nexuiz')
  })
})

describe('tour', () => {
  it('validates with loadTour and points at the lab files', () => {
    const tour = parseTour(renderTour({ identityFile: 'ssh/id_ed25519', knownHosts: 'ssh/known_hosts' }), '/run/x/lab.yaml')
    expect(tour.hosts.map((h) => h.name)).toEqual(['stuttgart', 'strasbourg', 'montreal', 'singapore'])
    expect(tour.hops).toEqual(['stuttgart', 'strasbourg', 'montreal', 'singapore', 'strasbourg'])
    expect(tour.hosts[0]!.ssh.identityFile).toBe('/run/x/ssh/id_ed25519')
    expect(tour.hosts[3]!.ssh.knownHosts).toBe('/run/x/ssh/known_hosts')
    expect(tour.hosts[3]!.ssh.user).toBe('root')
    expect(tour.floatingIp).toMatchObject({ address: FLOATING_IP, method: 'keepalived', trackFile: '/run/globehop/vrrp-owner' })
    expect(tour.hosts.find((h) => h.name === 'singapore')!.lat).toBeCloseTo(1.35, 1)
  })
})

describe('known_hosts and links', () => {
  it('writes every name of a host with its key type and key, without the comment', () => {
    expect(renderKnownHosts([{ names: ['198.51.100.11', 'stuttgart'], publicKey: 'ssh-ed25519 AAAAC3Nz root@stuttgart\n' }])).toBe('198.51.100.11,stuttgart ssh-ed25519 AAAAC3Nz\n')
    expect(() => renderKnownHosts([{ names: ['x'], publicKey: 'garbage' }])).toThrow()
  })
  it('splits each RTT in two one-way delays', () => {
    expect(oneWayDelayUs(283)).toBe(141500)
    expect(LAB_HOSTS.map((h) => h.rttMs)).toEqual([15, 50, 133, 283])
  })
})

describe('cgroup hierarchies', () => {
  const mountinfo = [
    '30 25 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw',
    '31 30 0:27 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '32 30 0:28 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset',
    '33 30 0:29 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
    '34 30 0:30 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n')
  it('maps each line of /proc/self/cgroup to its mount and our cgroup', () => {
    const h = parseHierarchies('9:name=systemd:/\n4:memory:/job/1\n3:cpuset:/\n0::/\n', mountinfo)
    expect(h).toEqual([
      { mount: '/sys/fs/cgroup/systemd', own: '/', cpuset: false },
      { mount: '/sys/fs/cgroup/memory', own: '/job/1', cpuset: false },
      { mount: '/sys/fs/cgroup/cpuset', own: '/', cpuset: true },
      { mount: '/sys/fs/cgroup/unified', own: '/', cpuset: false },
    ])
  })
})

describe('DarkPlaces replies', () => {
  it('parses a statusResponse with players', () => {
    const text = 'statusResponse\n\\gamename\\Nexuiz\\bots\\2\\clients\\2\\challenge\\abc\n12 0 "[BOT]Foo"\n-1 0 "[BOT]Bar"\n'
    const r = parseReply(Buffer.concat([Buffer.from([255, 255, 255, 255]), Buffer.from(text, 'latin1')]))
    expect(r?.info).toMatchObject({ gamename: 'Nexuiz', bots: '2', challenge: 'abc' })
    expect(r?.players).toEqual([
      { frags: 12, ping: 0, name: '[BOT]Foo' },
      { frags: -1, ping: 0, name: '[BOT]Bar' },
    ])
  })
  it('rejects packets without the connectionless header', () => {
    expect(parseReply(Buffer.from('infoResponse\n\\a\\b'))).toBeNull()
  })
})

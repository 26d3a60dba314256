import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventName, EventPayload, HopResult, StepEvent } from '../../shared/contract'
import { FakeGame } from './testing/fake-game'
import { FakeWorld } from './testing/fake-world'
import { PipelineSession } from './session'
import { testTour } from './testing/test-tour'

// The pipeline against recorded fake hosts, with a real UDP game on loopback standing in for
// the floating IP: the game answers only while exactly one host runs it and holds the IP.
let world: FakeWorld
const game = new FakeGame(() => world.where().length === 1 && world.ipOwners().join() === world.where().join())
let port = 0
const statsDump = readFileSync(path.join(import.meta.dirname, '../criu/fixtures/stats-dump')).toString('base64')

beforeAll(async () => {
  port = await game.start()
})
afterAll(() => game.stop())

function setup(options = '') {
  const tour = testTour({ floatingIp: '127.0.0.1', gamePort: port, options: `options: { compression: zstd${options} }` })
  world = new FakeWorld(tour, 'stuttgart')
  const events: { name: EventName; payload: EventPayload<EventName> }[] = []
  const session = new PipelineSession({
    tour,
    remote: async (h) => world.remote(h),
    emit: (name, payload) => events.push({ name, payload }),
  })
  const steps = () => events.filter((e) => e.name === 'step').map((e) => e.payload as StepEvent)
  return { tour, session, events, steps }
}

const ran = (host: string, re: RegExp) => world.hosts.get(host)!.commands.filter((c) => re.test(c))

describe('stop-and-copy hop', () => {
  it('freezes, copies, moves the IP, restores, verifies, cleans up, in that order', async () => {
    const { session, steps } = setup()
    const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(r).toMatchObject({ ok: true, from: 'stuttgart', to: 'strasbourg', technique: 'stop-and-copy', containerOn: 'strasbourg', wireBytes: 13_100_000, imageBytes: 95_000_000 })
    expect(world.where()).toEqual(['strasbourg'])
    expect(world.ipOwners()).toEqual(['strasbourg'])
    expect(session.currentHost).toBe('strasbourg')
    expect(session.nextHopIndex).toBe(2)
    const ends = steps().filter((s) => s.phase === 'end').map((s) => s.step)
    // The IP move runs beside the transfer and the restore (it starts at the freeze): it ends after
    // the dump and before verify, whenever keepalived is done.
    for (const order of [ends, r.steps.map((s) => s.step)]) {
      expect(order.filter((s) => s !== 'ip-move')).toEqual(['preflight', 'preflight', 'checkpoint', 'transfer', 'restore', 'verify', 'cleanup'])
      expect(order.indexOf('ip-move')).toBeGreaterThan(order.indexOf('checkpoint'))
      expect(order.indexOf('ip-move')).toBeLessThan(order.indexOf('verify'))
    }
    expect(r.steps.find((s) => s.step === 'checkpoint')?.frozen).toBe(true)
    // Source: checkpoint then, only after verify, `runc delete` without --force.
    const src = world.hosts.get('stuttgart')!.commands
    const ck = src.findIndex((c) => c.startsWith('runc checkpoint'))
    const del = src.findIndex((c) => c === 'runc delete xonotic')
    expect(ck).toBeGreaterThan(-1)
    expect(del).toBeGreaterThan(ck)
    expect(ran('stuttgart', /^rsync .* 198\.51\.100\.12:/)).toHaveLength(1)
    expect(ran('strasbourg', /runc restore --detach/)).toHaveLength(1)
    expect(steps().find((s) => s.step === 'verify' && s.phase === 'end')?.detail).toMatch(/state carried/)
  })
})

describe('rollback', () => {
  it('a failed restore on the destination puts the server back on the source, IP included', async () => {
    const { session } = setup()
    world.override = (host, argv) => (host === 'strasbourg' && argv.includes('restore') ? { code: 1, stderr: 'open /srv/globehop/xonotic/config.json: no such file or directory' } : undefined)
    const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(r.ok).toBe(false)
    expect(r.error).toMatch(/config\.json: no such file/)
    expect(r.rollback).toMatch(/floating IP back on stuttgart/)
    expect(r.rollback).toMatch(/restored the container on stuttgart from its local images/)
    expect(r.rollback).toMatch(/the game answers at 127\.0\.0\.1 again/)
    expect(r.containerOn).toBe('stuttgart')
    expect(world.where()).toEqual(['stuttgart'])
    expect(world.ipOwners()).toEqual(['stuttgart'])
    expect(session.currentHost).toBe('stuttgart')
    // Rolled back with its own image, after removing the stopped container record.
    expect(ran('stuttgart', /^sh -c .* runc restore --detach --bundle \/srv\/globehop\/xonotic --image-path \S+\/img --work-path \S+\/rollback-work xonotic$/)).toHaveLength(1)
  })
  it('an image that restores a paused game (its freeze-first wrapper died before it set the image back): the rollback resumes it', async () => {
    const { session } = setup()
    world.override = (host, argv) => {
      if (host === 'stuttgart' && argv[0] === 'rsync' && argv[1] !== '--version') return { code: 12, stderr: 'rsync: connection unexpectedly closed' }
      if (host === 'stuttgart' && argv.includes('restore')) {
        world.hosts.get(host)!.container = 'paused'
        return { code: 0 }
      }
      return undefined
    }
    const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(r).toMatchObject({ ok: false, containerOn: 'stuttgart' })
    expect(r.rollback).toMatch(/restored the container on stuttgart from its local images in \S+ s \(it came back paused: resumed\)/)
    expect(r.rollback).toMatch(/the game answers at 127\.0\.0\.1 again/)
    expect(world.where()).toEqual(['stuttgart'])
  })
  it('a failed transfer rolls back too, and nothing is left on the destination', async () => {
    const { session } = setup()
    // (Not rsync --version: preflight would refuse the hop before anything froze.)
    world.override = (host, argv) => (host === 'stuttgart' && argv[0] === 'rsync' && argv[1] !== '--version' ? { code: 12, stderr: 'rsync: connection unexpectedly closed' } : undefined)
    const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(r).toMatchObject({ ok: false, containerOn: 'stuttgart' })
    expect(r.error).toMatch(/^stuttgart: `rsync --archive .* exited 12: rsync: connection unexpectedly closed/)
    expect(r.rollback).toMatch(/restored the container on stuttgart from its local images/)
    expect(ran('strasbourg', /restore/)).toHaveLength(0)
    expect(world.where()).toEqual(['stuttgart'])
    expect(world.ipOwners()).toEqual(['stuttgart'])
  })
  it('a checkpoint CRIU refused leaves the source running: no restore needed', async () => {
    const { session } = setup()
    world.override = (host, argv) => (host === 'stuttgart' && argv[1] === 'checkpoint' ? { code: 1, stderr: 'criu failed: type NOTIFY errno 0' } : undefined)
    const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(r.ok).toBe(false)
    expect(r.rollback).toMatch(/still runs on stuttgart \(CRIU left it running\)/)
    expect(ran('stuttgart', /restore/)).toHaveLength(0)
    expect(world.where()).toEqual(['stuttgart'])
  })
})

describe('refusal before the freeze', () => {
  it('forced CRIU pre-dump on a kernel without soft-dirty is refused with the reason, nothing frozen', async () => {
    const { session } = setup()
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy', tracking: 'criu' })
    expect(r).toMatchObject({ ok: false, technique: 'refused', containerOn: 'stuttgart' })
    expect(r.error).toBe("pre-copy with CRIU's tracking unavailable on stuttgart: kernel has no soft-dirty memory tracking (criu check --feature mem_dirty_track: Dirty tracking is OFF. Memory snapshot will not work.)")
    expect(world.log.filter((l) => /checkpoint|restore|rsync --archive|vrrp-owner/.test(l))).toEqual([])
    expect(world.where()).toEqual(['stuttgart'])
  })
})

describe('pre-copy with rsync tracking', () => {
  it('snapshots while running until the delta converges, then a final dump sent as a delta', async () => {
    const { session, steps } = setup()
    let sends = 0
    world.override = (host, argv) => {
      if (host !== 'stuttgart' || argv[0] !== 'rsync' || argv[1] === '--version') return undefined
      sends++
      // 1st: everything literal; 2nd: an idle server's delta (lab.md); final: the same.
      const [lit, mat, sent] = sends === 1 ? ['95,000,000', '0', '13,100,000'] : ['265,000', '94,700,000', '31,000']
      return { stdout: `Literal data: ${lit} bytes\nMatched data: ${mat} bytes\nTotal bytes sent: ${sent}\nTotal bytes received: 900\n` }
    }
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy' })
    expect(r).toMatchObject({ ok: true, technique: 'pre-copy (rsync delta)', wireBytes: 13_100_000 + 31_000 + 31_000 })
    const cks = ran('stuttgart', /^runc checkpoint/)
    expect(cks).toHaveLength(3)
    expect(cks[0]).toMatch(/snap-1 .*--leave-running xonotic$/)
    expect(cks[1]).toMatch(/snap-2 .*--leave-running xonotic$/)
    expect(cks[2]).toMatch(/\/img --work-path \S+\/dump-work xonotic$/)
    const rs = ran('stuttgart', /^rsync --archive/)
    expect(rs).toHaveLength(2)
    expect(rs[0]).not.toMatch(/--no-whole-file/)
    expect(rs[1]).toMatch(/--no-whole-file/)
    // The final dump and the pages changed since snap-2 (one way over the host-to-host ssh) go as
    // one command on the source.
    const final = world.hosts.get('stuttgart')!.commands.filter((c) => c.includes('globehop-delta: files'))
    expect(final).toHaveLength(1)
    expect(final[0]).toMatch(/^sh -c fifo=/)
    expect(final[0]).toMatch(/ \S+\/img \S+\/snap-2 6 /)
    expect(final[0]).toMatch(/ -- 198\.51\.100\.12$/)
    // The restore waited in its gate on strasbourg and ran once.
    expect(ran('strasbourg', /^restore gate /)).toHaveLength(1)
    expect(ran('strasbourg', /runc restore/)).toHaveLength(1)
    expect(steps().filter((s) => s.phase === 'end').map((s) => s.step)).toEqual(expect.arrayContaining(['checkpoint', 'transfer', 'restore', 'verify']))
    expect(r.steps.filter((s) => s.step === 'snapshot').map((s) => [s.iteration, s.frozen])).toEqual([[1, true], [2, true]])
    expect(steps().some((s) => s.step === 'snapshot' && s.phase === 'progress' && /skipped 99\.7%/.test(s.detail ?? ''))).toBe(true)
  })
})

describe("gap model, snapshot weighing and the delta's tools", () => {
  // ~10 Mbit/s at 50 ms RTT, or ~1 Gbit/s at 0.2 ms, as the link probe prints them.
  const probe = (rtt: number, mbit: number) => `rtt min/avg/max/mdev = 1/${rtt}/2/1 ms\nxfer ${Math.round((1048576 * 8) / mbit) + 200000} 200000\n`
  const isProbe = (argv: readonly string[]) => argv[0] === 'sh' && !!argv[2]?.includes('xfer')

  it("preflight predicts each mode's gap for the next hop from the measured link and the image, in words", async () => {
    const { session } = setup()
    world.override = (_h, argv) => (isProbe(argv) ? { stdout: probe(50, 10) } : undefined)
    const rep = await session.preflight()
    const m = (mode: string) => rep.modes.find((x) => x.mode === mode)!
    expect(m('pre-copy')).toMatchObject({ available: true, predictedGapMs: expect.any(Number), reason: expect.stringMatching(/^stuttgart -> strasbourg: players' gap ~\d+ ms: \d+ ms dump \+ \d+ ms for the final delta .* \+ 25 ms one way \+ \d+ ms restore$/) })
    expect(m('post-copy').predictedGapMs!).toBeGreaterThan(m('pre-copy').predictedGapMs! * 5)
    expect(m('post-copy').reason).toMatch(/stall \(~\d+ page faults, one at a time, each 50 ms RTT plus queueing/)
    expect(m('auto')).toMatchObject({ predictedGapMs: m('pre-copy').predictedGapMs, reason: expect.stringMatching(/picks pre-copy \(rsync delta\)/) })
    expect(m('pre+post')).toMatchObject({ available: false })
    expect(m('pre+post').predictedGapMs).toBeUndefined()
    // The hop reuses the link preflight measured: one probe in all.
    await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(world.hosts.get('stuttgart')!.commands.filter((c) => c.includes('xfer'))).toHaveLength(1)
  })

  it("a host without perl: preflight names host and tool, and pre-copy's final delta goes with rsync", async () => {
    const { session, steps } = setup()
    world.override = (h, argv) => (h === 'strasbourg' && argv[0] === 'sh' && argv[2]?.includes('for t in "$@"; do command -v') ? { stdout: 'perl\n' } : undefined)
    const rep = await session.preflight()
    expect(rep.hosts[1]!.checks.find((c) => c.id === 'delta-tools')).toEqual({ id: 'delta-tools', status: 'warn', detail: expect.stringMatching(/^perl missing on strasbourg: .* with rsync instead/) })
    expect(rep.hosts[0]!.checks.find((c) => c.id === 'delta-tools')).toMatchObject({ status: 'ok' })
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy' })
    expect(r.ok).toBe(true)
    expect(world.hosts.get('stuttgart')!.commands.some((c) => c.includes('globehop-delta: files'))).toBe(false)
    expect(ran('stuttgart', /^rsync --archive .*--no-whole-file .*\/img\/ 198\.51\.100\.12:/)).toHaveLength(1)
    expect(steps().find((e) => e.step === 'preflight' && e.phase === 'end' && /final delta with rsync \(strasbourg: perl not found\)/.test(e.detail ?? ''))).toBeDefined()
  })

  it('on a fast link a second snapshot saves less than its pause: one snapshot, and the hop reports the pauses', async () => {
    const { session, steps } = setup()
    let sends = 0
    world.override = (host, argv) => {
      if (isProbe(argv)) return { stdout: probe(0.2, 1000) }
      if (argv[0] === 'base64' && argv[2]?.endsWith('stats-dump')) return { stdout: statsDump }
      if (host !== 'stuttgart' || argv[0] !== 'rsync' || argv[1] === '--version') return undefined
      sends++
      return { stdout: 'Literal data: 95,000,000 bytes\nMatched data: 0 bytes\nTotal bytes sent: 13,100,000\nTotal bytes received: 900\n' }
    }
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy' })
    expect(r).toMatchObject({ ok: true, technique: 'pre-copy (rsync delta)' })
    expect(sends).toBe(1)
    expect(ran('stuttgart', /^runc checkpoint/)).toHaveLength(2)
    const final = world.hosts.get('stuttgart')!.commands.filter((c) => c.includes('globehop-delta: files'))
    expect(final[0]).toMatch(/ \S+\/img \S+\/snap-1 1 /)
    // The fixture's CRIU freezing time (100.9 ms: its freezer poll) plus its frozen time (42.9 ms).
    expect(r.snapshotPauseMs).toBe(144)
    expect(r.snapshotPauseMaxMs).toBe(144)
    expect(steps().some((e) => e.step === 'snapshot' && e.phase === 'progress' && /^snapshot 2 would pause the game ~144 ms to save at most \d+ ms/.test(e.detail ?? ''))).toBe(true)
  })
})

describe('snapshots that freeze the game first (criu/freeze-first.ts)', () => {
  it("where the source has perl, each snapshot's checkpoint and the final dump run inside the wrapper; a snapshot's pause is the longer of its hold and CRIU's figures", async () => {
    const { session, steps } = setup()
    world.freezeFirstLine = "globehop-freeze: held 212.5 ms; frozen 2.0 ms after the log appeared; thawed on CRIU's unfreeze line"
    world.override = (_host, argv) => (argv[0] === 'base64' && argv[2]?.endsWith('stats-dump') ? { stdout: statsDump } : undefined)
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy' })
    expect(r).toMatchObject({ ok: true, technique: 'pre-copy (rsync delta)' })
    // (The other perl there: each snapshot's page CRC tables, made on both hosts once it was sent.)
    const wrapped = ran('stuttgart', /^perl -e [\s\S]*runc checkpoint/)
    expect(wrapped.length).toBeGreaterThan(0)
    for (const host of ['stuttgart', 'strasbourg']) expect(ran(host, /globehop-crcs: \$files files/)).toHaveLength(wrapped.length - 1)
    expect(wrapped.at(-1)).toMatch(/\/dump-work\/dump\.log \S+\/img {2}3 runc state xonotic runc checkpoint --image-path \S+\/img --work-path \S+\/dump-work xonotic$/)
    // Each snapshot's with its CRIU config (the tmpfs mounts unarchived), the final dump's without.
    for (const w of wrapped.slice(0, -1)) expect(w).toMatch(/\/snap-\d+-work\/dump\.log \S+\/snap-\d+ \S+\/snap-\d+-work\/criu-snapshot\.conf 3 runc state xonotic runc checkpoint .*--leave-running xonotic$/)
    expect(ran('stuttgart', /^runc checkpoint/)).toHaveLength(wrapped.length)
    expect(r.snapshotPauseMaxMs).toBe(213)
    expect(steps().some((e) => e.step === 'snapshot' && e.phase === 'end' && /^paused 213 ms \(frozen by globehop just before CRIU looked/.test(e.detail ?? ''))).toBe(true)
  })

  it('a snapshot that fails and leaves the game frozen: the game is resumed on the source and the error says so', async () => {
    const { session } = setup()
    world.override = (host, argv) => {
      if (argv[0] !== 'runc' || argv[1] !== 'checkpoint') return undefined
      // Killed between the wrapper's freeze and its thaw.
      world.hosts.get(host)!.container = 'paused'
      return { code: 137, stderr: 'Killed' }
    }
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy' })
    expect(r.ok).toBe(false)
    expect(r.error).toMatch(/checkpoint --leave-running on stuttgart exited 137: Killed; the game was left frozen on stuttgart and is resumed/)
    expect(world.where()).toEqual(['stuttgart'])
    expect(r.containerOn).toBe('stuttgart')
    // Nothing froze: the failed snapshot's files go, on both hosts.
    expect(ran('stuttgart', /^rm -rf -- \S+\/1-stuttgart-strasbourg-\w+$/)).toHaveLength(1)
    expect(ran('strasbourg', /^rm -rf -- \S+\/1-stuttgart-strasbourg-\w+$/)).toHaveLength(1)
  })
})

describe('snapshots in RAM (decide.ts snapshotsInRam)', () => {
  it('go below /dev/shm on the source, the final image beside them through the hop dir\'s link; after a rollback the snapshots go and the image stays', async () => {
    const { session, steps } = setup()
    world.override = (host, argv) => (host === 'strasbourg' && argv.includes('restore') ? { code: 1, stderr: 'criu failed' } : undefined)
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy' })
    expect(r.ok).toBe(false)
    expect(r.rollback).toMatch(/the game answers/)
    expect(steps().some((e) => e.step === 'preflight' && e.phase === 'end' && /; snapshots and the final image in RAM \(\/dev\/shm\)/.test(e.detail ?? ''))).toBe(true)
    expect(ran('stuttgart', /^runc checkpoint --image-path \/dev\/shm\/globehop\/xonotic\/1-stuttgart-strasbourg-\w+\/snap-1 /)).toHaveLength(1)
    expect(ran('stuttgart', /^runc checkpoint --image-path \/var\/lib\/globehop\/images\/xonotic\/1-stuttgart-strasbourg-\w+\/img /)).toHaveLength(1)
    expect(ran('stuttgart', /^rm -rf -- \/dev\/shm\/globehop\/xonotic\/1-stuttgart-strasbourg-\w+$/)).toHaveLength(1)
    expect(ran('stuttgart', /^rm -rf -- \/var\/lib/)).toHaveLength(0)
  })
  it('after a hop that served, both go with the images', async () => {
    const { session } = setup()
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy' })
    expect(r.ok).toBe(true)
    expect(ran('stuttgart', /^rm -rf -- \/var\/lib\/globehop\/images\/xonotic\/(1-stuttgart-strasbourg-\w+) \/dev\/shm\/globehop\/xonotic\/\1 \/dev\/shm\/globehop\/xonotic\/\1\.final$/)).toHaveLength(1)
  })
})

describe('tour runner', () => {
  it('step mode waits for next() between hops; cancel before the freeze stops the tour', async () => {
    const { session } = setup()
    const done: HopResult[] = []
    const tourP = session.runTour({ auto: false, mode: 'stop-and-copy' }).then((r) => done.push(...r))
    // The first hop runs at once, then the runner waits.
    for (let i = 0; i < 200 && world.where()[0] !== 'strasbourg'; i++) await new Promise((r) => setTimeout(r, 10))
    await new Promise((r) => setTimeout(r, 100))
    expect(world.where()).toEqual(['strasbourg'])
    expect(ran('strasbourg', /^runc checkpoint/)).toHaveLength(0)
    await expect(session.hop({})).rejects.toThrow(/busy with a tour/)
    expect(session.next()).toBe(true)
    await tourP
    expect(done.map((h) => [h.from, h.to, h.ok])).toEqual([['stuttgart', 'strasbourg', true], ['strasbourg', 'montreal', true]])
    expect(world.where()).toEqual(['montreal'])
    expect(session.nextHopIndex).toBeNull()
    expect(session.next()).toBe(false)
  })
  it('cancel while waiting for next ends the tour where it is', async () => {
    const { session } = setup()
    const tourP = session.runTour({ auto: false, mode: 'stop-and-copy' })
    for (let i = 0; i < 200 && world.where()[0] !== 'strasbourg'; i++) await new Promise((r) => setTimeout(r, 10))
    await new Promise((r) => setTimeout(r, 50))
    expect(session.cancel()).toMatchObject({ cancelled: true })
    const results = await tourP
    expect(results).toHaveLength(1)
    expect(world.where()).toEqual(['strasbourg'])
  })
  it('cancel during pre-copy snapshots stops before the final freeze', async () => {
    const { session } = setup()
    let cancelResult: { cancelled: boolean } | null = null
    world.override = (host, argv) => {
      if (host === 'stuttgart' && argv.includes('--leave-running')) cancelResult = session.cancel()
      return undefined
    }
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy' })
    expect(cancelResult).toMatchObject({ cancelled: true })
    expect(r.ok).toBe(false)
    expect(r.error).toMatch(/cancelled before the freeze/)
    expect(ran('stuttgart', /^runc checkpoint --image-path \S+\/img/)).toHaveLength(0)
    expect(world.where()).toEqual(['stuttgart'])
  })
  it('cancel after the freeze is refused', async () => {
    const { session } = setup()
    let cancelResult: { cancelled: boolean; detail: string } | null = null
    world.override = (host, argv) => {
      if (host === 'stuttgart' && argv[0] === 'rsync' && argv[1] !== '--version') cancelResult = session.cancel()
      return undefined
    }
    const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(cancelResult).toMatchObject({ cancelled: false, detail: expect.stringMatching(/frozen/) })
    expect(r.ok).toBe(true)
  })
})

describe('preflight', () => {
  it('reports every host, the modes and where the container and IP are', async () => {
    const { session, events } = setup()
    const rep = await session.preflight()
    expect(rep.containerOn).toBe('stuttgart')
    expect(rep.floatingIpOwner).toBe('stuttgart')
    expect(rep.hosts.map((h) => h.host)).toEqual(['stuttgart', 'strasbourg', 'montreal'])
    const st = rep.hosts[0]!.checks
    expect(st.find((c) => c.id === 'mem-dirty-track')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/kernel has no soft-dirty memory tracking/) })
    expect(st.find((c) => c.id === 'bundle')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/differs only in linux\.cgroupsPath/) })
    expect(rep.modes.find((m) => m.mode === 'pre+post')).toMatchObject({ available: false })
    expect(rep.modes.find((m) => m.mode === 'pre-copy')).toMatchObject({ available: true })
    expect(rep.ok).toBe(true)
    expect(events.filter((e) => e.name === 'preflight')).toHaveLength(1)
  })
})

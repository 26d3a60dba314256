// The pipeline against the lab's real hosts: sshd, runc, CRIU, rsync over the emulated WAN,
// keepalived moving the floating IP, and the game answering at it. Each tour runs start to end
// with an independent UDP prober as the client, and after every hop the test asks the game
// itself whether it answers at the floating IP and whether its bots' frags carried over.
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HopResult, StepEvent } from '../../shared/contract'
import type { Tour } from '../../shared/tour'
import { formatHop } from '../../cli/pipeline-format'
import { labLink } from '../../../lab/index'
import { readState } from '../../../lab/state'
import { Prober } from '../probe/prober'
import { stateCarried } from '../probe/status'
import { SshPool } from '../ssh/pool'
import { loadTour } from '../tour/load'
import { fragSum, gameStatus, labForTests, labResetGame, scoredStatus, whereIsEverything } from '../../../lab/testing'
import { PipelineSession, type ClientObserver } from './session'
import { freePageReportingArgv, parseFreePageReporting } from './host-facts'
import { WARM_NAME } from './steps/warm-memory'

const lab = labForTests()
const skipWhy = lab.available ? '' : ` (skipped: ${lab.reason})`

let tour: Tour
let pool: SshPool
/** Every step event of the sessions in this file, in order. */
const stepLog: StepEvent[] = []

function session(): { s: PipelineSession; prober: Prober } {
  const prober = new Prober({ address: tour.floatingIp.address, port: tour.container.gamePort, hz: 20, emit: () => {} })
  prober.start()
  const client: ClientObserver = { hopStarted: (id) => prober.setHop(id), hopEnded: () => prober.setHop(null), clientView: (id) => prober.clientView(id) }
  const s = new PipelineSession({ tour, remote: (h) => pool.get(h), emit: (n, p) => (n === 'step' ? stepLog.push(p as StepEvent) : undefined), client })
  return { s, prober }
}

/** A whole tour in one mode; after every hop: one server, IP with it, game answers, frags kept. */
async function tourIn(mode: 'stop-and-copy' | 'post-copy' | 'pre-copy', expectTechnique: string): Promise<HopResult[]> {
  await labResetGame()
  const { s, prober } = session()
  try {
    const before = await scoredStatus(tour)
    expect(fragSum(before), `bots should have scored before the tour starts: ${JSON.stringify(before.players)}`).toBeGreaterThanOrEqual(3)
    let last = before
    const results: HopResult[] = []
    const pre = await s.preflight(mode)
    expect(pre.ok, JSON.stringify(pre.modes)).toBe(true)
    while (s.nextHopIndex !== null) {
      const r = await s.hop({ mode })
      console.log(formatHop(r))
      results.push(r)
      expect(r.error, r.rollback).toBeUndefined()
      expect(r.ok).toBe(true)
      expect(r.technique).toBe(expectTechnique)
      const where = await whereIsEverything(pool, tour)
      expect(where).toEqual({ running: [r.to], ip: [r.to] })
      const now = await gameStatus(tour)
      // State carried: a restarted server would come back with every frag at zero.
      expect(stateCarried(last, now), `frags before ${JSON.stringify(last.players)} after ${JSON.stringify(now.players)}`).toBe(true)
      expect(fragSum(now)).toBeGreaterThan(0)
      expect(r.client?.stateCarried).not.toBe(false)
      last = now
    }
    expect(results.map((r) => r.to)).toEqual(tour.hops.slice(1))
    return results
  } finally {
    await prober.stop()
  }
}

/** The hops keep free memory warm where this VM hands freed memory back (the lab's hosts share its
 *  kernel), and no loop outlives its hop on any host. */
async function checkWarmMemory(events: StepEvent[], hops: number): Promise<void> {
  const a = freePageReportingArgv()
  const reporting = parseFreePageReporting({ code: 0, stdout: execFileSync(a[0]!, a.slice(1), { encoding: 'utf8' }), stderr: '', ms: 0 })
  const decided = events.filter((e) => e.step === 'preflight' && e.phase === 'end' && / \(link \d+ Mbit\/s|: asked for/.test(e.detail ?? ''))
  expect(decided.length).toBe(hops)
  for (const e of decided) {
    if (reporting) expect(e.detail).toMatch(/; free memory kept warm on \w+ \([\d.]+ MiB\) and \w+ \([\d.]+ MiB\): the hypervisor takes freed memory back there/)
    else expect(e.detail).not.toMatch(/kept warm/)
  }
  for (const h of tour.hosts) {
    // (The bracket keeps pgrep's own shell, whose command line holds the pattern, from matching.)
    const left = await (await pool.get(h.name)).run(['pgrep', '-af', `[${WARM_NAME[0]}]${WARM_NAME.slice(1)}`], { allowFail: true })
    expect(left.stdout.trim(), `warm-memory loops left on ${h.name}`).toBe('')
  }
}

describe.skipIf(!lab.available)(`pipeline on the lab${skipWhy}`, { timeout: 600_000 }, () => {
  beforeAll(async () => {
    tour = await loadTour(lab.tourPath)
    pool = new SshPool(tour, { sshConfig: null })
  })
  afterAll(async () => {
    await pool?.close()
  })

  it('preflight reports CRIU pre-dump unavailable with the kernel reason; forcing it is refused before anything is frozen', async () => {
    await labResetGame()
    // The source's known_hosts for host-to-host ssh without its peer (as after hops between other
    // pairs): preflight writes the pair's before its link probe, so the link is measured.
    await (await pool.get('stuttgart')).run(['sh', '-c', ': >"$HOME/.ssh/globehop_known_hosts"'])
    const { s, prober } = session()
    try {
      const rep = await s.preflight()
      for (const m of ['stop-and-copy', 'pre-copy'] as const) expect(rep.modes.find((x) => x.mode === m)?.predictedGapMs, `${m}: predicted from the measured link`).toBeGreaterThan(0)
      for (const h of rep.hosts) {
        expect(h.checks.find((c) => c.id === 'mem-dirty-track')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/kernel has no soft-dirty memory tracking \(criu check --feature mem_dirty_track: .*Dirty tracking is OFF/) })
      }
      expect(rep.modes.find((m) => m.mode === 'pre+post')).toMatchObject({ available: false, reason: expect.stringMatching(/soft-dirty/) })
      const before = await gameStatus(tour)
      const r = await s.hop({ to: 'strasbourg', mode: 'pre-copy', tracking: 'criu' })
      expect(r).toMatchObject({ ok: false, technique: 'refused', containerOn: 'stuttgart' })
      expect(r.error).toMatch(/^pre-copy with CRIU's tracking unavailable on stuttgart: kernel has no soft-dirty memory tracking/)
      expect(r.steps.map((x) => x.step)).toEqual(['preflight'])
      // Nothing was frozen: the prober saw no gap, and the game is where it was.
      expect(r.client?.downtimeMs ?? null).toBeNull()
      expect(await whereIsEverything(pool, tour)).toEqual({ running: ['stuttgart'], ip: ['stuttgart'] })
      expect(stateCarried(before, await gameStatus(tour))).not.toBe(false)
    } finally {
      await prober.stop()
    }
  })

  // pre-copy: the restore fails in its gate on the destination, after the go-ahead; the rollback
  // takes the restore claim there before it looks.
  it.each(['stop-and-copy', 'pre-copy'] as const)('rollback (%s): a destination without its bundle config puts the server back on the source, IP included', async (mode) => {
    await labResetGame()
    const { s, prober } = session()
    const dst = await pool.get('strasbourg')
    const cfg = `${tour.container.bundle}/config.json`
    try {
      await s.preflight()
      await dst.run(['mv', cfg, `${cfg}.away`])
      const r = await s.hop({ to: 'strasbourg', mode })
      console.log(formatHop(r))
      expect(r.ok).toBe(false)
      expect(r.error).toMatch(/restore on strasbourg|config\.json/)
      expect(r.rollback).toMatch(/floating IP back on stuttgart/)
      expect(r.rollback).toMatch(/restored the container on stuttgart from its local images/)
      expect(r.containerOn).toBe('stuttgart')
      expect(await whereIsEverything(pool, tour)).toEqual({ running: ['stuttgart'], ip: ['stuttgart'] })
      await gameStatus(tour)
      if (mode === 'pre-copy') {
        // The final image was in RAM (paths.ts finalDir): the rollback restored from it through the
        // hop dir's link, and it stays there for `recover` while the snapshots are gone.
        const ram = await (await pool.get('stuttgart')).run(['sh', '-c', 'cd "$1" && ls -d -- *', 'sh', `/dev/shm/globehop/${tour.container.id}`])
        expect(ram.stdout.trim()).toBe(`${r.hopId}.final`)
        const link = await (await pool.get('stuttgart')).run(['sh', '-c', 'readlink "$1/img" && test -f "$1/img/inventory.img" && echo whole', 'sh', `${tour.options.imageDir}/${tour.container.id}/${r.hopId}`])
        expect(link.stdout.trim().split('\n')).toEqual([`/dev/shm/globehop/${tour.container.id}/${r.hopId}.final/img`, 'whole'])
      }
    } finally {
      await dst.run(['mv', `${cfg}.away`, cfg], { allowFail: true })
      await prober.stop()
    }
  })

  it('a full tour in stop-and-copy', async () => {
    const from = stepLog.length
    const rs = await tourIn('stop-and-copy', 'stop-and-copy')
    await checkWarmMemory(stepLog.slice(from), rs.length)
  })

  it('a full tour in pre-copy (rsync tracking on this kernel)', async () => {
    const from = stepLog.length
    const rs = await tourIn('pre-copy', 'pre-copy (rsync delta)')
    const events = stepLog.slice(from)
    const decided = events.filter((e) => e.step === 'preflight' && e.phase === 'end' && /^pre-copy \(rsync delta\)/.test(e.detail ?? ''))
    expect(decided.length).toBe(rs.length)
    for (const e of decided) expect(e.detail).toMatch(/; snapshots and the final image in RAM \(\/dev\/shm\)/)
    await checkWarmMemory(events, rs.length)
    // Every snapshot froze the game itself first, or says that CRIU looked first (a busy machine:
    // after our freeze, or already before our first read of its log, as one snapshot in 6 did in
    // a lab run); most froze it first.
    const snaps = events.filter((e) => e.step === 'snapshot' && e.phase === 'end')
    expect(snaps.length).toBeGreaterThanOrEqual(rs.length)
    const first = /^paused \d+ ms \(frozen by globehop just before CRIU looked/
    for (const e of snaps) expect(e.detail).toMatch(new RegExp(`${first.source}|^paused \\d+ ms \\(CRIU looked before globehop could freeze it first|^paused \\d+ ms \\(CRIU freezing \\+ frozen time\\).*; could not freeze first: CRIU was at the freezer before its log was read`))
    expect(snaps.filter((e) => first.test(e.detail ?? '')).length).toBeGreaterThan(snaps.length / 2)
    // The final delta read the game's pages file as CRIU wrote it (page-delta.ts follows it) where
    // the memory layout held; a hop whose layout moved scans it by virtual address after CRIU (seen
    // on one hop of a tour here), so every hop verified and most followed.
    const finals = events.filter((e) => e.step === 'transfer' && e.phase === 'end')
    expect(finals.length).toBe(rs.length)
    for (const e of finals) expect(e.detail).toMatch(/changed pages .*; \d+ files verified/)
    // Each snapshot left per-page CRC tables on both hosts (transfer/page-crcs.ts), and the
    // destination checked the game's pages file from them, not by reading it whole.
    const sent = events.filter((e) => e.step === 'snapshot-transfer' && e.phase === 'end')
    expect(sent.length).toBeGreaterThanOrEqual(rs.length)
    for (const e of sent) expect(e.detail).toMatch(/; page CRCs made on both hosts$/)
    for (const e of finals) expect(e.detail).toMatch(/ files verified \(size, CRC; 1 from page CRCs\)/)
    expect(finals.filter((e) => /; 1 pages file read as CRIU wrote it;/.test(e.detail ?? '')).length).toBeGreaterThan(rs.length / 2)
    for (const r of rs) {
      const last = r.steps.filter((x) => x.step === 'transfer')[0]!
      // The final transfer is a delta against the snapshot already there; the image's size is read
      // through the hop dir's link to RAM (a link's own size would be a few bytes).
      expect(r.imageBytes!).toBeGreaterThan(50e6)
      expect(last.bytes!).toBeLessThan(r.imageBytes! / 20)
    }
    // The snapshots and final images went to RAM (the lab's hosts have 24 GB and a tmpfs /dev/shm) and left with their hops.
    for (const h of tour.hosts) {
      const left = await (await pool.get(h.name)).run(['sh', '-c', 'ls -A "$1" 2>/dev/null', 'sh', `/dev/shm/globehop/${tour.container.id}`], { allowFail: true })
      expect(left.stdout.trim(), h.name).toBe('')
    }
  })

  it('a full tour in post-copy (links unthrottled: post-copy is for fast links)', async () => {
    const links = (readState()?.hosts ?? []).map((h) => ({ name: h.name, link: { ...h.link } }))
    for (const h of links) await labLink(h.name, { off: true })
    try {
      // The whole tour, back to a host it left: each lab machine has its own cgroup subtree.
      const rs = await tourIn('post-copy', 'post-copy')
      for (const r of rs) expect(r.steps.map((x) => x.step)).toContain('lazy-pages')
    } finally {
      for (const h of links) await labLink(h.name, { delayMs: h.link.delayMs, rateMbit: h.link.rateMbit })
    }
  })
})

// Faults mid-hop on the real lab: after each, exactly one running copy, the floating IP on its
// host only, the game answering with its bots' frags intact, and words that say what happened.
// The CLI cases run `globehop migrate` as a child process and interrupt it while the container is
// frozen (SIGINT, SIGHUP, a closed stdout pipe, SIGKILL followed by `globehop recover`).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { HopResult, StepEvent } from '../../shared/contract'
import type { Tour } from '../../shared/tour'
import { formatHop } from '../../cli/pipeline-format'
import { stateCarried } from '../probe/status'
import { SshPool } from '../ssh/pool'
import { loadTour } from '../tour/load'
import { fragSum, gameStatus, labCut, labForTests, labResetGame, scoredStatus, whereIsEverything } from '../../../lab/testing'
import { labLink } from '../../../lab/index'
import { readState } from '../../../lab/state'
import { waitForStatus } from './game-query'
import { FileJournal, journalPath, openHop, readJournal } from './journal'
import { PipelineSession } from './session'

const lab = labForTests()
const skipWhy = lab.available ? '' : ` (skipped: ${lab.reason})`
const repo = path.resolve(import.meta.dirname, '../../..')

let tour: Tour
let pool: SshPool
let stateDir: string

/**
 * No restore a hop's gate started before its go-ahead is still waiting on any host (its shim sits in
 * the container's cgroup there, and a later restore on that host would find the cgroup not empty).
 * A gate cut off from its engine gives up once the copy stopped arriving for its idle bound: waited
 * for that long.
 */
async function noHeldRestore(): Promise<void> {
  const until = Date.now() + 90_000
  for (;;) {
    const left: string[] = []
    for (const h of tour.hosts) {
      // (The bracket keeps pgrep's own shell out of its match.)
      const r = await (await pool.get(h.name)).run(['sh', '-c', 'pgrep -af "criu-hol[d]/criu swrk" || true'], { log: false })
      if (r.stdout.trim()) left.push(`${h.name}: ${r.stdout.trim()}`)
    }
    if (left.length === 0) return
    if (Date.now() > until) expect(left, 'held restores still waiting').toEqual([])
    await new Promise((r) => setTimeout(r, 1000))
  }
}

/** One running copy, the IP with it, the game answering, frags not reset, no held restore left. */
async function oneServerOn(host: string, before: { players: { frags: number }[] } | null): Promise<void> {
  expect(await whereIsEverything(pool, tour)).toEqual({ running: [host], ip: [host] })
  await noHeldRestore()
  const now = await gameStatus(tour)
  if (before) expect(stateCarried(before as never, now), `frags before ${JSON.stringify(before.players)} after ${JSON.stringify(now.players)}`).toBe(true)
  expect(fragSum(now)).toBeGreaterThan(0)
}

function session(events: StepEvent[] = [], limits = {}): PipelineSession {
  const journal = new FileJournal(journalPath(tour, { GLOBEHOP_STATE_DIR: stateDir }))
  return new PipelineSession({ tour, remote: (h) => pool.get(h), emit: (n, p) => (n === 'step' ? events.push(p as StepEvent) : undefined), journal, limits })
}

interface Cli {
  child: ChildProcess
  stdout: string[]
  stderr: string[]
  exit: Promise<number | null>
  /** Resolves when a stdout line matches. */
  waitFor(re: RegExp, ms?: number): Promise<string>
}

function cli(args: string[]): Cli {
  const child = spawn(process.execPath, [path.join(repo, 'bin/globehop.mjs'), ...args], {
    cwd: repo,
    env: { ...process.env, GLOBEHOP_STATE_DIR: stateDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stdout: string[] = []
  const stderr: string[] = []
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = []
  let carry = ''
  child.stdout!.on('data', (b: Buffer) => {
    carry += b.toString()
    const lines = carry.split('\n')
    carry = lines.pop()!
    for (const l of lines) {
      stdout.push(l)
      for (const w of [...waiters]) {
        if (!w.re.test(l)) continue
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(l)
      }
    }
  })
  child.stdout!.on('error', () => {})
  child.stderr!.on('data', (b: Buffer) => stderr.push(...b.toString().split('\n').filter(Boolean)))
  const exit = new Promise<number | null>((r) => child.on('close', (code, sig) => r(code ?? (sig ? -1 : null))))
  return {
    child,
    stdout,
    stderr,
    exit,
    waitFor: (re, ms = 120_000) =>
      new Promise((resolve, reject) => {
        const hit = stdout.find((l) => re.test(l))
        if (hit) return resolve(hit)
        const t = setTimeout(() => reject(new Error(`no line matching ${re} within ${ms} ms; stderr: ${stderr.join('\n')}`)), ms)
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) })
      }),
  }
}

/** The JSON event line of a finished final dump: from here on the container is frozen. */
const DUMPED = /"step":"checkpoint".*"phase":"end"/

describe.skipIf(!lab.available)(`faults mid-hop on the lab${skipWhy}`, { timeout: 600_000 }, () => {
  beforeAll(async () => {
    tour = await loadTour(lab.tourPath)
    pool = new SshPool(tour, { sshConfig: null })
  })
  beforeEach(() => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'globehop-faults-'))
  })
  afterAll(async () => {
    await pool?.close()
    rmSync(stateDir, { recursive: true, force: true })
  })

  for (const [sig, code] of [['SIGINT', 130], ['SIGHUP', 129]] as const) {
    it(`a: ${sig} while frozen: the CLI says so, finishes the hop, then exits ${code}`, async () => {
      await labResetGame()
      const before = await scoredStatus(tour)
      const c = cli(['migrate', tour.file, '--to', 'strasbourg', '--mode', 'stop-and-copy', '--json'])
      await c.waitFor(DUMPED)
      c.child.kill(sig)
      const t0 = Date.now()
      const exitCode = await c.exit
      expect(exitCode, c.stderr.join('\n')).toBe(code)
      expect(c.stderr.join('\n')).toMatch(/the container is frozen: finishing the hop \(or rolling it back\), then exiting/)
      // It did not just die: the hop ran on for seconds (the transfer) and reported.
      expect(Date.now() - t0).toBeGreaterThan(500)
      const hop = c.stdout.map((l) => JSON.parse(l) as { name: string; payload: HopResult }).find((e) => e.name === 'hop')
      expect(hop?.payload.ok, hop?.payload.error).toBe(true)
      await oneServerOn('strasbourg', before)
      expect(openHop(readJournal(journalPath(tour, { GLOBEHOP_STATE_DIR: stateDir })))).toBeNull()
    })
  }

  it('a: stdout closed mid-hop (`--json | head`): no crash, the hop finishes, exit 141', async () => {
    await labResetGame()
    const before = await scoredStatus(tour)
    const c = cli(['migrate', tour.file, '--to', 'strasbourg', '--mode', 'stop-and-copy', '--json'])
    await c.waitFor(DUMPED)
    c.child.stdout!.destroy()
    const exitCode = await c.exit
    expect(exitCode, c.stderr.join('\n')).toBe(141)
    expect(c.stderr.join('\n')).toMatch(/EPIPE: the container is frozen: finishing the hop/)
    await oneServerOn('strasbourg', before)
  })

  it('a: SIGINT before the freeze cancels at once; the game stays on the source', async () => {
    await labResetGame()
    const before = await scoredStatus(tour)
    const c = cli(['migrate', tour.file, '--to', 'strasbourg', '--mode', 'stop-and-copy', '--json'])
    await c.waitFor(/"step":"preflight".*"phase":"start"/)
    c.child.kill('SIGINT')
    expect(await c.exit).toBe(130)
    expect(c.stdout.some((l) => /"step":"checkpoint"/.test(l))).toBe(false)
    await oneServerOn('stuttgart', before)
  })

  it('a: SIGKILL while frozen, then `globehop recover` brings the game back from the journal', async () => {
    await labResetGame()
    const before = await scoredStatus(tour)
    const c = cli(['migrate', tour.file, '--to', 'strasbourg', '--mode', 'stop-and-copy', '--json'])
    await c.waitFor(DUMPED)
    c.child.kill('SIGKILL')
    await c.exit
    const open = openHop(readJournal(journalPath(tour, { GLOBEHOP_STATE_DIR: stateDir })))
    expect(open).toMatchObject({ from: 'stuttgart', to: 'strasbourg', reached: expect.arrayContaining(['frozen', 'sourceDumped']) })
    // Nothing answers now: no host runs the game.
    expect((await whereIsEverything(pool, tour)).running).toEqual([])
    const r = cli(['recover', tour.file, '--wait', '20'])
    expect(await r.exit, r.stderr.join('\n') + r.stdout.join('\n')).toBe(0)
    const out = r.stdout.join('\n')
    console.log(out)
    expect(out).toMatch(/found: journal: hop stuttgart -> strasbourg \(stop-and-copy\) did not finish/)
    expect(out).toMatch(/did: restored the container on stuttgart from \S+\/img/)
    expect(out).toMatch(/did: 198\.51\.100\.100 on stuttgart/)
    expect(out).toMatch(/recovered: the game runs on stuttgart/)
    await oneServerOn('stuttgart', before)
    // Recovered: the journal has no open hop, and a second recover changes nothing.
    expect(openHop(readJournal(journalPath(tour, { GLOBEHOP_STATE_DIR: stateDir })))).toBeNull()
    const again = cli(['recover', tour.file, '--wait', '5'])
    expect(await again.exit).toBe(0)
    expect(again.stdout.join('\n')).not.toMatch(/did: restored/)
  })

  it("b: a snapshot's freeze-first wrapper killed between its freeze and its thaw: the snapshot fails, the game left frozen is resumed on the source", async () => {
    await labResetGame()
    const before = await scoredStatus(tour)
    const src = await pool.get('stuttgart')
    // On the source: once CRIU holds the game's task (it found the cgroup frozen by then), KILL the
    // wrapper alone: runc and CRIU finish, CRIU puts the frozen state it found back, nobody thaws.
    // The freezer itself reads FROZEN only for a few ms at each end (CRIU thaws it once it seized
    // the tasks), so the watch looks at the tracer, every ms.
    const killer = src.run(
      [
        'perl',
        '-e',
        String.raw`
          my ($pid) = (qx(runc state $ARGV[0]) =~ /"pid":\s*(\d+)/); my $end = time + 120;
          sub slurp { open(my $h, '<', $_[0]) or return ''; local $/; <$h> // '' }
          while (time < $end) {
            my @w = grep { slurp("/proc/$_/cmdline") =~ /^perl\0-e\0[^\0]*globehop-freez[e]:/ } map { m{/(\d+)$} } glob('/proc/[0-9]*');
            if (@w && slurp("/proc/$pid/status") =~ /^TracerPid:\s*[1-9]/m) { kill 'KILL', @w; print "killed @w\n"; exit 0 }
            select(undef, undef, undef, 0.001);
          }
          print STDERR "no kill\n"; exit 1`,
        tour.container.id,
      ],
      { allowFail: true },
    )
    const r = await session().hop({ to: 'strasbourg', mode: 'pre-copy' })
    console.log(formatHop(r))
    const k = await killer
    expect(k.stdout, k.stderr).toMatch(/killed/)
    expect(r.ok).toBe(false)
    expect(r.error).toMatch(/checkpoint --leave-running on stuttgart .*; the game was left frozen on stuttgart and is resumed/)
    expect(r.containerOn).toBe('stuttgart')
    await oneServerOn('stuttgart', before)
    // Nothing froze for good: the hop's files are gone from both hosts.
    const hopDir = `${tour.options.imageDir}/${tour.container.id}/${r.hopId}`
    for (const h of ['stuttgart', 'strasbourg']) expect((await (await pool.get(h)).run(['test', '-e', hopDir], { allowFail: true })).code, h).toBe(1)
  })

  it('c: the destination disk fills during the transfer: the step names it, the game goes back', async () => {
    await labResetGame()
    const before = await scoredStatus(tour)
    const dst = await pool.get('strasbourg')
    const dir = `${tour.options.imageDir}/${tour.container.id}`
    await dst.run(['sh', '-c', 'mkdir -p "$1" && mount -t tmpfs -o size=8m globehop-full "$1"', 'sh', dir])
    try {
      const r = await session().hop({ to: 'strasbourg', mode: 'stop-and-copy' })
      console.log(formatHop(r))
      expect(r.ok).toBe(false)
      expect(r.error).toMatch(/No space left on device|ENOSPC|disk/i)
      expect(r.rollback).toMatch(/restored the container on stuttgart/)
      expect(r.containerOn).toBe('stuttgart')
      await oneServerOn('stuttgart', before)
    } finally {
      await dst.run(['umount', dir], { allowFail: true })
    }
  })

  it('d: the destination is cut off mid-transfer for longer than the keepalives: the transfer fails, the game goes back, the IP cannot flip back later', async () => {
    await labResetGame()
    const before = await scoredStatus(tour)
    const events: StepEvent[] = []
    const s = session(events, { stallMs: 8000, commandMs: 20_000, unreachableMs: 90_000 })
    let cut: { restore: () => Promise<void> } | null = null
    const restoreLater: Promise<void>[] = []
    const hop = s.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    // Cut once the transfer moved some bytes; bring the link back 45 s later: after the stall limit,
    // the keepalives and the command deadline, while the rollback is still chasing strasbourg.
    const watch = setInterval(() => {
      if (cut || !events.some((e) => e.step === 'transfer' && e.phase === 'progress' && (e.bytesDone ?? 0) > 0)) return
      cut = { restore: async () => {} }
      restoreLater.push(
        labCut('strasbourg').then(async (c) => {
          cut = c
          await new Promise((r) => setTimeout(r, 45_000))
          await c.restore()
        }),
      )
    }, 100)
    try {
      const r = await hop
      console.log(formatHop(r))
      expect(r.ok).toBe(false)
      // rsync's copy says it moved no byte; the streamed image (zstd on both hosts) that it stalled.
      expect(r.error).toMatch(/moved no byte for 8 s|stalled for 8 s|unreachable|connection lost|timed out/)
      expect(r.rollback).toMatch(/restored the container on stuttgart/)
      expect(events.some((e) => e.step === 'rollback' && /strasbourg unreachable/.test(e.detail ?? ''))).toBe(true)
      // The game came back before strasbourg did, and strasbourg then gave the IP up.
      expect(r.rollback).toMatch(/strasbourg is unreachable and is retried after the game is back/)
      expect(r.rollback).toMatch(/strasbourg is back and gave up the floating IP/)
      expect(r.containerOn).toBe('stuttgart')
    } finally {
      clearInterval(watch)
      await Promise.all(restoreLater)
    }
    // Well after the link came back the IP is still with the game: strasbourg gave it up.
    await new Promise((r) => setTimeout(r, 3000))
    await oneServerOn('stuttgart', before)
  })

  it('d: rsync-tracked pre-copy, the destination cut off during the one-way final delta: the delta fails, the game comes back on the source, one copy, the IP with it', async () => {
    await labResetGame()
    const before = await scoredStatus(tour)
    const events: StepEvent[] = []
    // Cut strasbourg once its track file says 1: the IP move's go line (sent on CRIU's "frozen"
    // line) has arrived there, and the delta, which leaves once CRIU has written the game's memory,
    // is on its way. A watcher on strasbourg (opened before the hop, a 2 ms poll) says so; its line
    // and the cut (two `tc` runs) take ~40 ms, against the 300 ms and more that CRIU's dump of the
    // rest, the last files and the verify still need. (A cut before the go line arrives is the next
    // test.) Back 30 s after the cut: past the stall limit, while the rollback still retries
    // strasbourg.
    const held: { cut: Promise<void> | null } = { cut: null }
    const dst = await pool.get('strasbourg')
    const owner = dst.run(['perl', '-e', '$| = 1; until (open(F, "<", $ARGV[0]) && (<F> // "") eq "1\n") { close F; select(undef, undef, undef, 0.002) } print "owner\n"', tour.floatingIp.trackFile], {
      timeoutMs: 120_000,
      allowFail: true,
      onLine: (_, l) => {
        if (held.cut || l !== 'owner') return
        held.cut = labCut('strasbourg').then(async (c) => {
          await new Promise((res) => setTimeout(res, 30_000))
          await c.restore()
        })
      },
    })
    owner.catch(() => undefined)
    let r: HopResult
    try {
      r = await session(events, { stallMs: 8000, commandMs: 20_000, unreachableMs: 90_000 }).hop({ to: 'strasbourg', mode: 'pre-copy', tracking: 'rsync' })
      console.log(formatHop(r))
    } finally {
      await held.cut
    }
    expect(held.cut, 'the cut came once the go line had reached strasbourg').not.toBeNull()
    expect(r.technique).toBe('pre-copy (rsync delta)')
    const start = events.find((e) => e.step === 'transfer' && e.phase === 'start')
    expect(start?.detail).toMatch(/changed pages since snapshot \d+ to strasbourg, one way/)
    expect(events.some((e) => e.step === 'transfer' && e.phase === 'end'), 'the delta did not finish before the cut').toBe(false)
    expect(events.some((e) => e.step === 'restore' && e.phase === 'start'), 'no restore began on strasbourg').toBe(false)
    expect(r.ok).toBe(false)
    expect(r.error).toMatch(/stalled for 8 s|unreachable|connection lost|timed out|final delta/)
    expect(r.rollback).toMatch(/restored the container on stuttgart/)
    // The game came back before strasbourg did, and strasbourg then gave the IP up.
    expect(r.rollback).toMatch(/strasbourg is back and gave up the floating IP/)
    expect(r.containerOn).toBe('stuttgart')
    // Well after the link came back: one copy, on the source, the IP with it, frags intact.
    await new Promise((res) => setTimeout(res, 3000))
    await oneServerOn('stuttgart', before)
  })

  it("d: the destination cut off as the checkpoint starts, before the IP move's go line reaches it: the line may arrive once the link is back, after the rollback released the IP there, and writes nothing", async () => {
    await labResetGame()
    const before = await scoredStatus(tour)
    const events: StepEvent[] = []
    // The checkpoint step starts on the source's "freezing" line; the go line leaves on CRIU's
    // "frozen" one, tens of ms later, so it usually meets a link already cut and waits in the
    // engine's TCP stream (retransmitted with backoff) until the link is back 30 s later.
    const cut = cutOn(events, 'strasbourg', 30_000, (e) => e.step === 'checkpoint' && e.phase === 'start', 5)
    let r: HopResult
    try {
      r = await session(events, { stallMs: 8000, commandMs: 20_000, unreachableMs: 90_000 }).hop({ to: 'strasbourg', mode: 'pre-copy' })
      console.log(formatHop(r))
    } finally {
      await cut.stop()
    }
    expect(cut.started(), 'the cut came at the checkpoint').toBe(true)
    expect(r.ok).toBe(false)
    expect(r.containerOn).toBe('stuttgart')
    expect(r.rollback).toMatch(/restored the container on stuttgart|still runs on stuttgart/)
    expect(r.rollback).toMatch(/strasbourg is back and gave up the floating IP/)
    // Wait until the armed move's shell on strasbourg is gone (its go line arrived, or its
    // connection ended): only then can it no longer write.
    const dst = await pool.get('strasbourg')
    const armedLeft = async () => (await dst.run(['pgrep', '-f', '^sh -c a=\\$1 want=\\$2'], { allowFail: true })).stdout.trim()
    const until = Date.now() + 90_000
    let left = await armedLeft()
    while (left && Date.now() < until) {
      await new Promise((res) => setTimeout(res, 1000))
      left = await armedLeft()
    }
    expect(left, "the armed move's shell on strasbourg ended").toBe('')
    // Whether the go line came late depends on TCP's retransmit timing: say which case this run saw.
    const late = await dst.run(['sh', '-c', 'ls -d "$1"/*/ip.claim/late 2>/dev/null', 'sh', `${tour.options.imageDir}/${tour.container.id}`], { allowFail: true })
    console.log(`go line fenced after the rollback: ${late.stdout.includes(r.hopId) ? 'yes' : 'no (its connection ended first)'}`)
    await new Promise((res) => setTimeout(res, 3000))
    expect((await dst.run(['cat', tour.floatingIp.trackFile])).stdout.trim()).toBe('0')
    await oneServerOn('stuttgart', before)
  })

  /** Cuts `host` once a step event matches `when` (looked for every `everyMs`); restores the link
   *  after `holdMs`. `stop` waits for the link to be back; `started` says whether the cut came. */
  function cutOn(events: StepEvent[], host: string, holdMs: number, when: (e: StepEvent) => boolean, everyMs = 100) {
    let started = false
    const done: Promise<void>[] = []
    const watch = setInterval(() => {
      if (started || !events.some(when)) return
      started = true
      done.push(labCut(host).then(async (c) => {
        await new Promise((r) => setTimeout(r, holdMs))
        await c.restore()
      }))
    }, everyMs)
    return { started: () => started, stop: async () => (clearInterval(watch), await Promise.all(done), undefined) }
  }

  /** Cuts `host` once the frozen transfer moved some bytes; restores the link after `holdMs`. */
  const cutDuringTransfer = (events: StepEvent[], host: string, holdMs: number) =>
    cutOn(events, host, holdMs, (e) => e.step === 'transfer' && e.phase === 'progress' && (e.bytesDone ?? 0) > 0)

  it('e: the source is cut off after the freeze for a while: the rollback waits for it and the game comes back there', async () => {
    await labResetGame()
    const before = await scoredStatus(tour)
    const events: StepEvent[] = []
    const cut = cutDuringTransfer(events, 'stuttgart', 25_000)
    try {
      const r = await session(events, { stallMs: 8000, commandMs: 20_000, unreachableMs: 90_000 }).hop({ to: 'strasbourg', mode: 'stop-and-copy' })
      console.log(formatHop(r))
      expect(r.ok).toBe(false)
      expect(events.some((e) => e.step === 'rollback' && /stuttgart unreachable/.test(e.detail ?? ''))).toBe(true)
      expect(r.rollback).toMatch(/restored the container on stuttgart/)
      expect(r.containerOn).toBe('stuttgart')
    } finally {
      await cut.stop()
    }
    await oneServerOn('stuttgart', before)
  })

  it('e: the source stays away past the limit: the hop says no host runs the game and what to do; recover does it once the source is back', async () => {
    await labResetGame()
    const before = await scoredStatus(tour)
    const events: StepEvent[] = []
    const cut = cutDuringTransfer(events, 'stuttgart', 70_000)
    let r: HopResult
    try {
      r = await session(events, { stallMs: 8000, commandMs: 15_000, unreachableMs: 10_000 }).hop({ to: 'strasbourg', mode: 'stop-and-copy' })
      console.log(formatHop(r))
    } finally {
      await cut.stop()
    }
    expect(r.ok).toBe(false)
    expect(r.rollback).toMatch(/NO HOST RUNS THE GAME: stuttgart \(the source\) cannot be reached; the container was dumped there \(\S+\/img\)\. When stuttgart answers again run `globehop recover \S+`/)
    expect(r.containerOn).toBeNull()
    // The operator does what it says.
    const rec = cli(['recover', tour.file, '--wait', '30'])
    expect(await rec.exit, rec.stdout.join('\n')).toBe(0)
    expect(rec.stdout.join('\n')).toMatch(/did: restored the container on stuttgart/)
    await oneServerOn('stuttgart', before)
  })

  it('e: post-copy, the source cut off after the freeze but before the point of no return: the rollback waits for it, ends its page server and the game runs on there', async () => {
    await labResetGame()
    const before = await scoredStatus(tour)
    const events: StepEvent[] = []
    // Cut as soon as the frozen images start to move: the destination has restored nothing yet.
    let cut: Promise<void> | null = null
    const watch = setInterval(() => {
      if (cut || !events.some((e) => e.step === 'transfer' && e.phase === 'start')) return
      cut = labCut('stuttgart').then(async (c) => {
        await new Promise((r) => setTimeout(r, 25_000))
        await c.restore()
      })
    }, 20)
    let r: HopResult
    try {
      r = await session(events, { stallMs: 8000, commandMs: 20_000, unreachableMs: 90_000 }).hop({ to: 'strasbourg', mode: 'post-copy' })
      console.log(formatHop(r))
    } finally {
      clearInterval(watch)
      await cut
    }
    expect(cut, 'the cut came during the transfer').not.toBeNull()
    expect(r.technique).toBe('post-copy')
    expect(r.ok).toBe(false)
    expect(events.some((e) => e.step === 'restore' && e.phase === 'start'), 'no restore began').toBe(false)
    expect(events.some((e) => e.step === 'rollback' && /stuttgart unreachable/.test(e.detail ?? ''))).toBe(true)
    expect(r.rollback).toMatch(/page server on stuttgart/)
    expect(r.containerOn).toBe('stuttgart')
    await waitForStatus(tour.floatingIp.address, tour.container.gamePort, 60_000)
    await oneServerOn('stuttgart', before)
    // No dump left behind holding the page server's port (the next post-copy hop needs it).
    expect((await (await pool.get('stuttgart')).run(['pgrep', '-a', 'criu'], { allowFail: true })).stdout).toBe('')
  })

  it('e: post-copy, the source cut off past the point of no return: no rollback, the words say so, and exactly one copy is left once the source answers again', async () => {
    await labResetGame()
    const before = await scoredStatus(tour)
    // Post-copy is for fast links: both hop hosts unthrottled, as the pipeline's post-copy tour does.
    const links = (readState()?.hosts ?? []).filter((h) => h.name === 'stuttgart' || h.name === 'strasbourg').map((h) => ({ name: h.name, link: { ...h.link } }))
    for (const h of links) await labLink(h.name, { off: true })
    const events: StepEvent[] = []
    const held: { cut: Promise<{ restore: () => Promise<void> }> | null } = { cut: null }
    const watch = setInterval(() => {
      if (held.cut || !events.some((e) => e.step === 'restore' && e.phase === 'end')) return
      // Cut for 30 s: longer than verify waits, shorter than TCP gives up on the page server's connection.
      held.cut = labCut('stuttgart').then(async (c) => {
        await new Promise((r) => setTimeout(r, 30_000))
        await c.restore()
        return { restore: async () => {} }
      })
    }, 20)
    let r: HopResult
    try {
      r = await session(events, { commandMs: 20_000, unreachableMs: 90_000 }).hop({ to: 'strasbourg', mode: 'post-copy' })
      console.log(formatHop(r))
      expect(r.technique).toBe('post-copy')
      expect(held.cut, 'the cut came after the restore').not.toBeNull()
      expect(r.ok).toBe(false)
      expect(r.rollback).toMatch(/past post-copy's point of no return: the container runs on strasbourg with memory only stuttgart's page server holds.*If stuttgart is only cut off, the game on strasbourg resumes by itself/)
      // Either the page server finished (the game stays on strasbourg) or it lost strasbourg and CRIU
      // let the source run on with its whole memory (the copy lacking pages is removed).
      expect(r.rollback).toMatch(/the floating IP stays with strasbourg \(stuttgart gave it up\)|CRIU let the source run on with its whole memory: removed the copy on strasbourg \(it lacked pages\), floating IP back on stuttgart/)
      expect(['strasbourg', 'stuttgart']).toContain(r.containerOn)
    } finally {
      clearInterval(watch)
      await (await held.cut)?.restore()
      for (const h of links) await labLink(h.name, { delayMs: h.link.delayMs, rateMbit: h.link.rateMbit })
    }
    // Never two copies, the IP with the one left, the game answering with its state (a thawed game
    // first works through the minute it was frozen).
    expect(r.containerOn).not.toBeNull()
    await waitForStatus(tour.floatingIp.address, tour.container.gamePort, 180_000)
    await oneServerOn(r.containerOn!, before)
  })

  it('f: keepalived stopped on the destination after preflight: the IP move fails, the game goes back', async () => {
    await labResetGame()
    const before = await scoredStatus(tour)
    const s = session()
    await s.preflight()
    const dst = await pool.get('strasbourg')
    await dst.run(['pkill', '-x', 'keepalived'])
    try {
      const r = await s.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
      console.log(formatHop(r))
      expect(r.ok).toBe(false)
      expect(r.error).toMatch(/floating IP .* did not move to strasbourg/)
      expect(r.containerOn).toBe('stuttgart')
      await oneServerOn('stuttgart', before)
    } finally {
      // As the lab's boot script starts it, in its own session so it outlives this command.
      await dst.run(['sh', '-c', 'setsid /usr/sbin/keepalived --dont-fork --log-console --vrrp -f /etc/keepalived/keepalived.conf </dev/null >>/run/log/keepalived.log 2>&1 &'])
      await new Promise((r) => setTimeout(r, 1500))
    }
    const pre = await session().preflight()
    expect(pre.hosts.find((h) => h.host === 'strasbourg')?.checks.find((c) => c.id === 'keepalived')?.status).toBe('ok')
  })

  it('g: the game process dies inside the container: preflight says so and no hop starts', async () => {
    await labResetGame()
    const src = await pool.get('stuttgart')
    // comm is cut to 15 characters; -f would match this very command line.
    await src.run(['pkill', '-KILL', '-x', 'darkplaces-serv'])
    await new Promise((r) => setTimeout(r, 1000))
    const s = session()
    const pre = await s.preflight()
    const checks = pre.hosts.find((h) => h.host === 'stuttgart')?.checks ?? []
    expect(JSON.stringify(checks)).toMatch(/not running|stopped|does not answer|no game/)
    const r = await s.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(r.ok).toBe(false)
    expect(r.error).toMatch(/not running|stopped|nothing to move|does not answer/)
    expect((await whereIsEverything(pool, tour)).running).not.toContain('strasbourg')
    await labResetGame()
  })
})

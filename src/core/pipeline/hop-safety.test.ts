import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { EventName, EventPayload, HopResult, StepEvent } from '../../shared/contract'
import { FENCED_EXIT } from '../floating-ip/argv'
import { SshError } from '../ssh/types'
import { FakeGame } from './testing/fake-game'
import { NO_RECEIVER_EXIT } from '../transfer/tail-chain'
import { FAKE_DELTA, FakeWorld, isGate } from './testing/fake-world'
import { FileJournal, openHop, readJournal, type JournalLine } from './journal'
import { PipelineSession } from './session'
import { testTour } from './testing/test-tour'
import type { WatchdogLimits } from './watchdog'

// Whatever happens mid-hop, one game server survives: the hop's journal, a stop while frozen,
// a destination cut off during the rollback, a silent transfer and a command that never answers,
// against the fake hosts with a real UDP game on loopback standing in for the floating IP.
let world: FakeWorld
const game = new FakeGame(() => world.where().length === 1 && world.ipOwners().join() === world.where().join())
let port = 0
let dir: string

beforeAll(async () => {
  port = await game.start()
  dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-hop-safety-'))
})
afterAll(() => {
  game.stop()
  rmSync(dir, { recursive: true, force: true })
})
afterEach(() => {
  world.override = () => undefined
  world.throwFor = () => undefined
  world.delay = () => undefined
  world.lateGo = () => undefined
})

let journals = 0

function setup(limits?: Partial<WatchdogLimits>) {
  const tour = testTour({ floatingIp: '127.0.0.1', gamePort: port, options: 'options: { compression: zstd }' })
  world = new FakeWorld(tour, 'stuttgart')
  const events: { name: EventName; payload: EventPayload<EventName> }[] = []
  const journalFile = path.join(dir, `journal-${++journals}.jsonl`)
  const session = new PipelineSession({
    tour,
    remote: async (h) => world.remote(h),
    emit: (name, payload) => events.push({ name, payload }),
    journal: new FileJournal(journalFile),
    limits,
  })
  const steps = () => events.filter((e) => e.name === 'step').map((e) => e.payload as StepEvent)
  const journal = () => readJournal(journalFile)
  return { tour, session, steps, journal, journalFile }
}

const ran = (host: string, re: RegExp) => world.hosts.get(host)!.commands.filter((c) => re.test(c))
const flags = (lines: JournalLine[]) => lines.flatMap((l) => (l.event === 'state' ? [l.flag] : []))
const isRsync = (host: string, argv: readonly string[]) => host === 'stuttgart' && argv[0] === 'rsync' && argv[1] !== '--version'

describe('the hop journal', () => {
  it('records the start, every state flag in order, and the end of a hop', async () => {
    const { session, journal, journalFile } = setup()
    // Each flag is on disk before the command it announces runs.
    const seenAt: Record<string, string[]> = {}
    const j = () => flags(readJournal(journalFile))
    world.override = (host, argv) => {
      if (host === 'stuttgart' && argv[0] === 'runc' && argv[1] === 'checkpoint') seenAt.checkpoint = j()
      if (host === 'strasbourg' && argv.includes('restore')) seenAt.restore = j()
      if (host === 'strasbourg' && argv[0] === 'sh' && argv.includes(world.tour.floatingIp.trackFile)) seenAt.ipStart ??= j()
      return undefined
    }
    const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(r.ok).toBe(true)
    const lines = journal()
    expect(lines[0]).toMatchObject({ v: 1, event: 'start', hopId: r.hopId, from: 'stuttgart', to: 'strasbourg', technique: 'stop-and-copy', lazy: false })
    const start = lines[0] as Extract<JournalLine, { event: 'start' }>
    expect(start.img).toBe(`${start.hopDir}/img`)
    expect(start.hopDir).toMatch(new RegExp(`/xonotic/${r.hopId}$`))
    // The IP move starts at the freeze (both track files beside the dump): its intent comes first.
    expect(flags(lines)).toEqual(['frozen', 'ipMoved', 'sourceDumped', 'transferred', 'dstRestoreStarted', 'dstRunning', 'served'])
    expect(lines.filter((l) => l.event === 'state').every((l) => l.hopId === r.hopId)).toBe(true)
    expect(lines.at(-1)).toMatchObject({ event: 'end', hopId: r.hopId, ok: true, containerOn: 'strasbourg' })
    expect(openHop(lines)).toBeNull()
    expect(seenAt.checkpoint).toEqual(['frozen', 'ipMoved'])
    // Stop-and-copy's move is armed at the hop's start; its first write comes after its intent.
    expect(seenAt.ipStart?.slice(0, 2)).toEqual(['frozen', 'ipMoved'])
    expect(ran('strasbourg', / armed \S+\/ip\.claim$/)).toHaveLength(1)
    expect(seenAt.restore).toEqual(['frozen', 'ipMoved', 'sourceDumped', 'transferred', 'dstRestoreStarted'])
  })

  it('a rolled-back hop ends in the journal with where the game runs', async () => {
    const { session, journal } = setup()
    world.override = (host, argv) => (host === 'strasbourg' && argv.includes('restore') ? { code: 1, stderr: 'criu failed' } : undefined)
    const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(r).toMatchObject({ ok: false, containerOn: 'stuttgart' })
    const lines = journal()
    expect(flags(lines)).toEqual(['frozen', 'ipMoved', 'sourceDumped', 'transferred', 'dstRestoreStarted'])
    expect(lines.at(-1)).toMatchObject({ event: 'end', ok: false, containerOn: 'stuttgart', detail: expect.stringMatching(/criu failed/) })
  })

  it('a hop cancelled before the freeze journals no irreversible step', async () => {
    const { session, journal } = setup()
    world.override = (host, argv) => {
      if (host === 'stuttgart' && argv.includes('--leave-running')) session.cancel()
      return undefined
    }
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy' })
    expect(r.error).toMatch(/cancelled before the freeze/)
    expect(flags(journal())).toEqual([])
    expect(journal().at(-1)).toMatchObject({ event: 'end', ok: false, containerOn: 'stuttgart' })
  })
})

describe('a stop while frozen', () => {
  const cancelDuringTransfer = (session: PipelineSession) => {
    let outcome: { cancelled: boolean; detail: string } | null = null
    world.override = (host, argv) => {
      if (isRsync(host, argv)) outcome ??= session.cancel()
      return undefined
    }
    return () => outcome
  }

  it('is refused for now: the hop completes', async () => {
    const { session, journal } = setup()
    const outcome = cancelDuringTransfer(session)
    const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(outcome()).toMatchObject({ cancelled: false, detail: expect.stringMatching(/frozen/) })
    expect(r).toMatchObject({ ok: true, containerOn: 'strasbourg' })
    expect(r.error).toBeUndefined()
    expect(world.where()).toEqual(['strasbourg'])
    expect(world.ipOwners()).toEqual(['strasbourg'])
    expect(journal().at(-1)).toMatchObject({ event: 'end', ok: true })
    // The next hop is not affected by the earlier stop.
    expect((await session.hop({ to: 'montreal', mode: 'stop-and-copy' })).ok).toBe(true)
  })

  it.each([
    ['auto', true],
    ['step', false],
  ] as const)('ends a %s-mode tour after that hop: no next hop starts', async (_name, auto) => {
    const { session } = setup()
    const outcome = cancelDuringTransfer(session)
    const results = await Promise.race([
      session.runTour({ auto, mode: 'stop-and-copy' }),
      new Promise<HopResult[]>((_, reject) => setTimeout(() => reject(new Error('the tour did not end after the stop')), 4000)),
    ])
    expect(outcome()).toMatchObject({ cancelled: false })
    expect(results.map((h) => [h.from, h.to, h.ok])).toEqual([['stuttgart', 'strasbourg', true]])
    expect(world.where()).toEqual(['strasbourg'])
    expect(ran('strasbourg', /^runc checkpoint/)).toHaveLength(0)
    expect(world.log.filter((l) => l.startsWith('montreal: ') && /restore|rsync --archive/.test(l))).toEqual([])
    expect(session.isBusy).toBe(false)
    expect(session.next()).toBe(false)
  })
})

describe('rollback with the destination cut off', () => {
  /** From the checkpoint on, strasbourg does not answer for `ms` (forever by default), and the copy to it fails. */
  function cutDestination(ms = Infinity) {
    let cutAt = 0
    world.throwFor = (host) => {
      if (!cutAt && world.log.some((l) => l.startsWith('stuttgart: runc checkpoint') && l.includes('/img '))) cutAt = Date.now()
      if (host !== 'strasbourg' || !cutAt || Date.now() - cutAt >= ms) return undefined
      return new SshError('strasbourg', 'lost', 'strasbourg: connection lost (keepalive timeout): outcome unknown')
    }
    world.override = (host, argv) =>
      isRsync(host, argv) ? { code: 255, stderr: 'ssh: connect to host 198.51.100.12 port 22: Connection timed out\nrsync: connection unexpectedly closed (0 bytes received so far) [sender]' } : undefined
  }

  it('brings the game back on the source first, then retries the destination until it gives up the IP', async () => {
    const { session, steps, journal } = setup({ unreachableMs: 6000 })
    cutDestination(1000)
    const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(r).toMatchObject({ ok: false, containerOn: 'stuttgart' })
    expect(r.error).toMatch(/connection unexpectedly closed/)
    expect(world.where()).toEqual(['stuttgart'])
    expect(world.ipOwners()).toEqual(['stuttgart'])
    expect(session.currentHost).toBe('stuttgart')
    const text = r.rollback ?? ''
    expect(text).toMatch(/floating IP claimed by stuttgart; strasbourg is unreachable and is retried after the game is back/)
    expect(text).toMatch(/restored the container on stuttgart from its local images/)
    expect(text).toMatch(/strasbourg is back and gave up the floating IP/)
    expect(text).not.toMatch(/FAILED/)
    // The game answered before the destination was chased.
    expect(text.indexOf('the game answers at 127.0.0.1 again')).toBeGreaterThan(-1)
    expect(text.indexOf('the game answers at 127.0.0.1 again')).toBeLessThan(text.indexOf('strasbourg is back'))
    const progress = steps().filter((s) => s.step === 'rollback' && s.phase === 'progress')
    expect(progress.length).toBeGreaterThan(0)
    expect(progress[0]!.detail).toMatch(/^strasbourg unreachable \(strasbourg: connection lost .*\); retrying to set its track file to 0, \d+ s left$/)
    // The source claimed the IP before the destination released it.
    // The rollback's writes take the hop's IP claim (sh -c SCRIPT sh FILE VALUE CLAIM N).
    const fenced = (v: string) => new RegExp(` ${world.tour.floatingIp.trackFile} ${v} \\S+/ip\\.claim \\d+$`)
    const claim = world.log.findIndex((l, i) => i > world.log.findIndex((x) => x.startsWith('stuttgart: rsync --archive')) && l.startsWith('stuttgart: sh -c') && fenced('1').test(l))
    const release = world.log.findIndex((l) => l.startsWith('strasbourg: sh -c') && fenced('0').test(l))
    expect(claim).toBeGreaterThan(-1)
    expect(release).toBeGreaterThan(claim)
    expect(journal().at(-1)).toMatchObject({ event: 'end', ok: false, containerOn: 'stuttgart' })
  }, 20_000)

  it("the IP move's go line reaching the cut-off destination after the rollback wrote there writes nothing", async () => {
    const { session } = setup({ unreachableMs: 6000 })
    cutDestination(1000)
    // The go line left before the cut and sits in strasbourg's TCP stream until the link is back.
    let deliver!: () => void
    const back = new Promise<void>((r) => (deliver = r))
    world.lateGo = (host) => (host === 'strasbourg' ? back : undefined)
    const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(r).toMatchObject({ ok: false, containerOn: 'stuttgart' })
    expect(r.rollback).toMatch(/strasbourg is back and gave up the floating IP/)
    expect(world.hosts.get('strasbourg')!.track).toBe(0)
    deliver()
    const late = await Promise.all(world.late)
    expect(late).toEqual([expect.objectContaining({ code: FENCED_EXIT })])
    expect(world.hosts.get('strasbourg')!.track).toBe(0)
    expect(world.ipOwners()).toEqual(['stuttgart'])
    expect(world.where()).toEqual(['stuttgart'])
  }, 20_000)

  it('gives up after the bounded time, says so and points at recover; the game still runs on the source', async () => {
    const { session, steps } = setup({ unreachableMs: 1000 })
    cutDestination()
    const t0 = Date.now()
    const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    // Retried for the bounded time, not forever.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000)
    expect(Date.now() - t0).toBeLessThan(8000)
    expect(r).toMatchObject({ ok: false, containerOn: 'stuttgart' })
    expect(world.where()).toEqual(['stuttgart'])
    expect(world.hosts.get('stuttgart')!.holdsIp).toBe(true)
    expect(r.rollback).toMatch(/the game answers at 127\.0\.0\.1 again/)
    expect(r.rollback).toMatch(/FAILED: strasbourg stayed unreachable for 1 s while trying to set its track file to 0: .*connection lost.*; run `globehop recover` once it is reachable/)
    expect(steps().some((s) => s.step === 'rollback' && s.phase === 'progress' && /strasbourg unreachable/.test(s.detail ?? ''))).toBe(true)
  }, 20_000)
})

describe('rollback with the destination cut off after its restore started', () => {
  it('never restores a second copy on the source while the destination may run one; says to run recover', async () => {
    const { session } = setup({ unreachableMs: 1000 })
    // The restore reaches strasbourg (and runs there), then strasbourg stops answering.
    let restored = false
    world.throwFor = (host, argv) => {
      if (host !== 'strasbourg') return undefined
      if (restored) return new SshError('strasbourg', 'lost', 'strasbourg: connection lost while running restore; its outcome is unknown')
      if (argv.includes('runc') && argv.includes('restore')) restored = true
      return undefined
    }
    world.override = (host, argv) => {
      if (host === 'strasbourg' && argv.includes('runc') && argv.includes('restore')) {
        world.hosts.get('strasbourg')!.container = 'running'
        return { code: 255, stderr: 'connection lost' }
      }
      return undefined
    }
    const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(r.ok).toBe(false)
    expect(r.rollback).toMatch(/stop-destination FAILED/)
    expect(r.rollback).toMatch(/ensure-source SKIPPED: strasbourg may still run the game; run `globehop recover` once it answers/)
    // One copy (on strasbourg), never two.
    expect(world.where()).toEqual(['strasbourg'])
    expect(ran('stuttgart', /runc restore/)).toHaveLength(0)
  }, 20_000)
})

describe('watchdogs', () => {
  it('a transfer that prints nothing for longer than the stall limit fails and rolls back', async () => {
    const { session, steps } = setup({ stallMs: 1000 })
    world.delay = (host, argv) => (isRsync(host, argv) ? new Promise<void>(() => {}) : undefined)
    const t0 = Date.now()
    const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000)
    expect(r).toMatchObject({ ok: false, containerOn: 'stuttgart' })
    expect(r.error).toBe('the copy to strasbourg moved no byte for 1 s (stall limit for this link): strasbourg or the path to it stopped answering')
    expect(steps().some((s) => s.step === 'transfer' && s.phase === 'progress' && s.detail === 'no byte moved for 1 s: stopping the copy')).toBe(true)
    expect(steps().find((s) => s.step === 'transfer' && s.phase === 'fail')?.detail).toMatch(/moved no byte for 1 s/)
    expect(r.rollback).toMatch(/floating IP back on stuttgart/)
    expect(r.rollback).toMatch(/restored the container on stuttgart from its local images/)
    expect(world.where()).toEqual(['stuttgart'])
    expect(world.ipOwners()).toEqual(['stuttgart'])
    expect(ran('strasbourg', /restore/)).toHaveLength(0)
  }, 20_000)

  it('a transfer that keeps reporting progress runs past the stall limit', async () => {
    const { session } = setup({ stallMs: 600 })
    world.delay = (host, argv, opts) => {
      if (!isRsync(host, argv)) return undefined
      return new Promise<void>((resolve) => {
        let n = 0
        const t = setInterval(() => {
          opts.onLine?.('stdout', `     ${(++n * 10_000_000).toLocaleString('en-US')}  ${n * 10}%   10.01MB/s    0:00:02  `)
          if (n === 8) {
            clearInterval(t)
            resolve()
          }
        }, 250)
      })
    }
    const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(r).toMatchObject({ ok: true, containerOn: 'strasbourg' })
    expect(r.steps.find((s) => s.step === 'transfer')!.ms).toBeGreaterThan(1500)
  }, 20_000)

  it('a command that never answers fails its step on the command deadline and rolls back', async () => {
    const { session } = setup({ commandMs: 300 })
    world.delay = (host, argv) => (host === 'strasbourg' && argv.includes('restore') ? new Promise<void>(() => {}) : undefined)
    const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
    expect(r).toMatchObject({ ok: false, containerOn: 'stuttgart' })
    expect(r.error).toMatch(/runc restore on strasbourg exited 124: .*|strasbourg: `.*runc restore.*` timed out after 300 ms/)
    expect(r.rollback).toMatch(/nothing left on strasbourg/)
    expect(r.rollback).toMatch(/restored the container on stuttgart/)
    expect(world.where()).toEqual(['stuttgart'])
    expect(world.ipOwners()).toEqual(['stuttgart'])
  }, 20_000)
})

describe("pre-copy's one-command tail and the destination's restore gate", () => {
  const isTail = (host: string, argv: readonly string[]) => host === 'stuttgart' && argv[0] === 'sh' && !!argv[2]?.includes('globehop-tail: dumped')
  const isRestore = (host: string, argv: readonly string[]) => host === 'strasbourg' && argv.includes('restore') && argv.includes('runc')
  // Snapshots that converge at once (an idle server's delta), as in session.test.ts.
  const converging = (host: string, argv: readonly string[]) =>
    isRsync(host, argv) ? { stdout: 'Literal data: 265,000 bytes\nMatched data: 94,700,000 bytes\nTotal bytes sent: 31,000\nTotal bytes received: 900\n' } : undefined

  it('journals the restore (the go-ahead) after the verified copy, and ends with one server', async () => {
    const { session, journal } = setup()
    world.override = converging
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy' })
    expect(r.ok).toBe(true)
    expect(flags(journal())).toEqual(['frozen', 'ipMoved', 'sourceDumped', 'transferred', 'dstRestoreStarted', 'dstRunning', 'served'])
    expect(world.where()).toEqual(['strasbourg'])
  })

  it('stop-and-copy with zstd(1) on both hosts streams its whole image in the same chain: no rsync, the move armed once, one server', async () => {
    const { session, journal, steps } = setup()
    world.zstd = true
    try {
      const r = await session.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
      expect(r).toMatchObject({ ok: true, containerOn: 'strasbourg' })
      expect(world.log.filter((l) => /^\w+: rsync --archive/.test(l))).toEqual([])
      const tail = world.log.filter((l) => l.startsWith('stuttgart: sh -c') && l.includes('globehop-tail: dumped'))
      expect(tail).toHaveLength(1)
      expect(tail[0]).toContain('/no-basis zstd')
      expect(ran('strasbourg', / armed \S+\/ip\.claim$/)).toHaveLength(1)
      expect(flags(journal())).toEqual(['frozen', 'ipMoved', 'sourceDumped', 'transferred', 'dstRestoreStarted', 'dstRunning', 'served'])
      expect(steps().find((e) => e.step === 'transfer' && e.phase === 'start')?.detail).toBe('the whole image to strasbourg, one way, as CRIU writes it')
      expect(world.where()).toEqual(['strasbourg'])
      expect(world.ipOwners()).toEqual(['strasbourg'])
    } finally {
      world.zstd = false
    }
  })

  it('the source fails after its whole delta left but before the copy verified there: no go-ahead, nothing needed from the destination, the game comes back on the source', async () => {
    const { session, journal } = setup()
    world.override = (host, argv) => {
      if (!isTail(host, argv)) return converging(host, argv)
      world.hosts.get('stuttgart')!.container = 'stopped'
      // Every byte went into the session, which then broke: the destination never verifies.
      return { code: 255, stdout: `globehop-tail: freezing\nglobehop-tail: frozen\nglobehop-tail: dumped\n${FAKE_DELTA.split('\n').slice(0, 2).join('\n')}\n`, stderr: 'Connection to 198.51.100.12 closed by remote host.' }
    }
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy' })
    expect(r.ok).toBe(false)
    expect(r.error).toMatch(/the final delta on stuttgart exited 255/)
    // The bytes may still be on their way, but without the go-ahead they are never restored there:
    // the source needs no answer from the destination (a cut one would keep the game down).
    expect(flags(journal())).not.toContain('dstRestoreStarted')
    expect(ran('strasbourg', /globehop-fence/)).toHaveLength(0)
    expect(ran('strasbourg', /runc restore/)).toHaveLength(0)
    expect(r.rollback).toMatch(/restored the container on stuttgart/)
    expect(world.where()).toEqual(['stuttgart'])
    expect(world.ipOwners()).toEqual(['stuttgart'])
  })

  it('a failed dump: no go-ahead, nothing restored on the destination, the game still on the source', async () => {
    const { session } = setup()
    world.override = (host, argv) => (isTail(host, argv) ? { code: 1, stdout: 'globehop-tail: freezing\nglobehop-tail: dump failed (1)\n', stderr: 'criu: cannot dump' } : converging(host, argv))
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy' })
    expect(r.ok).toBe(false)
    expect(r.error).toMatch(/runc checkpoint on stuttgart exited 1/)
    expect(ran('strasbourg', /runc restore/)).toHaveLength(0)
    expect(world.where()).toEqual(['stuttgart'])
    expect(world.ipOwners()).toEqual(['stuttgart'])
  })

  it('the destination cut off during the delta: no go-ahead was sent, so the game comes back on the source at once', async () => {
    const { session } = setup({ unreachableMs: 1000 })
    let cut = false
    world.override = (host, argv) => {
      if (!isTail(host, argv)) return converging(host, argv)
      world.hosts.get('stuttgart')!.container = 'stopped'
      cut = true
      return { code: 255, stdout: 'globehop-tail: freezing\nglobehop-tail: dumped\n', stderr: 'ssh: connect to host 198.51.100.12: Connection timed out' }
    }
    // From the cut on, nothing reaches strasbourg (its gate, already open, hears nothing either).
    world.throwFor = (host, argv) => (cut && host === 'strasbourg' && !isGate(argv) ? new SshError('strasbourg', 'lost', 'strasbourg: connection lost') : undefined)
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy' })
    expect(r.ok).toBe(false)
    expect(r.error).toMatch(/the final delta on stuttgart exited 255/)
    expect(r.rollback).toMatch(/restored the container on stuttgart/)
    expect(r.rollback).not.toMatch(/NO HOST RUNS THE GAME/)
    expect(ran('strasbourg', /globehop-fence/)).toHaveLength(0)
    expect(world.where()).toEqual(['stuttgart'])
  })

  it("the copy verified but the checkpoint failed after CRIU's dump (the runtime's cleanup): no go-ahead, the game comes back on the source", async () => {
    const { session, journal } = setup()
    world.override = (host, argv) => {
      if (!isTail(host, argv)) return converging(host, argv)
      // CRIU dumped (its tasks are gone) and the pages went out on its log line; then runc failed.
      world.hosts.get('stuttgart')!.container = 'stopped'
      world.hosts.get('strasbourg')!.tailVerified = true
      return { code: 1, stdout: `globehop-tail: freezing\n${FAKE_DELTA}globehop-tail: dump failed (1)\n`, stderr: 'runc: unable to remove cgroup' }
    }
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy' })
    expect(r.ok).toBe(false)
    expect(r.error).toMatch(/runc checkpoint on stuttgart exited 1/)
    expect(ran('strasbourg', /runc restore/)).toHaveLength(0)
    expect(flags(journal())).not.toContain('dstRestoreStarted')
    expect(world.where()).toEqual(['stuttgart'])
    expect(world.ipOwners()).toEqual(['stuttgart'])
  })

  it('a session to the destination that cannot open: nothing frozen, no IP move, the game runs on', async () => {
    const { session } = setup()
    world.override = (host, argv) =>
      isTail(host, argv)
        ? { code: NO_RECEIVER_EXIT, stdout: 'globehop-tail: no session to the destination (ssh exit 255)\n', stderr: 'ssh: connect to host 198.51.100.12 port 22: Connection refused' }
        : converging(host, argv)
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy' })
    expect(r.ok).toBe(false)
    expect(r.error).toMatch(/stuttgart could not open its session to strasbourg for the final delta, so nothing was frozen: ssh: connect to host 198\.51\.100\.12 port 22: Connection refused/)
    // ssh's own words, not the command's scripts.
    expect(r.error).not.toContain('perl')
    expect(world.hosts.get('stuttgart')!.container).toBe('running')
    expect(ran('strasbourg', /runc restore/)).toHaveLength(0)
    // The IP move's commands were open there, armed; nothing fired them, so no track file changed.
    expect(ran('strasbourg', /armed/)).toHaveLength(1)
    expect(world.hosts.get('strasbourg')!.track).toBe(0)
    expect(world.hosts.get('stuttgart')!.track).toBe(1)
    expect(world.where()).toEqual(['stuttgart'])
    expect(world.ipOwners()).toEqual(['stuttgart'])
  })

  it('a failed restore on the destination: its leftover removed after the fence, the source restored', async () => {
    const { session } = setup()
    world.override = (host, argv) => {
      if (isRestore(host, argv)) {
        world.hosts.get('strasbourg')!.container = 'stopped'
        return { code: 1, stderr: 'criu failed: type RESTORE errno 0' }
      }
      return converging(host, argv)
    }
    const r = await session.hop({ to: 'strasbourg', mode: 'pre-copy' })
    expect(r.ok).toBe(false)
    expect(r.error).toMatch(/runc restore on strasbourg exited 1: criu failed: type RESTORE errno 0/)
    const fence = world.log.findIndex((l) => l.startsWith('strasbourg:') && l.includes('globehop-fence'))
    const discard = world.log.findIndex((l) => l.startsWith('strasbourg: runc delete --force'))
    expect(fence).toBeGreaterThanOrEqual(0)
    expect(discard).toBeGreaterThan(fence)
    expect(world.where()).toEqual(['stuttgart'])
    expect(world.ipOwners()).toEqual(['stuttgart'])
  })
})

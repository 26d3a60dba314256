import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SshError } from '../ssh/types'
import { FakeGame } from './testing/fake-game'
import { FakeWorld } from './testing/fake-world'
import { FileJournal, openHop, readJournal } from './journal'
import { listImagesArgv, parseImageList, recover } from './recover'
import { testTour } from './testing/test-tour'

// `globehop recover` end to end against the fake hosts: the survey, the plan, the actions, the
// journal's closing line. The UDP game on loopback answers while one host runs it and holds the IP.
let world: FakeWorld
const game = new FakeGame(() => world.where().length === 1 && world.ipOwners().join() === world.where().join())
let port = 0
let dir: string
beforeAll(async () => {
  port = await game.start()
  dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-recover-'))
})
afterAll(() => {
  game.stop()
  rmSync(dir, { recursive: true, force: true })
})

const HOP = '/var/lib/globehop/images/xonotic/1-stuttgart-strasbourg-m1'
let n = 0

function setup() {
  const tour = testTour({ floatingIp: '127.0.0.1', gamePort: port })
  world = new FakeWorld(tour, 'stuttgart')
  const journalFile = path.join(dir, `journal-${++n}.jsonl`)
  const journal = new FileJournal(journalFile)
  const said: string[] = []
  const run = (o: { dryRun?: boolean; unreachableMs?: number } = {}) =>
    recover({ tour, remote: async (h) => world.remote(h), journal, journalFile, say: (l) => said.push(l), ...o })
  return { tour, journal, journalFile, said, run }
}

/** A stop-and-copy hop killed after the source's dump: nothing runs, the image is on the source. */
function killedAfterDump(journal: FileJournal) {
  journal.record({ event: 'start', hopId: '1-stuttgart-strasbourg-m1', from: 'stuttgart', to: 'strasbourg', technique: 'stop-and-copy', lazy: false, hopDir: HOP, img: `${HOP}/img` })
  for (const flag of ['frozen', 'sourceDumped', 'ipMoved'] as const) journal.record({ event: 'state', hopId: '1-stuttgart-strasbourg-m1', flag })
  world.hosts.get('stuttgart')!.container = 'stopped'
  world.hosts.get('stuttgart')!.holdsIp = false
  world.hosts.get('strasbourg')!.holdsIp = true
  world.override = (host, argv) => {
    // The image list, asked with runc's marks of a whole image and a finished dump.
    if (argv[0] === 'sh' && argv[5] === 'inventory.img' && argv[6] === 'stats-dump') {
      if (host === 'stuttgart') return { stdout: `${HOP}\tstop-and-copy\t1\t1\t1700000000\n` }
      if (host === 'strasbourg') return { stdout: `${HOP}\tstop-and-copy\t0\t0\t1700000001\n` }
    }
    return undefined
  }
}

describe('recover', () => {
  it('a hop killed after the dump: restores on the source, gives it the IP, checks the game, closes the journal', async () => {
    const { journal, journalFile, said, run } = setup()
    killedAfterDump(journal)
    const r = await run()
    expect(r).toMatchObject({ ok: true, containerOn: 'stuttgart', failed: [], unreachable: [] })
    expect(r.open).toMatchObject({ hopId: '1-stuttgart-strasbourg-m1', reached: ['frozen', 'sourceDumped', 'ipMoved'] })
    expect(world.where()).toEqual(['stuttgart'])
    expect(world.ipOwners()).toEqual(['stuttgart'])
    expect(r.done[0]).toMatch(new RegExp(`^restored the container on stuttgart from ${HOP}/img in `))
    expect(r.done[1]).toBe('127.0.0.1 on stuttgart; released by strasbourg, montreal')
    expect(r.done[2]).toMatch(/^the game answers at 127\.0\.0\.1 \(/)
    // On the unfinished hop's two hosts the writes took its IP claim: a go line of its move still
    // on its way there writes nothing after them (floating-ip/argv.ts). Other hosts have no claim.
    expect([...world.hosts].map(([h, x]) => [h, [...x.claims]])).toEqual([
      ['stuttgart', [`${HOP}/ip.claim`]],
      ['strasbourg', [`${HOP}/ip.claim`]],
      ['montreal', []],
    ])
    // The stopped record went first, then the restore.
    const cmds = world.hosts.get('stuttgart')!.commands
    expect(cmds.indexOf('runc delete --force xonotic')).toBeGreaterThan(-1)
    expect(cmds.findIndex((c) => / runc restore --detach .*--image-path \S+\/img --work-path \S+\/recover-work xonotic$/.test(c))).toBeGreaterThan(cmds.indexOf('runc delete --force xonotic'))
    expect(said).toContain('found: journal: hop stuttgart -> strasbourg (stop-and-copy) did not finish; it reached: frozen, sourceDumped, ipMoved')
    const lines = readJournal(journalFile)
    expect(lines.at(-1)).toMatchObject({ event: 'recovered', hopId: '1-stuttgart-strasbourg-m1', containerOn: 'stuttgart', detail: 'the game runs on stuttgart' })
    expect(openHop(lines)).toBeNull()
  })

  it('--dry-run says what it would do and changes nothing', async () => {
    const { journal, journalFile, said, run } = setup()
    killedAfterDump(journal)
    const before = world.log.length
    const r = await run({ dryRun: true })
    expect(r.ok).toBe(true)
    expect(said.filter((l) => l.startsWith('would: '))).toEqual([
      `would: restore on stuttgart from ${HOP}/img (newest complete image (stop-and-copy, dumped there))`,
      'would: floating IP to stuttgart only',
      'would: check the game answers at the floating IP',
    ])
    expect(world.where()).toEqual([])
    const track = world.tour.floatingIp.trackFile
    const writes = new RegExp(` ${track} [01]( \\S+ \\d+)?$`)
    expect(world.log.slice(before).filter((l) => /runc (restore|delete|resume)/.test(l) || writes.test(l))).toEqual([])
    expect(world.ipOwners()).toEqual(['strasbourg'])
    expect(openHop(readJournal(journalFile))).not.toBeNull()
  })

  it('two running copies: stops the one without the IP', async () => {
    const { run } = setup()
    world.hosts.get('strasbourg')!.container = 'running'
    const r = await run()
    expect(r).toMatchObject({ ok: true, containerOn: 'stuttgart', open: null })
    expect(r.done[0]).toBe('stopped and removed the copy on strasbourg')
    expect(world.where()).toEqual(['stuttgart'])
    expect(world.ipOwners()).toEqual(['stuttgart'])
  })

  it('a host that stays unreachable: nothing is restored, it is retried for the bounded time, and the report says so', async () => {
    const { journal, said, run } = setup()
    killedAfterDump(journal)
    // Killed before the dump finished: the unreachable source may run the game.
    journal.record({ event: 'recovered', hopId: '1-stuttgart-strasbourg-m1', containerOn: null, detail: 'reset' })
    journal.record({ event: 'start', hopId: '2-stuttgart-strasbourg-m2', from: 'stuttgart', to: 'strasbourg', technique: 'stop-and-copy', lazy: false, hopDir: HOP, img: `${HOP}/img` })
    journal.record({ event: 'state', hopId: '2-stuttgart-strasbourg-m2', flag: 'frozen' })
    world.throwFor = (host) => (host === 'stuttgart' ? new SshError('stuttgart', 'network', 'connect ETIMEDOUT 198.51.100.11:22') : undefined)
    const r = await run({ unreachableMs: 500 })
    expect(r.ok).toBe(false)
    expect(r.containerOn).toBeNull()
    expect(r.unreachable).toEqual(['stuttgart'])
    expect(r.plan.blocked).toMatch(/stuttgart cannot be asked whether it still does/)
    expect(world.log.filter((l) => /restore/.test(l))).toEqual([])
    expect(said.some((l) => l.startsWith('waiting up to 1 s for stuttgart'))).toBe(true)
    expect(said.some((l) => l.startsWith('gave up on stuttgart after 1 s'))).toBe(true)
  }, 20_000)
})

describe('the survey of a host\'s images, run by sh', () => {
  it('finds a final image kept in RAM through the hop dir\'s links (paths.ts finalDir), and says so only while it is there', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'globehop-survey-'))
    try {
      const hop = `${root}/disk/xonotic/1-a-b-x`
      const ram = `${root}/shm/xonotic/1-a-b-x.final`
      mkdirSync(hop, { recursive: true })
      mkdirSync(`${ram}/img`, { recursive: true })
      mkdirSync(`${ram}/dump-work`, { recursive: true })
      symlinkSync(`${ram}/img`, `${hop}/img`)
      symlinkSync(`${ram}/dump-work`, `${hop}/dump-work`)
      writeFileSync(`${hop}/technique`, 'pre-copy\n')
      writeFileSync(`${ram}/img/inventory.img`, 'x')
      writeFileSync(`${ram}/dump-work/stats-dump`, 'x')
      const [sh, ...args] = listImagesArgv(`${root}/disk/xonotic`, 'inventory.img', 'stats-dump')
      const survey = () => parseImageList(execFileSync(sh!, args, { encoding: 'utf8' }))
      expect(survey()).toEqual([expect.objectContaining({ hopDir: hop, img: `${hop}/img`, technique: 'pre-copy', inventory: true, dumpedHere: true })])
      // The RAM copy gone (a reboot of the source): the dangling links make no restorable image.
      rmSync(`${root}/shm`, { recursive: true })
      expect(survey()).toEqual([expect.objectContaining({ hopDir: hop, inventory: false, dumpedHere: false })])
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})

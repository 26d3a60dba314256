// The freeze-first wrapper around the lab's real runc and CRIU, on the game itself: CRIU finds the
// cgroup frozen (no "freezing processes: N attempts done" line: it skipped its write and its poll),
// the game runs on afterwards, and the snapshot's image says THAWED like one CRIU froze itself.
import { describe, expect, it } from 'vitest'
import { labForTests, labResetGame, scoredStatus, whereIsEverything } from '../../../lab/testing'
import { runtimeOf } from '../pipeline/runtime/registry'
import { SshPool } from '../ssh/pool'
import { loadTour } from '../tour/load'
import { freezeFirstArgv, parseFreezeFirst } from './freeze-first'
import { criuPauseMs, decodeCriuStats } from './stats'

const lab = labForTests()
const RUNS = 4

describe.skipIf(!lab.available)(`freeze-first snapshots of the game${lab.available ? '' : ` (skipped: ${lab.reason})`}`, { timeout: 300_000 }, () => {
  it("CRIU finds the game's cgroup frozen, the game runs on after each snapshot, and the image says THAWED", async () => {
    await labResetGame()
    const tour = await loadTour(lab.tourPath)
    const pool = new SshPool(tour, { sshConfig: null })
    try {
      const [host] = (await whereIsEverything(pool, tour)).running
      const r = await pool.get(host!)
      const rt = runtimeOf(tour)
      const id = tour.container.id
      const dir = (await r.run(['mktemp', '-d', '-t', 'globehop-freeze.XXXXXX'])).stdout.trim()
      let foundFrozen = 0
      try {
        for (let i = 1; i <= RUNS; i++) {
          const img = `${dir}/snap-${i}`
          const work = `${dir}/snap-${i}-work`
          const ran = await r.run(freezeFirstArgv({ checkpoint: rt.checkpoint({ id, imagePath: img, workPath: work, leaveRunning: true }), state: rt.state(id), log: `${work}/${rt.dumpLog!}`, img }))
          const rep = parseFreezeFirst(ran.stdout)
          const log = (await r.run(['cat', `${work}/${rt.dumpLog!}`], { log: false })).stdout
          const stats = decodeCriuStats(Buffer.from((await r.run(['base64', '-w0', `${work}/stats-dump`], { log: false })).stdout, 'base64'))
          const polled = /freezing processes: \d+ attempts done/.test(log)
          if (!polled) foundFrozen++
          console.log(`[freeze-first] ${host} #${i}: ${rep?.words}; CRIU freezing + frozen ${criuPauseMs(stats)?.toFixed(1)} ms; CRIU ${polled ? 'froze it itself' : 'found it frozen'}`)
          expect(rep?.heldMs, ran.stdout).toBeGreaterThan(0)
          expect(rep?.words).toMatch(/thawed on CRIU's unfreeze line; the image's freezer.state says THAWED again/)
          const image = (await r.run(['sh', '-c', 'grep -a -c "freezer.state..THAWED" "$1/cgroup.img"', 'sh', img], { allowFail: true })).stdout.trim()
          expect(image).toBe('1')
          expect(JSON.parse((await r.run(rt.state(id))).stdout).status).toBe('running')
        }
        // Our write lands 2-6 ms after CRIU's log appears, CRIU looks 4-13 ms after it: a loaded
        // machine may still let CRIU look first now and then (it then freezes the game itself).
        expect(foundFrozen).toBeGreaterThanOrEqual(RUNS / 2)
        // The game kept its state through every snapshot and answers.
        expect((await scoredStatus(tour)).players.length).toBeGreaterThan(0)
      } finally {
        await r.run(['rm', '-rf', '--', dir], { allowFail: true })
      }
    } finally {
      await pool.close()
    }
  })
})

// The held restore against the lab's real runc and CRIU: a snapshot of the running game
// (`--leave-running`, into the lab's /dev/shm, which every lab machine shares) restored as a second
// container on a host the game does not run on. runc waits in its version check until the copy is
// verified (or, where the image dir holds the snapshot's descriptors.json, in its restore); then CRIU restores the whole game and waits at its post-restore notification, in the
// shim, until the go line: with it the game runs there; without it, with a rollback's fence, or with
// the shim killed, CRIU aborts its restore and nothing is left. runc waits at nice 10 and CRIU
// restores at 0.
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { labForTests, whereIsEverything } from '../../../lab/testing'
import { withNullStdio } from '../pipeline/plan'
import { readCriuStats } from '../pipeline/remote-files'
import { runtimeOf } from '../pipeline/runtime/registry'
import { SshPool } from '../ssh/pool'
import { loadTour } from '../tour/load'
import { fenceArgv, GATE_EXIT, GATE_GO, gateArgv, parseFence, postRestoreWaitMs, TAIL_MARK } from './tail-chain'

const lab = labForTests()
const ID = 'globehop-hold-test'
type Ending = 'go' | 'no' | 'fence' | 'shim killed'

describe.skipIf(!lab.available)(`the held restore with runc and CRIU${lab.available ? '' : ` (skipped: ${lab.reason})`}`, { timeout: 240_000 }, () => {
  it("CRIU restores the game up to its post-restore notification once the copy is verified and lets it run only on the go line; no go line, a fence or a killed shim abort it and leave nothing", async () => {
    const tour = await loadTour(lab.tourPath)
    const pool = new SshPool(tour, { sshConfig: null })
    // A dir made at run time in the lab's shared /dev/shm, removed at the end.
    let shm = ''
    try {
      const { running } = await whereIsEverything(pool, tour)
      expect(running.length, 'the game runs on one host').toBe(1)
      const src = await pool.get(running[0]!)
      const host = tour.hosts.find((h) => !running.includes(h.name))!
      const r = await pool.get(host.name)
      const rt = runtimeOf(tour)
      shm = (await src.run(['mktemp', '-d', '-p', '/dev/shm', 'globehop-hold.XXXXXX'])).stdout.trim()
      const img = `${shm}/img`
      // The game's snapshot; it runs on where it is.
      await src.run(['mkdir', '-p', img])
      await src.run(rt.checkpoint({ id: tour.container.id, imagePath: img, workPath: `${shm}/work`, leaveRunning: true }), { timeoutMs: 60_000 })
      const dir = (await r.run(['mktemp', '-d', '-t', 'globehop-hold.XXXXXX'])).stdout.trim()
      const exists = async (p: string) => (await r.run(['test', '-e', p], { allowFail: true, log: false })).code === 0
      const gone = async () => (await r.run(rt.state(ID), { allowFail: true, log: false })).code !== 0
      expect(await exists(`${img}/inventory.img`), `${host.name} sees the snapshot in the shared /dev/shm`).toBe(true)
      // The host's criu behind a wrapper that notes its own and its parent's niceness (the gate finds
      // it first on PATH and puts the shim before it): runc waits at nice 10, CRIU restores at 0.
      const path = (await r.run(['sh', '-c', 'echo "$PATH"'])).stdout.trim()
      const criu = (await r.run(['sh', '-c', 'command -v criu'])).stdout.trim()
      const wrapper = `#!/bin/sh\necho "$(awk '{print $19}' /proc/$$/stat) $(awk '{print $19}' /proc/$PPID/stat) $1" >>"$0.nice"\nexec ${criu} "$@"\n`
      await r.run(['sh', '-c', 'mkdir -p "$1/bin" && printf %s "$2" >"$1/bin/criu" && chmod 755 "$1/bin/criu"', 'sh', dir, wrapper])
      try {
        const calls = async () => (await r.run(['sh', '-c', 'cat "$1" 2>/dev/null | wc -l', 'sh', `${dir}/bin/criu.nice`], { log: false })).stdout.trim()
        // `early`: the image dir holds the snapshot's descriptors.json, as a pre-copy hop's does.
        const attempt = async (ending: Ending, early = false) => {
          const d = `${dir}/${ending.replace(' ', '-')}`
          const work = `${d}/work`
          await r.run(['mkdir', '-p', work])
          const restore = withNullStdio(rt.restore({ id: ID, bundle: tour.container.bundle, imagePath: img, workPath: work }), `${d}/restore.err`)
          const stdin = new PassThrough()
          const lines: string[] = []
          const hold = { shimDir: `${d}/criu-hold`, fifo: `${d}/restore.go`, held: `${d}/restore.held`, images: early ? img : undefined }
          const before = Number(await calls())
          const gate = r.run(['env', `PATH=${dir}/bin:${path}`, ...gateArgv({ marker: `${d}/tail.verified`, waitMs: 20_000, claim: `${d}/restore.claim`, done: `${d}/restore.done`, restore, hold })], { stdin, allowFail: true, timeoutMs: 90_000, onLine: (_, l) => lines.push(l) })
          // (Awaited below; a failed expectation before that must not leave it unhandled.)
          gate.catch(() => undefined)
          const until = async (p: string) => {
            const t = Date.now()
            while (!(await exists(p))) {
              if (Date.now() - t > 30_000) throw new Error(`no ${p}: ${lines.join(' | ')}`)
              await new Promise((res) => setTimeout(res, 50))
            }
            return Date.now() - t
          }
          // runc starts with the gate and waits in its CRIU version check until the copy is verified;
          // with the snapshot's descriptors.json there, its version check went and its restore waits.
          await until(hold.held)
          await new Promise((res) => setTimeout(res, 1000))
          expect(await exists(`${work}/restore.log`), 'CRIU restored before the copy was verified').toBe(false)
          expect(Number(await calls()) - before, 'CRIU calls before the copy was verified').toBe(early ? 1 : 0)
          // Whole when it appears, as the receiver writes it (aside, then renamed).
          await r.run(['sh', '-c', 'echo "globehop-delta: verified 1 files 1 bytes" >"$1.part" && mv "$1.part" "$1"', 'sh', `${d}/tail.verified`])
          const ms = await until(`${hold.fifo}.waiting`)
          console.log(`[criu-hold] ${host.name}: CRIU's restore reached its post-restore notification ${ms} ms after the copy was verified (polled every 50 ms)`)
          await new Promise((res) => setTimeout(res, 300))
          const held = (await r.run(['cat', `${work}/restore.log`])).stdout
          expect(held, 'CRIU restored the game and waits at post-restore').toMatch(/Running post-restore scripts/)
          expect(held, 'the game ran before the go line').not.toMatch(/Restore finished successfully/)
          expect(lines, lines.join(' | ')).toContain(`${TAIL_MARK.verified} globehop-delta: verified 1 files 1 bytes`)
          let fence: string | null = null
          if (ending === 'fence') {
            // A rollback's fence (its engine may be cut off from the gate): claims, tells the held restore no.
            const f = fenceArgv({ hopDir: d, claim: `${d}/restore.claim`, done: `${d}/restore.done`, held: hold.held, go: hold.fifo }, 20_000)
            fence = parseFence((await r.run(f)).stdout)
            expect(await gone(), `runc left ${ID} behind after the fence`).toBe(true)
          }
          if (ending === 'shim killed') {
            // (The bracket keeps pgrep's own shell out of its match.)
            const pids = (await r.run(['sh', '-c', 'pgrep -f "$1"', 'sh', `${d}/criu-hol[d]/criu swrk`])).stdout.trim().split('\n')
            expect(pids.length).toBe(1)
            await r.run(['kill', '-9', pids[0]!])
            await until(`${d}/restore.done`)
          }
          stdin.end(ending === 'no' || ending === 'shim killed' ? '' : GATE_GO)
          const res = await gate
          const log = (await r.run(['cat', `${work}/restore.log`], { allowFail: true, log: false })).stdout
          return { res, lines, log, fence, work, done: (await r.run(['cat', `${d}/restore.done`], { allowFail: true, log: false })).stdout.trim(), claimed: await exists(`${d}/restore.claim`) }
        }

        const aborted = /Aborting restore due to post-restore script/
        const no = await attempt('no')
        expect(no.res.code).toBe(GATE_EXIT.noGo)
        expect(no.log).toMatch(aborted)
        expect(no.log).not.toMatch(/Restore finished successfully/)
        expect(no.claimed).toBe(false)
        expect(Number(no.done)).toBeGreaterThan(0)
        expect(await gone(), `runc left ${ID} behind`).toBe(true)

        const fenced = await attempt('fence')
        expect(fenced.fence).toBe('claimed')
        expect(fenced.res.code).toBe(GATE_EXIT.fenced)
        expect(fenced.log).toMatch(aborted)
        expect(Number(fenced.done)).toBeGreaterThan(0)

        const killed = await attempt('shim killed')
        expect(killed.log).toMatch(/Client exited unexpectedly/)
        expect(killed.log).toMatch(aborted)
        expect(Number(killed.done)).toBeGreaterThan(0)
        expect(await gone(), `runc left ${ID} behind`).toBe(true)

        const go = await attempt('go', true)
        expect(go.res.code, go.lines.join(' | ')).toBe(0)
        // How long CRIU waited at post-restore (at least the 300 ms the test let pass): CRIU counts it
        // in its restore time, which the hop's figures therefore leave out (steps/restore.ts).
        const waited = go.lines.map(postRestoreWaitMs).find(Boolean) ?? 0
        expect(waited, go.lines.join(' | ')).toBeGreaterThanOrEqual(300)
        const stats = await readCriuStats(r, `${go.work}/${rt.stats.restore}`, rt.stats.decode)
        expect(stats?.restoreTimeUs ?? 0).toBeGreaterThan(waited * 1000)
        expect(go.log).toMatch(/Restore finished successfully/)
        expect(go.claimed).toBe(true)
        expect(go.done).toBe('0')
        expect((await r.run(rt.state(ID))).stdout).toMatch(/"status": "running"/)
        // Each line: CRIU's niceness, its parent's, what runc asked. The version check while held
        // (runc at 10), the restore from the verified copy on (the shim and CRIU at 0).
        const nice = (await r.run(['cat', `${dir}/bin/criu.nice`])).stdout.trim().split('\n')
        expect(nice.slice(-2)).toEqual(['10 10 swrk', '0 0 swrk'])
      } finally {
        // A restore still held (a failed expectation above) holds runc's bind mount of the bundle's
        // rootfs in its state dir: `runc delete --force` then would empty the rootfs through it.
        // The fence ends it first, as a rollback's does; only a settled container is removed.
        const ls = await r.run(['sh', '-c', 'ls -d "$1"/*/ 2>/dev/null', 'sh', dir], { allowFail: true, log: false })
        let settled = true
        for (const d of ls.stdout.split('\n').filter(Boolean).map((x) => x.replace(/\/$/, ''))) {
          const f = fenceArgv({ hopDir: d, claim: `${d}/restore.claim`, done: `${d}/restore.done`, held: `${d}/restore.held`, go: `${d}/restore.go` }, 20_000)
          if (parseFence((await r.run(f, { allowFail: true, log: false })).stdout) === 'restore still running') settled = false
        }
        if (settled && !(await gone())) await r.run(rt.forceDelete(ID), { allowFail: true, log: false })
        await r.run(['rm', '-rf', '--', dir], { allowFail: true })
      }
      // The game runs where it ran, and only there.
      expect((await whereIsEverything(pool, tour)).running).toEqual(running)
    } finally {
      if (shm) await (await pool.get(tour.hosts[0]!.name)).run(['rm', '-rf', '--', shm], { allowFail: true }).catch(() => undefined)
      await pool.close()
    }
  })
})

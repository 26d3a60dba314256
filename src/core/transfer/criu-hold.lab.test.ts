// The held restore against the lab's real runc and CRIU, on a host the game does not run on, with an
// image that has runc's descriptors.json and nothing else: runc gets as far as CRIU's restore, which
// is all the hold is about. runc waits in its version check until the copy is verified, then in
// CRIU's restore; without the go line CRIU never starts and runc undoes its container; with it, the
// real CRIU gets runc's request through the shim (and fails on the empty image); a rollback's fence
// ends a held restore itself. runc waits at nice 10 and CRIU restores at 0.
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { labForTests, whereIsEverything } from '../../../lab/testing'
import { withNullStdio } from '../pipeline/plan'
import { runtimeOf } from '../pipeline/runtime/registry'
import { SshPool } from '../ssh/pool'
import { loadTour } from '../tour/load'
import { fenceArgv, GATE_EXIT, GATE_GO, gateArgv, parseFence, TAIL_MARK } from './tail-chain'

const lab = labForTests()
const ID = 'globehop-hold-test'

describe.skipIf(!lab.available)(`the held restore with runc and CRIU${lab.available ? '' : ` (skipped: ${lab.reason})`}`, { timeout: 120_000 }, () => {
  it("runc's restore waits in the shim until the go line; without it CRIU never starts and no container is left", async () => {
    const tour = await loadTour(lab.tourPath)
    const pool = new SshPool(tour, { sshConfig: null })
    try {
      const { running } = await whereIsEverything(pool, tour)
      const host = tour.hosts.find((h) => !running.includes(h.name))!
      const r = await pool.get(host.name)
      const rt = runtimeOf(tour)
      const dir = (await r.run(['mktemp', '-d', '-t', 'globehop-hold.XXXXXX'])).stdout.trim()
      const exists = async (p: string) => (await r.run(['test', '-e', p], { allowFail: true, log: false })).code === 0
      const gone = async () => (await r.run(rt.state(ID), { allowFail: true, log: false })).code !== 0
      // The host's criu behind a wrapper that notes its own and runc's niceness (the gate finds it
      // first on PATH and puts the shim before it): runc waits at nice 10, CRIU restores at 0.
      const path = (await r.run(['sh', '-c', 'echo "$PATH"'])).stdout.trim()
      const criu = (await r.run(['sh', '-c', 'command -v criu'])).stdout.trim()
      const wrapper = `#!/bin/sh\necho "$(awk '{print $19}' /proc/$$/stat) $(awk '{print $19}' /proc/$PPID/stat) $1" >>"$0.nice"\nexec ${criu} "$@"\n`
      await r.run(['sh', '-c', 'mkdir -p "$1/bin" && printf %s "$2" >"$1/bin/criu" && chmod 755 "$1/bin/criu"', 'sh', dir, wrapper])
      try {
        const attempt = async (name: string, answer: string, fenceFirst = false) => {
          const d = `${dir}/${name}`
          const work = `${d}/work`
          await r.run(['sh', '-c', 'mkdir -p "$1/img" "$1/work" && printf \'%s\' \'["/dev/null","/dev/null","/dev/null"]\' >"$1/img/descriptors.json"', 'sh', d])
          const restore = withNullStdio(rt.restore({ id: ID, bundle: tour.container.bundle, imagePath: `${d}/img`, workPath: work }), `${d}/restore.err`)
          const stdin = new PassThrough()
          const lines: string[] = []
          const hold = { shimDir: `${d}/criu-hold`, fifo: `${d}/restore.go`, held: `${d}/restore.held` }
          const gate = r.run(['env', `PATH=${dir}/bin:${path}`, ...gateArgv({ marker: `${d}/tail.verified`, waitMs: 10_000, claim: `${d}/restore.claim`, done: `${d}/restore.done`, restore, hold })], { stdin, allowFail: true, timeoutMs: 60_000, onLine: (_, l) => lines.push(l) })
          // (Awaited below; a failed expectation before that must not leave it unhandled.)
          gate.catch(() => undefined)
          // runc starts with the gate and waits in its CRIU version check until the copy is verified.
          const until = async (p: string) => {
            const t = Date.now()
            while (!(await exists(p))) {
              if (Date.now() - t > 20_000) throw new Error(`no ${p}: ${lines.join(' | ')}`)
              await new Promise((res) => setTimeout(res, 100))
            }
          }
          await until(hold.held)
          await new Promise((res) => setTimeout(res, 1000))
          expect(await exists(`${hold.fifo}.waiting`), "runc's restore passed its version check before the copy").toBe(false)
          // Whole when it appears, as the receiver writes it (aside, then renamed).
          await r.run(['sh', '-c', 'echo "globehop-delta: verified 1 files 1 bytes" >"$1.part" && mv "$1.part" "$1"', 'sh', `${d}/tail.verified`])
          // runc reaches CRIU's restore, which waits: no CRIU log yet.
          const t0 = Date.now()
          while (!(await exists(`${hold.fifo}.waiting`))) {
            if (Date.now() - t0 > 20_000) throw new Error(`runc's restore never reached the shim: ${lines.join(' | ')}`)
            await new Promise((res) => setTimeout(res, 100))
          }
          console.log(`[criu-hold] ${host.name}: runc's restore waited in the shim ${Date.now() - t0} ms after the copy was verified (polled every 100 ms)`)
          await new Promise((res) => setTimeout(res, 300))
          expect(await exists(`${work}/restore.log`), 'CRIU started before the go line').toBe(false)
          expect(lines, lines.join(' | ')).toContain(`${TAIL_MARK.verified} globehop-delta: verified 1 files 1 bytes`)
          let fence: string | null = null
          if (fenceFirst) {
            // A rollback's fence (its engine may be cut off from the gate): claims, tells the held restore no.
            const f = fenceArgv({ hopDir: d, claim: `${d}/restore.claim`, done: `${d}/restore.done`, held: hold.held, go: hold.fifo }, 10_000)
            fence = parseFence((await r.run(f)).stdout)
            expect(await gone(), `runc left ${ID} behind after the fence`).toBe(true)
          }
          stdin.end(answer)
          const res = await gate
          const log = (await r.run(['cat', `${work}/restore.log`], { allowFail: true, log: false })).stdout
          return { res, lines, log, fence, done: (await r.run(['cat', `${d}/restore.done`], { allowFail: true, log: false })).stdout.trim(), claimed: await exists(`${d}/restore.claim`) }
        }

        const no = await attempt('no', '')
        expect(no.res.code).toBe(GATE_EXIT.noGo)
        expect(no.log, 'CRIU never started').toBe('')
        expect(no.claimed).toBe(false)
        expect(Number(no.done)).toBeGreaterThan(0)
        expect(await gone(), `runc left ${ID} behind`).toBe(true)

        const go = await attempt('go', GATE_GO)
        expect(go.lines).toContain(`${TAIL_MARK.restoring} (CRIU's restore was waiting for it)`)
        // The real CRIU read runc's whole request through the shim's peek and tried the (empty) image.
        expect(go.log).toMatch(/Version: \d+\.\d+/)
        expect(go.log).toMatch(/inventory/i)
        expect(go.res.code).not.toBe(0)
        expect(go.claimed).toBe(true)
        expect(go.done).toBe(String(go.res.code))
        expect(await gone(), `runc left ${ID} behind`).toBe(true)
        // Each line: CRIU's niceness, runc's, what runc asked. The version check while held, the
        // restore after the go line.
        const nice = (await r.run(['cat', `${dir}/bin/criu.nice`])).stdout.trim().split('\n')
        expect(nice.slice(-2)).toEqual(['10 10 swrk', '0 0 swrk'])

        const fenced = await attempt('fenced', GATE_GO, true)
        expect(fenced.fence).toBe('claimed')
        expect(fenced.res.code).toBe(GATE_EXIT.fenced)
        expect(fenced.log, 'CRIU never started').toBe('')
        expect(Number(fenced.done)).toBeGreaterThan(0)
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
    } finally {
      await pool.close()
    }
  })
})

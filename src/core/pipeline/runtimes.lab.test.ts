// The other runtimes on the lab: the game started by crun (built with CRIU), then by Podman (from
// the bundle's rootfs imported as an image), moves stuttgart -> strasbourg in stop-and-copy and back
// in pre-copy through the same pipeline, chosen by the tour's `container.runtime` alone. After each
// hop: one server (under any runtime), the IP with it, the game answering with its bots' frags, and
// CRIU's figures as the runtime reported them. Preflight says why post-copy is out for both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HopResult } from '../../shared/contract'
import type { RuntimeName, Tour } from '../../shared/tour'
import { formatHop } from '../../cli/pipeline-format'
import { runtimeUnavailable } from '../../../lab/game'
import { readState } from '../../../lab/state'
import { Prober } from '../probe/prober'
import { stateCarried } from '../probe/status'
import { SshPool } from '../ssh/pool'
import { loadTour } from '../tour/load'
import { fragSum, gameStatus, labForTests, labResetGame, scoredStatus, whereIsEverything } from '../../../lab/testing'
import { parseRuntimeState } from './remote-files'
import { runtimeNamed } from './runtime/registry'
import { PipelineSession, type ClientObserver } from './session'

const lab = labForTests()
const first = readState()?.hosts[0]

describe.each<RuntimeName>(['crun', 'podman'])('%s on the lab', async (name) => {
  const missing = lab.available && first ? await runtimeUnavailable(first, name) : null
  const skipWhy = !lab.available ? ` (skipped: ${lab.reason})` : missing ? ` (skipped: ${missing})` : ''
  const rt = runtimeNamed(name)
  let tour: Tour
  let pool: SshPool

  describe.skipIf(!lab.available || missing !== null)(`the game under ${name}${skipWhy}`, { timeout: 600_000 }, () => {
    beforeAll(async () => {
      const loaded = await loadTour(lab.tourPath)
      tour = { ...loaded, container: { ...loaded.container, runtime: name } }
      pool = new SshPool(tour, { sshConfig: null })
      await labResetGame(name)
    })
    afterAll(async () => {
      await pool?.close()
      // Back to where `lab up` left it (every other lab test expects that).
      if (lab.available) await labResetGame()
    })

    it(`preflight checks ${name}, not runc; post-copy is refused for want of lazy pages`, async () => {
      const s = new PipelineSession({ tour, remote: (h) => pool.get(h), emit: () => {} })
      const rep = await s.preflight()
      for (const h of rep.hosts) {
        expect(h.checks.find((c) => c.id === 'runtime')).toMatchObject({ status: 'ok', detail: expect.stringMatching(new RegExp(`^${name} \\d`)) })
        // Podman restores onto the container's image: every host must hold it (the lab's shared store).
        if (rt.image) expect(h.checks.find((c) => c.id === 'image')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/image [0-9a-f]{12}/) })
      }
      expect(rep.modes.find((m) => m.mode === 'post-copy')).toMatchObject({ available: false, reason: expect.stringMatching(new RegExp(`${name} has no lazy pages`)) })
      expect(rep.modes.find((m) => m.mode === 'stop-and-copy')).toMatchObject({ available: true })
    })

    it('stop-and-copy there and pre-copy back: one server, the IP with it, the frags carried', async () => {
      const prober = new Prober({ address: tour.floatingIp.address, port: tour.container.gamePort, hz: 20, emit: () => {} })
      prober.start()
      const client: ClientObserver = { hopStarted: (id) => prober.setHop(id), hopEnded: () => prober.setHop(null), clientView: (id) => prober.clientView(id) }
      const s = new PipelineSession({ tour, remote: (h) => pool.get(h), emit: () => {}, client })
      try {
        let last = await scoredStatus(tour)
        expect(fragSum(last)).toBeGreaterThanOrEqual(3)
        const hops: [string, 'stop-and-copy' | 'pre-copy', string][] = [
          ['strasbourg', 'stop-and-copy', 'stop-and-copy'],
          ['stuttgart', 'pre-copy', 'pre-copy (rsync delta)'],
        ]
        const results: HopResult[] = []
        for (const [to, mode, technique] of hops) {
          const r = await s.hop({ to, mode })
          console.log(`[${name}] ${formatHop(r)}`)
          results.push(r)
          expect(r.error, r.rollback).toBeUndefined()
          expect(r).toMatchObject({ ok: true, technique, containerOn: to })
          expect(await whereIsEverything(pool, tour)).toEqual({ running: [to], ip: [to] })
          // The destination runs it under this runtime (runc never saw it).
          const st = await (await pool.get(to)).run(rt.state(tour.container.id), { log: false })
          expect(parseRuntimeState(st.stdout).state).toBe('running')
          // CRIU's figures, from stats-dump (crun) or `--print-stats` (podman).
          expect(r.criuDump?.frozenTimeUs).toBeGreaterThan(0)
          expect(r.criuRestore?.pagesRestored).toBeGreaterThan(1000)
          const now = await gameStatus(tour)
          expect(stateCarried(last, now), `frags before ${JSON.stringify(last.players)} after ${JSON.stringify(now.players)}`).toBe(true)
          last = now
        }
        expect(results.every((r) => (r.client?.downtimeMs ?? 0) > 0)).toBe(true)
        // Pre-copy's frozen transfer is a delta against the snapshot, on podman's archive as on
        // CRIU's image dir (the whole image compresses to ~10 MiB; the game's changes to ~100 KiB).
        const back = results[1]!
        expect(back.steps.find((x) => x.step === 'transfer')?.bytes).toBeLessThan((back.imageBytes ?? 0) / 20)
      } finally {
        await prober.stop()
      }
    })

    // Podman keeps its own checkpoint of the container after `--export`: the rollback restores that
    // in place before it would remove the container and import the hop's archive.
    const inPlaceWhy = rt.restoreHere ? '' : ` (skipped: ${name} keeps no checkpoint of its own once it dumped)`
    it.skipIf(!rt.restoreHere)(`a restore refused on the destination: the rollback restores the source from the runtime's own checkpoint${inPlaceWhy}`, async () => {
      const dst = await pool.get('strasbourg')
      // A stand-in ahead of the real binary on strasbourg's PATH refuses every import, nothing else.
      const wrapper = `/usr/local/bin/${name}`
      await dst.run(['sh', '-c', `printf '%s\\n' '#!/bin/sh' 'case " $* " in *" restore "*"--import"*) echo "refused by the test" >&2; exit 125;; esac' 'exec /usr/bin/${name} "$@"' >"$1" && chmod +x "$1"`, 'sh', wrapper])
      try {
        const before = await scoredStatus(tour)
        const s = new PipelineSession({ tour, remote: (h) => pool.get(h), emit: () => {} })
        const r = await s.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
        console.log(`[${name}] ${formatHop(r)}`)
        expect(r).toMatchObject({ ok: false, containerOn: 'stuttgart' })
        expect(r.error).toMatch(/refused by the test/)
        expect(r.rollback).toMatch(new RegExp(`restored the container on stuttgart from ${name}'s own checkpoint of it`))
        expect(await whereIsEverything(pool, tour)).toEqual({ running: ['stuttgart'], ip: ['stuttgart'] })
        const now = await gameStatus(tour)
        expect(stateCarried(before, now), `frags before ${JSON.stringify(before.players)} after ${JSON.stringify(now.players)}`).toBe(true)
      } finally {
        await dst.run(['rm', '-f', wrapper])
      }
    })
  })
})

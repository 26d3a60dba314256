// decodeCriuStats against files written by the lab's real CRIU (criu 4.2 via runc 1.3): a small
// throwaway container (not the game) is checkpointed and restored on a lab host. With
// GLOBEHOP_CAPTURE_FIXTURES=1 the two files are also saved as fixtures for the unit test.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { labForTests } from '../../../lab/testing'
import { connectRemote } from '../ssh/session'
import type { Remote } from '../ssh/types'
import { loadTour } from '../tour/load'
import { decodeCriuStats } from './stats'

const lab = labForTests()
const ID = 'globehop-stats-probe'

async function readRemote(r: Remote, file: string): Promise<Buffer> {
  return Buffer.from((await r.run(['base64', '-w0', file], { log: false })).stdout, 'base64')
}

describe.skipIf(!lab.available)(`CRIU stats from a real checkpoint/restore${lab.available ? '' : ` (skipped: ${lab.reason})`}`, { timeout: 120_000 }, () => {
  it('decodes stats-dump and stats-restore written by criu', async () => {
    const tour = await loadTour(lab.tourPath)
    // A host that does not run the game right now, to stay out of other tests' way.
    let remote: Remote | null = null
    for (const h of tour.hosts) {
      const r = await connectRemote(h, { sshConfig: null })
      // `runc list` exits 1 ("open /run/runc: no such file") on a host that never ran a container.
      const ids = (await r.run(['runc', 'list', '-q'], { allowFail: true })).stdout.split('\n')
      if (!ids.includes(tour.container.id)) {
        remote = r
        break
      }
      await r.close()
    }
    expect(remote, 'every lab host runs the game?').not.toBeNull()
    const r = remote!
    const dir = (await r.run(['mktemp', '-d', '-t', 'globehop-stats.XXXXXX'])).stdout.trim()
    try {
      await r.run(['runc', 'delete', '-f', ID], { allowFail: true })
      const bundle = `${dir}/bundle`
      await r.run(['mkdir', '-p', bundle, `${dir}/img`, `${dir}/work-dump`, `${dir}/work-restore`])
      // The game bundle's config, with its rootfs (read-only) and a process holding ~20 MB.
      const cfg = JSON.parse((await r.run(['cat', `${tour.container.bundle}/config.json`], { log: false })).stdout)
      cfg.root = { path: path.posix.resolve(tour.container.bundle, cfg.root.path), readonly: true }
      cfg.process.terminal = false
      cfg.process.args = ['/bin/sh', '-c', 'x=$(head -c 20000000 /dev/zero | tr "\\000" a); sleep 600'] // no exec: the shell must keep x
      cfg.linux.cgroupsPath = `${ID}-${r.host.name}`
      await r.run(['tee', `${bundle}/config.json`], { stdin: JSON.stringify(cfg), log: false })
      await r.run(['sh', '-c', 'exec runc run -d --bundle "$1" "$2" </dev/null >/dev/null 2>&1', 'sh', bundle, ID])
      await new Promise((res) => setTimeout(res, 1500)) // let it fill its 20 MB
      await r.run(['runc', 'checkpoint', '--image-path', `${dir}/img`, '--work-path', `${dir}/work-dump`, ID])
      await r.run(['sh', '-c', 'cd "$1" && exec runc restore -d --bundle "$1" --image-path "$2" --work-path "$3" "$4" </dev/null >/dev/null 2>&1', 'sh', bundle, `${dir}/img`, `${dir}/work-restore`, ID])
      const dumpBuf = await readRemote(r, `${dir}/work-dump/stats-dump`)
      const restoreBuf = await readRemote(r, `${dir}/work-restore/stats-restore`)

      const dump = decodeCriuStats(dumpBuf)
      const restore = decodeCriuStats(restoreBuf)
      console.log(`[criu stats] ${r.host.name}: dump ${JSON.stringify(dump)} restore ${JSON.stringify(restore)}`)
      expect(dump.frozenTimeUs).toBeGreaterThan(0)
      expect(dump.freezingTimeUs).toBeGreaterThan(0)
      expect(dump.memdumpTimeUs).toBeGreaterThan(0)
      // ~20 MB of 'a' is ~4900 pages of 4 KiB, all written in a full dump.
      expect(dump.pagesWritten).toBeGreaterThan(4800)
      expect(dump.pagesScanned).toBeGreaterThanOrEqual(dump.pagesWritten!)
      expect(dump.pagesSkippedParent).toBe(0)
      expect(restore.restoreTimeUs).toBeGreaterThan(0)
      expect(restore.forkingTimeUs).toBeGreaterThan(0)
      expect(restore.frozenTimeUs).toBeUndefined()

      if (process.env.GLOBEHOP_CAPTURE_FIXTURES === '1') {
        const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures')
        mkdirSync(fixtures, { recursive: true })
        writeFileSync(path.join(fixtures, 'stats-dump'), dumpBuf)
        writeFileSync(path.join(fixtures, 'stats-restore'), restoreBuf)
        const criu = (await r.run(['criu', '--version'])).stdout.trim().replace(/\n/g, ', ')
        const runc = (await r.run(['runc', '--version'])).stdout.split('\n')[0]
        writeFileSync(
          path.join(fixtures, 'README.md'),
          `Real CRIU statistics files, captured by stats.lab.test.ts (GLOBEHOP_CAPTURE_FIXTURES=1) on lab host ${r.host.name}:\n` +
            `${criu}; ${runc}. A container holding ~20 MB (sh with a 20 MB variable, then sleep) was\n` +
            '`runc checkpoint`ed and `runc restore`d; `stats-dump` and `stats-restore` are from the two work dirs.\n' +
            `Decoded: dump ${JSON.stringify(dump)}; restore ${JSON.stringify(restore)}\n`,
        )
      }
    } finally {
      await r.run(['runc', 'delete', '-f', ID], { allowFail: true })
      await r.run(['rm', '-rf', dir], { allowFail: true })
      await r.close()
    }
  })
})

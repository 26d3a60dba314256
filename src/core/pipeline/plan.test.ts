import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { planHop, withNullStdio, withStatusFifo, PAGE_SERVER_READY } from './plan'
import { testTour } from './testing/test-tour'
import type { Technique } from './modes'
import { HOST_SSH_OPTS, rsyncArgv } from '../transfer/rsync'
import { hostSshOpts } from '../ssh/peer-known-hosts'
import { freezeFirstArgv } from '../criu/freeze-first'
import { quoteArgv } from '../ssh/quote'
import { GATE_ARGV_AT } from '../transfer/tail-chain'
import { crcTablesArgv } from '../transfer/page-crcs'
import { crun } from './runtime/crun'
import { DETACH_CRIU_ROOT } from './runtime/runc'
import { podman } from './runtime/podman'
import type { Runtime } from './runtime/types'

const run = promisify(execFile)
const tour = testTour()
const H = '/var/lib/globehop/images/xonotic/h1'
const RSH = `ssh ${hostSshOpts().join(' ')} -p 22 -l root --`
const RSYNC = ['rsync', '--archive', '--ignore-times', '--delete', '--no-inc-recursive', '--stats', '--info=progress2', '--timeout=60']
const ZSTD = ['--compress', '--compress-choice=zstd', '--compress-level=1']

function plan(technique: Technique, compress = true, t = tour) {
  return planHop({ tour: t, hopId: 'h1', from: t.hosts[0]!, to: t.hosts[1]!, technique, compress })
}

describe('stop-and-copy', () => {
  const p = plan({ kind: 'stop-and-copy' })
  it('checkpoints into the hop dir with a separate work dir', () => {
    expect(p.checkpoint(0)).toEqual(['runc', 'checkpoint', '--image-path', `${H}/img`, '--work-path', `${H}/dump-work`, 'xonotic'])
  })
  it('pushes the image from the source to the destination address with zstd', () => {
    expect(p.transfer).toEqual([...RSYNC, ...ZSTD, '--rsh', RSH, '--', `${H}/img/`, `198.51.100.12:${H}/img/`])
  })
  it('zstd works harder on a slow measured link (fewer bytes is what shortens the copy there)', () => {
    const slow = planHop({ tour, hopId: 'h1', from: tour.hosts[0]!, to: tour.hosts[1]!, technique: { kind: 'stop-and-copy' }, compress: true, mbitPerSec: 9.6 })
    expect(slow.transfer).toContain('--compress-level=9')
    expect(slow.transfer).not.toContain('--compress-level=1')
  })
  it('restores detached in the bundle with /dev/null stdio', () => {
    expect(p.restore).toEqual([
      ...withNullStdio([], `${H}/restore.err`),
      'runc', 'restore', '--detach', '--bundle', '/srv/globehop/xonotic', '--image-path', `${H}/img`, '--work-path', `${H}/restore-work`, 'xonotic',
    ])
    expect(p.restoreStats).toBe(`${H}/restore-work/stats-restore`)
  })
  it('rolls back from the source own image, and cleans up without --force on the source', () => {
    expect(p.restoreOnSource.slice(-8)).toEqual(['restore', '--detach', '--bundle', '/srv/globehop/xonotic', '--image-path', `${H}/img`, '--work-path', `${H}/rollback-work`, 'xonotic'].slice(-8))
    expect(p.cleanup).toEqual({ deleteSourceContainer: ['sh', '-c', DETACH_CRIU_ROOT, 'sh', 'xonotic', 'runc', 'delete', 'xonotic'], removeSourceImages: ['rm', '-rf', '--', H], removeSnapshots: null, removeDestinationImages: ['rm', '-rf', '--', H], keepSourceLogs: null, keepDestinationLogs: null })
    expect(p.discardOnDestination).toEqual(['sh', '-c', DETACH_CRIU_ROOT, 'sh', 'xonotic', 'runc', 'delete', '--force', 'xonotic'])
    // runc keeps no checkpoint of its own: nothing to restore in place.
    expect(p.restoreHereOnSource).toBeNull()
  })
  it('without compression has no zstd flags', () => {
    expect(plan({ kind: 'stop-and-copy' }, false).transfer).toEqual([...RSYNC, '--rsh', RSH, '--', `${H}/img/`, `198.51.100.12:${H}/img/`])
  })
  it('takes no snapshots', () => {
    expect(() => p.snapshot(1)).toThrow(/no snapshots/)
  })
  it('streaming its image: the tail chain with no basis (every file whole), zstd at the rate-chosen level, the same gate', () => {
    expect(p.tailChain(0)).toBeNull()
    const s = planHop({ tour, hopId: 'h1', from: tour.hosts[0]!, to: tour.hosts[1]!, technique: { kind: 'stop-and-copy' }, compress: true, mbitPerSec: 9.6, streamImage: true })
    const c = s.tailChain(0)!.source
    expect(c.slice(4, 8)).toEqual([`${H}/tail.fifo`, `${H}/img`, `${H}/no-basis`, 'zstd9'])
    expect(c[9]).toContain('zstd -dqc | perl')
    expect(c[11]).toBe(`runc checkpoint --image-path ${H}/img --work-path ${H}/dump-work xonotic`)
    expect(s.tailChain(0)!.gate(4000).slice(GATE_ARGV_AT.restore)).toEqual(s.restore)
    // Without compression: no zstd anywhere.
    const raw = planHop({ tour, hopId: 'h1', from: tour.hosts[0]!, to: tour.hosts[1]!, technique: { kind: 'stop-and-copy' }, compress: false, streamImage: true }).tailChain(0)!.source
    expect(raw[7]).toBe('0')
    expect(raw[9]).not.toContain('zstd')
    // Shared storage has nothing to stream.
    const shared = testTour({ options: 'options: { sharedStorage: true }' })
    expect(planHop({ tour: shared, hopId: 'h1', from: shared.hosts[0]!, to: shared.hosts[1]!, technique: { kind: 'stop-and-copy' }, compress: true, streamImage: true }).tailChain(0)).toBeNull()
  })
})

describe('pre-copy with rsync tracking', () => {
  const p = plan({ kind: 'pre-copy', tracking: 'rsync' })
  it('snapshot 1: checkpoint --leave-running, whole copy into the final image dir', () => {
    const s = p.snapshot(1)
    expect(s.checkpoint).toEqual(['runc', 'checkpoint', '--image-path', `${H}/snap-1`, '--work-path', `${H}/snap-1-work`, '--leave-running', 'xonotic'])
    expect(s.transfer).toEqual([...RSYNC, ...ZSTD, '--rsh', RSH, '--', `${H}/snap-1/`, `198.51.100.12:${H}/img/`])
    expect(s.dropPrevious).toBeNull()
  })
  it('snapshot 2: delta against the basis, previous snapshot dropped after', () => {
    const s = p.snapshot(2)
    expect(s.transfer).toEqual([...RSYNC, '--no-whole-file', ...ZSTD, '--rsh', RSH, '--', `${H}/snap-2/`, `198.51.100.12:${H}/img/`])
    expect(s.dropPrevious).toEqual(['rm', '-rf', `${H}/snap-1`, `${H}/snap-1-work`, `${H}/snap-1.crc`])
    // Its page CRC tables once it was sent: the source's of the snapshot, the destination's of its copy.
    expect(s.crcTables).toEqual({ src: crcTablesArgv(`${H}/snap-2`), dst: crcTablesArgv(`${H}/img`) })
  })
  it('with perl on the source, each snapshot and the final dump freeze the game first (runc: CRIU freezes its cgroup)', () => {
    const ff = (runtime?: Runtime) => planHop({ tour, hopId: 'h1', from: tour.hosts[0]!, to: tour.hosts[1]!, technique: { kind: 'pre-copy', tracking: 'rsync' }, compress: true, freezeFirst: true, runtime })
    const inner = ['runc', 'checkpoint', '--image-path', `${H}/snap-2`, '--work-path', `${H}/snap-2-work`, '--leave-running', 'xonotic']
    // A snapshot's CRIU leaves the tmpfs mounts unarchived (criu/snapshot-mounts.ts); the final dump archives them.
    expect(ff().snapshot(2).checkpoint).toEqual(freezeFirstArgv({ checkpoint: inner, state: ['runc', 'state', 'xonotic'], log: `${H}/snap-2-work/dump.log`, img: `${H}/snap-2`, snapshotConf: `${H}/snap-2-work/criu-snapshot.conf` }))
    expect(ff().checkpoint(2)).toEqual(freezeFirstArgv({ checkpoint: p.checkpoint(2), state: ['runc', 'state', 'xonotic'], log: `${H}/dump-work/dump.log`, img: `${H}/img` }))
    // The tail chain dumps with the same command.
    expect(ff().tailChain(2)!.source).toContain(quoteArgv(ff().checkpoint(2)))
    // Without perl nothing is wrapped.
    expect(p.checkpoint(2)[0]).toBe('runc')
    // A runtime that does not declare CRIU's cgroup freezer and its log runs the checkpoint as it is.
    expect(ff(crun).snapshot(1).checkpoint[0]).toBe('crun')
    expect(ff(podman).snapshot(1).checkpoint[0]).toBe('sh')
  })
  it('snapshots in RAM: under the container and hop below the root, the final image beside them, linked from the hop dir; an earlier hop left there goes at prepare, this hop\'s with the images, the snapshots after a rollback', () => {
    const ram = planHop({ tour, hopId: 'h1', from: tour.hosts[0]!, to: tour.hosts[1]!, technique: { kind: 'pre-copy', tracking: 'rsync' }, compress: true, snapshotRoot: '/dev/shm/globehop' })
    const S = '/dev/shm/globehop/xonotic/h1'
    expect(ram.snapshot(2).checkpoint).toEqual(['runc', 'checkpoint', '--image-path', `${S}/snap-2`, '--work-path', `${S}/snap-2-work`, '--leave-running', 'xonotic'])
    expect(ram.snapshot(2).transfer!.slice(-2)).toEqual([`${S}/snap-2/`, `198.51.100.12:${H}/img/`])
    expect(ram.snapshot(2).dropPrevious).toEqual(['rm', '-rf', `${S}/snap-1`, `${S}/snap-1-work`, `${S}/snap-1.crc`])
    expect(ram.snapshot(2).crcTables!.src).toEqual(crcTablesArgv(`${S}/snap-2`))
    expect(ram.checkpoint(2)).toEqual(p.checkpoint(2))
    expect(ram.finalDelta(2)).toContain(`${S}/snap-2`)
    expect(ram.prepare.src.slice(4)).toEqual([H, 'pre-copy', '/dev/shm/globehop/xonotic', S, `${S}.final`])
    expect(ram.prepare.src[2]).toMatch(/rm -rf "\$3" && mkdir -p "\$4" "\$5\/img" "\$5\/dump-work" && ln -s "\$5\/img" "\$1\/img" && ln -s "\$5\/dump-work" "\$1\/dump-work"$/)
    // The runtime, the delta, a rollback and `recover` still name the hop dir's image.
    expect(ram.finalDelta(2)).toContain(`${H}/img`)
    expect(ram.restoreOnSource).toContain(`${H}/img`)
    expect(ram.cleanup.removeSourceImages).toEqual(['rm', '-rf', '--', H, S, `${S}.final`])
    expect(ram.cleanup.removeSnapshots).toEqual(['rm', '-rf', '--', S])
    expect(ram.cleanup.removeDestinationImages).toEqual(['rm', '-rf', '--', H])
  })
  it('snapshots in RAM, run by sh: what the runtime writes into the hop dir\'s image lands beside the snapshots, du counts it through the link, the cleanup leaves nothing', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'gh-final-'))
    const t = testTour({ options: `options: { imageDir: ${root}/disk }` })
    const ram = planHop({ tour: t, hopId: 'h1', from: t.hosts[0]!, to: t.hosts[1]!, technique: { kind: 'pre-copy', tracking: 'rsync' }, compress: true, snapshotRoot: `${root}/shm` })
    // An earlier hop's leftovers in RAM go at prepare.
    await run('mkdir', ['-p', `${root}/shm/xonotic/h0.final/img`])
    const [cmd, ...args] = ram.prepare.src
    await run(cmd!, args)
    await run('sh', ['-c', 'head -c 5000 /dev/zero > "$1/pages-1.img"; echo x > "$2/dump.log"', 'sh', ram.paths.img, ram.paths.dumpWork])
    expect((await run('ls', [`${root}/shm/xonotic`])).stdout.split('\n').filter(Boolean)).toEqual(['h1', 'h1.final'])
    expect((await run('ls', [`${root}/shm/xonotic/h1.final/img`])).stdout.trim()).toBe('pages-1.img')
    expect((await run('ls', [`${root}/shm/xonotic/h1.final/dump-work`])).stdout.trim()).toBe('dump.log')
    expect(Number((await run('du', ['-sb', `${ram.paths.img}/`])).stdout.split(/\s/)[0])).toBeGreaterThanOrEqual(5000)
    const [rm, ...rmArgs] = ram.cleanup.removeSourceImages
    await run(rm!, rmArgs)
    expect((await run('ls', [`${root}/shm/xonotic`, `${root}/disk/xonotic`])).stdout.replace(/\S+:|\s/g, '')).toBe('')
    rmSync(root, { recursive: true, force: true })
  })
  it('options.keepLogs, run by sh: the dump\'s logs and figures go aside through the link to RAM, with their times, and no image', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'gh-logs-'))
    expect(p.cleanup.keepSourceLogs).toBeNull()
    const t = testTour({ options: `options: { imageDir: ${root}/disk, keepLogs: true }` })
    const ram = planHop({ tour: t, hopId: 'h1', from: t.hosts[0]!, to: t.hosts[1]!, technique: { kind: 'pre-copy', tracking: 'rsync' }, compress: true, snapshotRoot: `${root}/shm` })
    const [cmd, ...args] = ram.prepare.src
    await run(cmd!, args)
    await run('sh', ['-c', 'echo "(00.1) done" > "$1/dump.log" && touch -d @1000000000 "$1/dump.log" && head -c 9000000 /dev/zero > "$1/big"', 'sh', ram.paths.dumpWork])
    const [k, ...kArgs] = ram.cleanup.keepSourceLogs!
    await run(k!, kArgs)
    const kept = `${root}/disk/xonotic.logs/h1`
    // Not among the hop dirs, which `recover` surveys one by one.
    expect(path.dirname(kept)).not.toBe(path.dirname(ram.paths.hopDir))
    expect((await run('ls', [kept])).stdout.trim()).toBe('dump.log')
    expect((await run('stat', ['-c', '%Y', `${kept}/dump.log`])).stdout.trim()).toBe('1000000000')
    expect(ram.cleanup.keepDestinationLogs!.slice(-2)).toEqual([`${root}/disk/xonotic/h1/restore-work`, kept])
    rmSync(root, { recursive: true, force: true })
  })
  it('final checkpoint is a plain dump, sent as a delta', () => {
    expect(p.checkpoint(2)).toEqual(['runc', 'checkpoint', '--image-path', `${H}/img`, '--work-path', `${H}/dump-work`, 'xonotic'])
    expect(p.transfer).toEqual([...RSYNC, '--no-whole-file', ...ZSTD, '--rsh', RSH, '--', `${H}/img/`, `198.51.100.12:${H}/img/`])
  })
  it('the final delta: pages changed since the last snapshot, one way over the host-to-host ssh', () => {
    const d = p.finalDelta(2)!
    expect(d.slice(0, 2)).toEqual(['sh', '-c'])
    // img, basis (the last snapshot sent), gzip's level (6: the link was not measured fast), the
    // scripts, then the ssh argv ending at the destination.
    expect(d.slice(4, 7)).toEqual([`${H}/img`, `${H}/snap-2`, '6'])
    expect(d.slice(11)).toEqual(['ssh', ...HOST_SSH_OPTS, '-p', '22', '-l', 'root', '--', '198.51.100.12'])
    expect(p.finalDelta(0)).toBeNull()
    expect(plan({ kind: 'stop-and-copy' }).finalDelta(1)).toBeNull()
    expect(plan({ kind: 'pre-copy', tracking: 'criu' }).finalDelta(2)).toBeNull()
  })
  it('the one-command tail: the final dump, then the delta, one way; the restore waits in a gate on the destination', () => {
    const c = p.tailChain(2)!.source
    expect(c.slice(0, 2)).toEqual(['sh', '-c'])
    expect(c.slice(4, 8)).toEqual([`${H}/tail.fifo`, `${H}/img`, `${H}/snap-2`, '6'])
    // The checkpoint as one quoted word, then the ssh argv ending at the destination.
    expect(c[11]).toBe(`runc checkpoint --image-path ${H}/img --work-path ${H}/dump-work xonotic`)
    // runc's CRIU log (the pages go out on its last line), the compressor, the files runc writes
    // before CRIU starts (a whole image sends them first), then the ssh argv.
    expect(c[12]).toBe(`${H}/dump-work/dump.log`)
    expect(c[14]).toBe('descriptors.json')
    expect(c.slice(15)).toEqual(['ssh', ...HOST_SSH_OPTS, '-p', '22', '-l', 'root', '--', '198.51.100.12'])
    // The gate: the marker it waits for (and how long), the restore claim, runc's CRIU held in a
    // shim until the go-ahead (runc runs \`criu\` from PATH), then the restore itself.
    const g = p.tailChain(2)!.gate(4000)
    expect(g.slice(GATE_ARGV_AT.marker, GATE_ARGV_AT.marker + 8)).toEqual([`${H}/tail.verified`, '4000', `${H}/restore.claim`, `${H}/restore.done`, `${H}/criu-hold`, `${H}/restore.go`, `${H}/restore.held`, `${H}/img`])
    expect(g.slice(GATE_ARGV_AT.restore)).toEqual(p.restore)
    // A runtime that does not say its restore runs \`criu\` from PATH restores after the go line only.
    const viaCrun = planHop({ tour, hopId: 'h1', from: tour.hosts[0]!, to: tour.hosts[1]!, technique: { kind: 'pre-copy', tracking: 'rsync' }, compress: true, runtime: crun }).tailChain(2)!.gate(4000)
    expect(viaCrun.slice(GATE_ARGV_AT.marker + 4, GATE_ARGV_AT.marker + 8)).toEqual(['', '', '', ''])
    expect(p.tailChain(0)).toBeNull()
    expect(plan({ kind: 'stop-and-copy' }).tailChain(1)).toBeNull()
    expect(p.fenceDestination(2000).slice(-6)).toEqual([H, `${H}/restore.claim`, `${H}/restore.done`, `${H}/restore.held`, `${H}/restore.go`, '20'])
    const fast = planHop({ tour, hopId: 'h1', from: tour.hosts[0]!, to: tour.hosts[1]!, technique: { kind: 'pre-copy', tracking: 'rsync' }, compress: true, mbitPerSec: 900 })
    expect(fast.tailChain(2)!.source[7]).toBe('1')
  })
  it("without the delta's tools on a host the final transfer is rsync's delta against the same basis", () => {
    const q = planHop({ tour, hopId: 'h1', from: tour.hosts[0]!, to: tour.hosts[1]!, technique: { kind: 'pre-copy', tracking: 'rsync' }, compress: true, oneWayDelta: false })
    expect(q.finalDelta(2)).toBeNull()
    // No one-way delta to spare a pass: no page CRC tables either.
    expect(q.snapshot(1).crcTables).toBeNull()
    expect(q.transfer).toEqual([...RSYNC, '--no-whole-file', ...ZSTD, '--rsh', RSH, '--', `${H}/img/`, `198.51.100.12:${H}/img/`])
  })
})

describe('pre-copy with CRIU tracking', () => {
  const p = plan({ kind: 'pre-copy', tracking: 'criu' })
  it('pre-dumps chain with relative parent paths', () => {
    expect(p.snapshot(1).checkpoint).toEqual(['runc', 'checkpoint', '--image-path', `${H}/pre-1`, '--work-path', `${H}/pre-1-work`, '--pre-dump', 'xonotic'])
    expect(p.snapshot(2).checkpoint).toEqual(['runc', 'checkpoint', '--image-path', `${H}/pre-2`, '--work-path', `${H}/pre-2-work`, '--pre-dump', '--parent-path', '../pre-1', 'xonotic'])
    expect(p.snapshot(2).transfer).toEqual([...RSYNC, ...ZSTD, '--rsh', RSH, '--', `${H}/pre-2/`, `198.51.100.12:${H}/pre-2/`])
    expect(p.snapshot(2).dropPrevious).toBeNull()
    expect(p.snapshot(2).crcTables).toBeNull()
  })
  it('final dump names the last pre-dump as parent', () => {
    expect(p.checkpoint(3)).toEqual(['runc', 'checkpoint', '--image-path', `${H}/img`, '--work-path', `${H}/dump-work`, '--parent-path', '../pre-3', 'xonotic'])
  })
})

describe('post-copy', () => {
  const p = plan({ kind: 'post-copy' })
  it('lazy dump with page server on the source address and status fd 3 behind a FIFO', () => {
    const argv = p.lazyCheckpoint(0)
    expect(argv.slice(0, 2)).toEqual(['sh', '-c'])
    expect(argv.slice(3)).toEqual([
      'sh', `${H}/status.fifo`,
      'runc', 'checkpoint', '--image-path', `${H}/img`, '--work-path', `${H}/dump-work`, '--lazy-pages', '--page-server', '198.51.100.11:27027', '--status-fd', '3', 'xonotic',
    ])
  })
  it('destination lazy-pages daemon, then restore --lazy-pages without a work path', () => {
    expect(p.lazyDaemon).toEqual(['criu', 'lazy-pages', '--page-server', '--address', '198.51.100.11', '--port', '27027', '--images-dir', `${H}/img`, '--log-file', 'lazy-pages.log', '-v4'])
    expect(p.restore.slice(-9)).toEqual(['runc', 'restore', '--detach', '--bundle', '/srv/globehop/xonotic', '--image-path', `${H}/img`, '--lazy-pages', 'xonotic'])
    expect(p.restore).not.toContain('--work-path')
    expect(p.restoreStats).toBe(`${H}/img/stats-restore`)
  })
  it('pre+post chains the lazy dump to the last pre-dump', () => {
    const q = plan({ kind: 'pre+post', tracking: 'criu' })
    expect(q.lazyCheckpoint(2)).toContain('../pre-2')
  })
})

describe('shared storage and addresses', () => {
  it('shared storage copies nothing', () => {
    const t = testTour({ options: 'options: { sharedStorage: true }' })
    const p = plan({ kind: 'pre-copy', tracking: 'criu' }, true, t)
    expect(p.transfer).toBeNull()
    expect(p.snapshot(1).transfer).toBeNull()
  })
  it('refuses an address rsync would split or a shell would read', () => {
    const target = { address: '198.51.100.12; rm -rf /', port: 22, user: 'root' }
    expect(() => rsyncArgv({ from: '/a', to: '/b', target, compress: false })).toThrow(/unsafe address/)
    expect(() => rsyncArgv({ from: '/a', to: '/b', target: { ...target, address: 'h', user: 'a b' }, compress: false })).toThrow(/unsafe user/)
  })
})

describe('shell wrappers (run for real in sh)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gh-plan-'))
  it('withStatusFifo prints the ready line when fd 3 gets its byte and keeps the exit code', async () => {
    const fifo = path.join(dir, 's.fifo')
    const argv = withStatusFifo(['sh', '-c', 'printf "\\000" >&3; exec 3>&-; sleep 0.2; echo served; exit 7'], fifo)
    const r = await run(argv[0]!, argv.slice(1)).catch((e: { code: number; stdout: string }) => e)
    expect((r as { code?: number }).code).toBe(7)
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([PAGE_SERVER_READY, 'served'])
  })
  it('withStatusFifo says nothing when the dump fails before the page server is up', async () => {
    const argv = withStatusFifo(['sh', '-c', 'echo boom >&2; exit 1'], path.join(dir, 't.fifo'))
    const r = await run(argv[0]!, argv.slice(1)).catch((e: { code: number; stdout: string; stderr: string }) => e)
    expect((r as { code?: number }).code).toBe(1)
    expect(r.stdout).not.toContain(PAGE_SERVER_READY)
    expect(r.stderr).toContain('boom')
  })
  it('the status fd is write-only (CRIU rejects O_RDWR)', async () => {
    const argv = withStatusFifo(['sh', '-c', 'readlink /proc/self/fd/3; cat /proc/self/fdinfo/3 | grep flags; printf "\\000" >&3'], path.join(dir, 'u.fifo'))
    const r = await run(argv[0]!, argv.slice(1))
    const flags = /flags:\s*(\d+)/.exec(r.stdout)![1]!
    expect(parseInt(flags, 8) & 3).toBe(1) // O_WRONLY
  })
  it('withNullStdio gives the command /dev/null and prints its stderr only on failure', async () => {
    const ok = withNullStdio(['sh', '-c', 'readlink /proc/self/fd/0 /proc/self/fd/1 >&2; echo fine >&2'], path.join(dir, 'e1'))
    const r1 = await run(ok[0]!, ok.slice(1))
    expect(r1.stderr).toBe('')
    const bad = withNullStdio(['sh', '-c', 'echo out; t=$(readlink /proc/$$/fd/1); echo "$t" >&2; echo "restore failed" >&2; exit 3'], path.join(dir, 'e2'))
    const r2 = await run(bad[0]!, bad.slice(1)).catch((e: { code: number; stdout: string; stderr: string }) => e)
    expect((r2 as { code?: number }).code).toBe(3)
    expect(r2.stdout).toBe('')
    expect(r2.stderr).toBe('/dev/null\nrestore failed\n')
  })
})

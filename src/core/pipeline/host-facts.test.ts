import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { readdirSync, readFileSync } from 'node:fs'
import { configDigests, criuWords, deltaToolsArgv, deltaToolsCapability, featureCapability, freePageReportingArgv, hugePageMode, parseFreePageReporting, parseShm, shmArgv } from './host-facts'
import { parseLinkProbe, PROBE_BYTES } from './link'
import { parseRuntimeState } from './remote-files'

describe('preflight parsing', () => {
  it("transparent huge pages: the kernel's bracketed mode", () => {
    expect(hugePageMode('always [madvise] never\n')).toBe('madvise')
    expect(hugePageMode('[always] madvise never\n')).toBe('always')
    expect(hugePageMode('')).toBeNull()
  })

  it("the delta's tools and zstd(1), asked of a real sh: zstd missing only takes the streamed stop-and-copy away", async () => {
    const a = deltaToolsArgv()
    const r = await promisify(execFile)(a[0]!, a.slice(1), { env: { PATH: '/usr/bin:/bin' } })
    // This machine has all four (.ci/run installs zstd).
    expect(deltaToolsCapability({ code: 0, stdout: r.stdout, stderr: '', ms: 1 })).toEqual({ ok: true, detail: 'perl, gzip, cksum', missing: [], zstd: true })
    expect(deltaToolsCapability({ code: 0, stdout: 'zstd\n', stderr: '', ms: 1 })).toEqual({ ok: true, detail: 'perl, gzip, cksum', missing: [], zstd: false })
    expect(deltaToolsCapability({ code: 0, stdout: 'perl\nzstd\n', stderr: '', ms: 1 })).toMatchObject({ ok: false, missing: ['perl'], zstd: false })
  })

  it('/dev/shm and the memory left, asked of a real sh (a tmpfs on this machine as on any glibc Linux)', async () => {
    const a = shmArgv()
    const r = await promisify(execFile)(a[0]!, a.slice(1))
    const f = parseShm({ code: 0, stdout: r.stdout, stderr: '', ms: 1 })
    expect(f?.tmpfs).toBe(true)
    expect(f?.availBytes).toBeGreaterThan(0)
    expect(f?.memAvailBytes).toBeGreaterThan(2 ** 20)
    expect(parseShm({ code: 0, stdout: 'ext2/ext3 1000 2000\n', stderr: '', ms: 1 })).toEqual({ tmpfs: false, availBytes: 1000, memAvailBytes: 2048000 })
    expect(parseShm({ code: 0, stdout: '- \n', stderr: '', ms: 1 })).toEqual({ tmpfs: false, availBytes: null, memAvailBytes: null })
    expect(parseShm({ code: 127, stdout: '', stderr: 'sh: not found', ms: 1 })).toBeNull()
  })

  it("free page reporting, asked of a real sh: what this machine's virtio balloon says (feature bit 5)", async () => {
    const a = freePageReportingArgv()
    const r = await promisify(execFile)(a[0]!, a.slice(1))
    // The same question read here in Node: any virtio device 5 (a balloon) with bit 5 set.
    const dir = '/sys/bus/virtio/devices'
    let expected = false
    try {
      for (const d of readdirSync(dir)) {
        const read = (f: string) => readFileSync(`${dir}/${d}/${f}`, 'utf8').trim()
        if (read('device') === '0x0005' && read('features')[5] === '1') expected = true
      }
    } catch {
      // No virtio bus: no balloon.
    }
    expect(parseFreePageReporting({ code: 0, stdout: r.stdout, stderr: '', ms: 1 })).toBe(expected)
    expect(parseFreePageReporting({ code: 0, stdout: '0\n1\n', stderr: '', ms: 1 })).toBe(true)
    expect(parseFreePageReporting({ code: 0, stdout: '0\n', stderr: '', ms: 1 })).toBe(false)
    expect(parseFreePageReporting({ code: 0, stdout: '', stderr: '', ms: 1 })).toBe(false)
    expect(parseFreePageReporting({ code: 126, stdout: '', stderr: 'sh: not found', ms: 1 })).toBeNull()
  })

  it("CRIU's words without its log prefix", () => {
    expect(criuWords('Warn  (criu/cr-check.c:824): Dirty tracking is OFF. Memory snapshot will not work.')).toBe('Dirty tracking is OFF. Memory snapshot will not work.')
    expect(featureCapability({ code: 1, stdout: '', stderr: 'Warn  (criu/cr-check.c:824): Dirty tracking is OFF. Memory snapshot will not work.\n', ms: 1 }, 'mem_dirty_track')).toEqual({
      ok: false,
      detail: 'Dirty tracking is OFF. Memory snapshot will not work.',
    })
  })
  it('config.json digests: one exact, one blind to linux.cgroupsPath only', () => {
    const a = configDigests(JSON.stringify({ root: { path: 'rootfs' }, linux: { cgroupsPath: 'a/x' } }))
    const b = configDigests(JSON.stringify({ root: { path: 'rootfs' }, linux: { cgroupsPath: 'b/x' } }))
    const c = configDigests(JSON.stringify({ root: { path: 'rootfs2' }, linux: { cgroupsPath: 'a/x' } }))
    expect(a.sha).not.toBe(b.sha)
    expect(a.shaNoCgroup).toBe(b.shaNoCgroup)
    expect(a.shaNoCgroup).not.toBe(c.shaNoCgroup)
    expect(a.rootPath).toBe('rootfs')
  })
  it('runc state JSON', () => {
    expect(parseRuntimeState('{"ociVersion":"1.2.1","id":"xonotic","pid":431,"status":"running"}')).toEqual({ state: 'running', pid: 431 })
    expect(parseRuntimeState('{"status":"stopped","pid":0}')).toEqual({ state: 'stopped', pid: null })
    expect(parseRuntimeState('garbage')).toEqual({ state: 'unknown', pid: null })
  })
  it('link probe: RTT from ping, throughput from the data run minus an empty session', () => {
    const out = 'rtt min/avg/max/mdev = 98.110/99.702/101.2/1.3 ms\nxfer 1050000 211000\n'
    const l = parseLinkProbe(out)
    expect(l.rttMs).toBeCloseTo(99.702)
    expect(l.mbitPerSec).toBeCloseTo((PROBE_BYTES * 8) / 839000, 5)
    expect(parseLinkProbe('ssh: connect to host x port 22: No route to host')).toEqual({ rttMs: null, mbitPerSec: null })
  })
})

describe('failure words', () => {
  it("runc's error message out of its log line", async () => {
    const { runtimeWords, commandFailure } = await import('./hop-context')
    const { RemoteCommandError } = await import('../ssh/types')
    const line = 'time="2026-11-21T23:07:03Z" level=error msg="JSON specification file config.json not found"\n'
    expect(runtimeWords(line)).toBe('JSON specification file config.json not found')
    expect(runtimeWords('criu failed: type NOTIFY errno 0\nlog file: /x/restore.log\n')).toBe('criu failed: type NOTIFY errno 0 | log file: /x/restore.log')
    expect(commandFailure('runc restore', new RemoteCommandError('strasbourg', 'sh -c ...', 1, line)).message).toBe(
      'runc restore on strasbourg exited 1: JSON specification file config.json not found',
    )
  })
})

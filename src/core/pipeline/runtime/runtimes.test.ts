import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { RUNTIME_NAMES } from '../../../shared/tour'
import { crun } from './crun'
import { decodePodmanStats, podman, PODMAN_ARCHIVE } from './podman'
import { ALL_RUNTIMES, runtimeNamed } from './registry'
import { DETACH_CRIU_ROOT, runc } from './runc'

// `crun --version` of Debian 12's crun (built without CRIU) and of a crun built with it.
const CRUN_NO_CRIU = 'crun version 1.8.1\ncommit: f8a096be060b22ccd3d5f3ebe44108517fbf6c30\nrundir: /run/crun\nspec: 1.0.0\n+SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +YAJL\n'
const CRUN_CRIU = 'crun version 1.28\ncommit: 1.28\nrundir: /run/crun\nspec: 1.0.0\n+SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +CRIU +YAJL\n'

describe('runtimes', () => {
  it('every name the tour schema allows has its runtime, under that name', () => {
    expect(ALL_RUNTIMES.map((r) => r.name)).toEqual([...RUNTIME_NAMES])
    for (const n of RUNTIME_NAMES) expect(runtimeNamed(n).name).toBe(n)
  })

  it('crun: a build without +CRIU cannot checkpoint, and says so; one with it can', () => {
    expect(crun.parseVersion(CRUN_NO_CRIU)).toBe('1.8.1')
    expect(crun.cannotCheckpoint(CRUN_NO_CRIU)).toMatch(/built without CRIU/)
    expect(crun.cannotCheckpoint(CRUN_CRIU)).toBeNull()
    expect(crun.parseVersion('runc version 1.3.6')).toBeNull()
  })

  it('the same checkpoint asks the same of runc and crun; only runc does lazy pages', () => {
    const a = { id: 'xonotic', imagePath: '/var/lib/globehop/h/img', workPath: '/var/lib/globehop/h/work', leaveRunning: true, parentPath: '../snap-1' }
    expect(runc.checkpoint(a)).toEqual(['runc', 'checkpoint', '--image-path', a.imagePath, '--work-path', a.workPath, '--leave-running', '--parent-path', '../snap-1', 'xonotic'])
    expect(crun.checkpoint(a)).toEqual(['crun', ...runc.checkpoint(a).slice(1)])
    expect(runc.capabilities.lazyPages).toBe(true)
    expect(crun.capabilities.lazyPages).toBe(false)
    expect(() => crun.checkpoint({ ...a, lazy: { pageServer: '198.51.100.11:27027', statusFd: 3 } })).toThrow(/lazy pages/)
    expect(runc.resume('xonotic')).toEqual(['runc', 'resume', 'xonotic'])
    expect(crun.restore({ id: 'x', bundle: '/b', imagePath: '/i' })).toEqual(['crun', 'restore', '--detach', '--bundle', '/b', '--image-path', '/i', 'x'])
  })

  it('runc deletes through a wrapper that detaches a killed restore\'s criu-root first; with none mounted it only runs the delete', () => {
    const wrap = (argv: string[]) => ['sh', '-c', DETACH_CRIU_ROOT, 'sh', 'xonotic', ...argv]
    expect(runc.delete('xonotic')).toEqual(wrap(['runc', 'delete', 'xonotic']))
    expect(runc.forceDelete('xonotic')).toEqual(wrap(['runc', 'delete', '--force', 'xonotic']))
    // With the delete swapped for printf/false: no such mount here, so the command runs as given,
    // its output and exit code passed through. (The mounted case runs against real runc: criu-root.lab.test.ts.)
    const [sh, ...args] = [...runc.forceDelete('globehop-none').slice(0, 5), 'printf', '%s|', 'a b', 'c']
    const r = spawnSync(sh!, args, { encoding: 'utf8' })
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'a b|c|', ''])
    const f = spawnSync('sh', [...runc.delete('globehop-none').slice(1, 5), 'false'], { encoding: 'utf8' })
    expect(f.status).toBe(1)
  })
})

describe('podman', () => {
  const temps: string[] = []
  const temp = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'globehop-podman-'))
    temps.push(d)
    return d
  }
  afterAll(() => {
    for (const d of temps) rmSync(d, { recursive: true, force: true })
  })
  const fixture = (n: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', n))

  it('decodes --print-stats into CRIU figures, and says when the checkpoint failed', () => {
    expect(decodePodmanStats(fixture('podman-checkpoint-stats.json'))).toEqual({
      freezingTimeUs: 104306, frozenTimeUs: 150510, memdumpTimeUs: 29099, memwriteTimeUs: 21106, pagesScanned: 20523, pagesWritten: 20318,
    })
    expect(decodePodmanStats(fixture('podman-restore-stats.json'))).toEqual({ forkingTimeUs: 5, restoreTimeUs: 138592, pagesRestored: 17 })
    expect(() => decodePodmanStats(fixture('podman-checkpoint-failed.json'))).toThrow(/checkpoint or restore failed/)
    expect(() => decodePodmanStats(Buffer.from('level=warning msg="cgroups v1"'))).toThrow()
  })

  it('asks for an uncompressed archive (rsync and the page delta work on it), no bundle, no lazy pages or pre-dump chain', () => {
    const a = { id: 'xonotic', imagePath: '/h/img', workPath: '/h/work', leaveRunning: true }
    const argv = podman.checkpoint(a)
    expect(argv.slice(0, 2)).toEqual(['sh', '-c'])
    expect(argv[2]).toContain('podman container checkpoint --export "$img/checkpoint.tar.part" --compress none --print-stats "$@"')
    expect(argv.slice(3)).toEqual(['sh', '/h/img', '/h/work', '--leave-running', 'xonotic'])
    expect(podman.restore({ id: 'xonotic', bundle: '/unused', imagePath: '/h/img', workPath: '/h/rw' }).slice(3)).toEqual(['sh', '/h/img', '/h/rw'])
    expect(() => podman.checkpoint({ ...a, lazy: { pageServer: 'x:1', statusFd: 3 } })).toThrow(/lazy pages/)
    // The rollback's first try: podman's own checkpoint of the stopped container, in place.
    expect(podman.restoreHere?.('xonotic')).toEqual(['podman', 'container', 'restore', 'xonotic'])
    expect(() => podman.checkpoint({ ...a, preDump: true })).toThrow(/pre-checkpoint/)
    expect(podman.capabilities).toEqual({ leaveRunning: true, preDump: false, lazyPages: false })
    expect(podman.parseVersion('podman version 5.8.6\n')).toBe('5.8.6')
    expect(podman.parseVersion(CRUN_CRIU)).toBeNull()
  })

  // The scripts run in a real shell against a stand-in `podman` (the lab test runs the real one).
  const runScript = (argv: string[], fakePodman: string) => {
    const bin = temp()
    writeFileSync(path.join(bin, 'podman'), `#!/bin/sh\n${fakePodman}\n`, { mode: 0o755 })
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, FIXTURE: path.join(import.meta.dirname, 'fixtures', 'podman-checkpoint-stats.json') }
    const r = spawnSync(argv[0]!, argv.slice(1), { env, encoding: 'utf8' })
    return { code: r.status }
  }

  it('the archive and the figures appear under their names only once podman succeeded', () => {
    // `podman container checkpoint --export FILE`: writes FILE ($4) and prints the figures.
    const ok = 'printf archive >"$4"; cat "$FIXTURE"'
    const dir = temp()
    const img = path.join(dir, 'img')
    const work = path.join(dir, 'work')
    expect(runScript(podman.checkpoint({ id: 'x', imagePath: img, workPath: work }), ok).code).toBe(0)
    expect(readFileSync(path.join(img, PODMAN_ARCHIVE), 'utf8')).toBe('archive')
    expect(decodePodmanStats(readFileSync(path.join(work, podman.stats.dump))).frozenTimeUs).toBe(150510)

    const dir2 = temp()
    const half = 'printf half >"$4"; exit 125'
    expect(runScript(podman.checkpoint({ id: 'x', imagePath: path.join(dir2, 'img'), workPath: path.join(dir2, 'work') }), half).code).toBe(125)
    expect(existsSync(path.join(dir2, 'img', PODMAN_ARCHIVE))).toBe(false)
    expect(existsSync(path.join(dir2, 'work', podman.stats.dump))).toBe(false)

    const rw = path.join(dir, 'restore-work')
    expect(runScript(podman.restore({ id: 'x', bundle: '', imagePath: img, workPath: rw }), 'test -f "$4" && cat "$FIXTURE"').code).toBe(0)
    expect(existsSync(path.join(rw, podman.stats.restore))).toBe(true)
  })
})

import { describe, expect, it } from 'vitest'
import { RUNTIME_NAMES } from '../../../shared/tour'
import { crun } from './crun'
import { ALL_RUNTIMES, runtimeNamed } from './registry'
import { runc } from './runc'

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
})

import { describe, expect, it } from 'vitest'
import type { HopState } from './hop-context'
import type { OpenHop } from './journal'
import { parseImageList } from './recover'
import { planRecovery, type HostSurvey, type ImageOnHost, type RecoveryAction } from './recover-plan'

const BASE = '/var/lib/globehop/images/xonotic'
const HOP = `${BASE}/3-stuttgart-strasbourg-m1`

function host(name: string, s: Partial<HostSurvey> = {}): HostSurvey {
  return { host: name, reachable: true, container: 'absent', holdsIp: false, trackOwner: false, images: [], ...s }
}
const down = (name: string, error = 'connect ETIMEDOUT') => host(name, { reachable: false, error, container: 'unknown', trackOwner: null })

function image(s: Partial<ImageOnHost> = {}): ImageOnHost {
  const hopDir = s.hopDir ?? HOP
  return { hopDir, img: `${hopDir}/img`, technique: 'stop-and-copy', inventory: true, dumpedHere: true, mtimeS: 1_700_000_000, ...s }
}

function open(reached: (keyof HopState)[], o: Partial<OpenHop> = {}): OpenHop {
  return { hopId: '3-stuttgart-strasbourg-m1', from: 'stuttgart', to: 'strasbourg', technique: 'stop-and-copy', lazy: false, hopDir: HOP, img: `${HOP}/img`, startedAt: 1, reached, ...o }
}

const kinds = (a: RecoveryAction[]) => a.map((x) => `${x.kind} ${x.host}`)

describe('planRecovery: something runs', () => {
  it('one running copy: the IP goes to it and the game is checked; nothing is stopped', () => {
    const p = planRecovery([host('stuttgart', { container: 'stopped' }), host('strasbourg', { container: 'running', trackOwner: false }), host('montreal')], null)
    expect(p.keep).toBe('strasbourg')
    expect(kinds(p.actions)).toEqual(['ip-owner strasbourg', 'verify strasbourg'])
    expect(p.blocked).toBeUndefined()
    expect(p.findings[0]).toBe('journal: no unfinished hop')
    expect(p.findings).toContain('strasbourg: container running')
  })

  it('two running copies: the IP holder is kept, the other is stopped', () => {
    const p = planRecovery([host('stuttgart', { container: 'running' }), host('strasbourg', { container: 'running', holdsIp: true, trackOwner: true }), host('montreal')], open(['frozen', 'sourceDumped']))
    expect(p.keep).toBe('strasbourg')
    expect(kinds(p.actions)).toEqual(['stop stuttgart', 'ip-owner strasbourg', 'verify strasbourg'])
    expect(p.actions[0]).toMatchObject({ why: expect.stringMatching(/second running copy \(the one on strasbourg is kept\)/) })
    expect(p.findings).toContain('strasbourg: container running, holds the floating IP, track file says owner')
  })

  it('two running copies, no IP holder: the journal decides (served -> destination, else source)', () => {
    const both = () => [host('stuttgart', { container: 'running' }), host('strasbourg', { container: 'running' })]
    expect(planRecovery(both(), open(['frozen', 'sourceDumped', 'transferred', 'ipMoved', 'dstRestoreStarted', 'dstRunning'])).keep).toBe('strasbourg')
    const p = planRecovery(both(), open(['frozen', 'sourceDumped', 'transferred', 'ipMoved', 'dstRestoreStarted']))
    expect(p.keep).toBe('stuttgart')
    expect(kinds(p.actions)).toEqual(['stop strasbourg', 'ip-owner stuttgart', 'verify stuttgart'])
  })

  it('a paused copy beside the running one is removed too: one copy is left', () => {
    const p = planRecovery(
      [host('stuttgart', { container: 'paused' }), host('strasbourg', { container: 'running', holdsIp: true }), host('montreal', { container: 'created' })],
      open(['frozen', 'sourceDumped', 'transferred', 'dstRestoreStarted', 'dstRunning']),
    )
    expect(p.keep).toBe('strasbourg')
    expect(kinds(p.actions)).toEqual(['stop stuttgart', 'stop montreal', 'ip-owner strasbourg', 'verify strasbourg'])
    expect(p.actions[0]).toMatchObject({ why: 'a paused copy (the one running on strasbourg is kept)' })
  })

  it('a paused container (CRIU left it frozen) is resumed and gets the IP', () => {
    const p = planRecovery([host('stuttgart', { container: 'paused', holdsIp: true }), host('strasbourg')], open(['frozen']))
    expect(p.keep).toBe('stuttgart')
    expect(kinds(p.actions)).toEqual(['resume stuttgart', 'ip-owner stuttgart', 'verify stuttgart'])
  })

  it('two paused copies: the second is stopped', () => {
    const p = planRecovery([host('stuttgart', { container: 'paused' }), host('strasbourg', { container: 'paused' })], null)
    expect(kinds(p.actions)).toEqual(['stop strasbourg', 'resume stuttgart', 'ip-owner stuttgart', 'verify stuttgart'])
  })

  it('a running copy is kept even while another host cannot be asked (nothing is restored)', () => {
    const p = planRecovery([host('stuttgart', { container: 'running' }), down('strasbourg')], open(['frozen', 'sourceDumped', 'transferred', 'ipMoved', 'dstRestoreStarted']))
    expect(p.keep).toBe('stuttgart')
    expect(p.actions.some((a) => a.kind === 'restore')).toBe(false)
    expect(p.findings).toContain('strasbourg: unreachable (connect ETIMEDOUT)')
  })
})

describe('planRecovery: nothing runs', () => {
  it('stop-and-copy killed after the dump: restore on the source from its complete image', () => {
    const o = open(['frozen', 'sourceDumped'])
    const p = planRecovery(
      [host('stuttgart', { container: 'stopped', holdsIp: true, images: [image()] }), host('strasbourg', { images: [image({ dumpedHere: false, inventory: false, mtimeS: 1_700_000_050 })] }), host('montreal')],
      o,
    )
    expect(p.keep).toBe('stuttgart')
    expect(kinds(p.actions)).toEqual(['restore stuttgart', 'ip-owner stuttgart', 'verify stuttgart'])
    expect(p.actions[0]).toMatchObject({ img: `${HOP}/img`, hopDir: HOP, why: expect.stringMatching(/newest complete image \(stop-and-copy, dumped there\)/) })
    expect(p.findings[0]).toBe('journal: hop stuttgart -> strasbourg (stop-and-copy) did not finish; it reached: frozen, sourceDumped')
  })

  it("the journal's source goes first even when the destination's copy is newer and complete", () => {
    const o = open(['frozen', 'sourceDumped', 'transferred', 'ipMoved'])
    const p = planRecovery([host('stuttgart', { container: 'stopped', images: [image()] }), host('strasbourg', { holdsIp: true, images: [image({ dumpedHere: false, mtimeS: 1_700_000_100 })] })], o)
    expect(p.keep).toBe('stuttgart')
    expect(p.actions[0]).toMatchObject({ kind: 'restore', host: 'stuttgart' })
  })

  it('source unreachable after the dump, the journal saw the transfer finish: restore on the destination', () => {
    const o = open(['frozen', 'sourceDumped', 'transferred', 'ipMoved'])
    const p = planRecovery([down('stuttgart'), host('strasbourg', { images: [image({ dumpedHere: false })] }), host('montreal')], o)
    expect(p.blocked).toBeUndefined()
    expect(p.keep).toBe('strasbourg')
    expect(kinds(p.actions)).toEqual(['restore strasbourg', 'ip-owner strasbourg', 'verify strasbourg'])
    expect(p.actions[0]).toMatchObject({ why: expect.stringMatching(/transferred there/) })
  })

  it("the destination's copy is not used when the journal did not see the transfer finish", () => {
    const o = open(['frozen', 'sourceDumped'])
    const p = planRecovery([down('stuttgart'), host('strasbourg', { images: [image({ dumpedHere: false })] })], o)
    expect(p.keep).toBeNull()
    expect(p.actions).toEqual([])
    expect(p.blocked).toMatch(/no complete image is left to restore from/)
  })

  it('a lazy (post-copy) image is never restored: blocked, naming the page server', () => {
    const o = open(['frozen', 'lazyServing', 'transferred'], { technique: 'post-copy', lazy: true })
    const p = planRecovery(
      [host('stuttgart', { container: 'stopped', images: [image({ technique: 'post-copy' })] }), host('strasbourg', { images: [image({ technique: 'post-copy', dumpedHere: false })] })],
      o,
    )
    expect(p.keep).toBeNull()
    expect(p.actions).toEqual([])
    expect(p.blocked).toMatch(/post-copy: its image holds no memory \(the pages were on stuttgart's page server\)/)
    expect(p.blocked).toMatch(/runc run/)
  })

  it('without a journal, lazy images and images of an older globehop (no technique) are not used', () => {
    const p = planRecovery([host('stuttgart', { images: [image({ technique: 'pre+post' }), image({ hopDir: `${BASE}/old`, technique: null, mtimeS: 1_800_000_000 })] }), host('strasbourg')], null)
    expect(p.keep).toBeNull()
    expect(p.blocked).toMatch(/no complete image/)
  })

  it('an unreachable source that may still run the game blocks the restore, naming it', () => {
    // Killed mid-dump: the source may have thawed and run on.
    const o = open(['frozen'])
    const p = planRecovery([down('stuttgart'), host('strasbourg', { images: [image({ dumpedHere: true, mtimeS: 1_600_000_000, hopDir: `${BASE}/1-strasbourg-stuttgart-x` })] }), host('montreal')], o)
    expect(p.keep).toBeNull()
    expect(p.actions).toEqual([])
    expect(p.blocked).toMatch(/stuttgart cannot be asked whether it still does: restoring elsewhere could start a second copy/)
    expect(p.blocked).toMatch(/Bring stuttgart back/)
  })

  it('an unreachable destination whose restore had started blocks restoring on the source', () => {
    const o = open(['frozen', 'sourceDumped', 'transferred', 'ipMoved', 'dstRestoreStarted'])
    const p = planRecovery([host('stuttgart', { container: 'stopped', images: [image()] }), down('strasbourg'), host('montreal')], o)
    expect(p.keep).toBeNull()
    expect(p.actions).toEqual([])
    expect(p.blocked).toMatch(/and strasbourg cannot be asked/)
    expect(p.blocked).not.toMatch(/montreal/)
  })

  it('an unreachable destination that never started a restore, or a host outside the hop, does not block', () => {
    const o = open(['frozen', 'sourceDumped', 'transferred', 'ipMoved'])
    const p = planRecovery([host('stuttgart', { container: 'stopped', images: [image()] }), down('strasbourg'), down('montreal')], o)
    expect(p.blocked).toBeUndefined()
    expect(p.keep).toBe('stuttgart')
    expect(kinds(p.actions)).toEqual(['restore stuttgart', 'ip-owner stuttgart', 'verify stuttgart'])
  })

  it('no journal and an unreachable host: blocked, whatever images are left', () => {
    const p = planRecovery([host('stuttgart', { container: 'stopped', images: [image()] }), down('montreal', 'no route to host')], null)
    expect(p.keep).toBeNull()
    expect(p.actions).toEqual([])
    expect(p.blocked).toMatch(/montreal cannot be asked/)
    expect(p.findings).toContain('montreal: unreachable (no route to host)')
  })

  it('images without inventory.img (CRIU did not finish) are not used', () => {
    const p = planRecovery([host('stuttgart', { container: 'stopped', images: [image({ inventory: false })] }), host('strasbourg')], null)
    expect(p.keep).toBeNull()
    expect(p.blocked).toMatch(/no complete image/)
    // An older complete one is.
    const q = planRecovery([host('stuttgart', { container: 'stopped', images: [image({ inventory: false, mtimeS: 2_000_000_000 }), image({ hopDir: `${BASE}/1-x`, mtimeS: 1_000_000_000 })] }), host('strasbourg')], null)
    expect(q.actions[0]).toMatchObject({ kind: 'restore', host: 'stuttgart', img: `${BASE}/1-x/img` })
  })

  it('without a journal the newest complete image wins, on whichever host', () => {
    const p = planRecovery(
      [
        host('stuttgart', { images: [image({ hopDir: `${BASE}/1-stuttgart-strasbourg-a`, mtimeS: 1_700_000_000 })] }),
        host('strasbourg', { images: [image({ hopDir: `${BASE}/2-strasbourg-montreal-b`, technique: 'pre-copy', mtimeS: 1_700_000_900 }), image({ hopDir: `${BASE}/0-x`, mtimeS: 1_600_000_000 })] }),
        host('montreal', { images: [image({ hopDir: `${BASE}/2-strasbourg-montreal-b`, dumpedHere: false, mtimeS: 1_700_000_999 })] }),
      ],
      null,
    )
    expect(p.keep).toBe('strasbourg')
    expect(p.actions[0]).toMatchObject({ kind: 'restore', host: 'strasbourg', img: `${BASE}/2-strasbourg-montreal-b/img`, why: expect.stringMatching(/pre-copy, dumped there/) })
  })

  it('nothing anywhere: blocked with what the operator can do', () => {
    const p = planRecovery([host('stuttgart'), host('strasbourg')], null)
    expect(p).toMatchObject({ keep: null, actions: [] })
    expect(p.blocked).toMatch(/Start the container again by hand/)
  })
})

describe('parseImageList', () => {
  it('reads one tab-separated line per hop directory', () => {
    const out = [
      `${BASE}/1-stuttgart-strasbourg-a\tstop-and-copy\t1\t1\t1700000000`,
      `${BASE}/2-strasbourg-montreal-b\t-\t0\t0\t1700000123`,
      `${BASE}/3-x\tpost-copy\t1\t0\tnot-a-number`,
      '',
      'sh: 1: stat: garbage without tabs',
    ].join('\n')
    expect(parseImageList(out)).toEqual([
      { hopDir: `${BASE}/1-stuttgart-strasbourg-a`, img: `${BASE}/1-stuttgart-strasbourg-a/img`, technique: 'stop-and-copy', inventory: true, dumpedHere: true, mtimeS: 1_700_000_000 },
      { hopDir: `${BASE}/2-strasbourg-montreal-b`, img: `${BASE}/2-strasbourg-montreal-b/img`, technique: null, inventory: false, dumpedHere: false, mtimeS: 1_700_000_123 },
      { hopDir: `${BASE}/3-x`, img: `${BASE}/3-x/img`, technique: 'post-copy', inventory: true, dumpedHere: false, mtimeS: 0 },
    ])
  })

  it('no output, no images', () => {
    expect(parseImageList('')).toEqual([])
  })
})

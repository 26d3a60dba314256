import { describe, expect, it } from 'vitest'
import { decideHop, RAM_SNAPSHOTS, snapshotsInRam, WARM_MAX_BYTES, warmBytes } from './decide'
import type { HopFigures } from './gap-model'
import type { HostFacts, LinkFacts } from './facts'
import { labFacts } from './testing/facts-fixture'
import { testTour } from './testing/test-tour'

const tour = testTour()
const link: LinkFacts = { rttMs: 100, mbitPerSec: 9.6 }
const image: HopFigures = { imageBytes: 95e6 }
const withZstd = (host: string, over: Partial<HostFacts> = {}) => labFacts(host, { deltaTools: { ok: true, detail: 'perl, gzip, cksum', missing: [], zstd: true }, ...over })

function decide(mode: 'stop-and-copy' | 'pre-copy', sf: HostFacts, df: HostFacts) {
  const d = decideHop({ mode, tour, sf, df, link, image, past: null })
  if (!d.ok) throw new Error(d.reason)
  return d
}

describe("stop-and-copy's streamed image", () => {
  it('streams where both hosts have zstd(1) and the destination may bind the IP early, and says so', () => {
    const d = decide('stop-and-copy', withZstd('stuttgart'), withZstd('strasbourg'))
    expect(d.decision.streamImage).toBe(true)
    expect(d.words).toMatch(/; the image streams one way as CRIU writes it/)
  })
  it('copies with rsync after the dump where either host lacks zstd(1), the delta tools or ip_nonlocal_bind', () => {
    expect(decide('stop-and-copy', withZstd('stuttgart'), labFacts('strasbourg')).decision.streamImage).toBe(false)
    expect(decide('stop-and-copy', labFacts('stuttgart'), withZstd('strasbourg')).decision.streamImage).toBe(false)
    expect(decide('stop-and-copy', withZstd('stuttgart'), withZstd('strasbourg', { nonlocalBind: false })).decision.streamImage).toBe(false)
    const noPerl = withZstd('strasbourg', { deltaTools: { ok: false, detail: 'perl not found', missing: ['perl'], zstd: true } })
    const d = decide('stop-and-copy', withZstd('stuttgart'), noPerl)
    expect(d.decision.streamImage).toBe(false)
    expect(d.words).not.toMatch(/streams/)
  })
  it('is stop-and-copy only: pre-copy sends its changed pages as before', () => {
    expect(decide('pre-copy', withZstd('stuttgart'), withZstd('strasbourg')).decision.streamImage).toBe(false)
  })
})

describe('snapshots that freeze the game first', () => {
  it('where the source has perl, whatever the destination lacks', () => {
    const noGzip = withZstd('strasbourg', { deltaTools: { ok: false, detail: 'gzip not found', missing: ['gzip'], zstd: true } })
    expect(decide('pre-copy', withZstd('stuttgart'), noGzip).decision.freezeFirst).toBe(true)
    const noPerl = withZstd('stuttgart', { deltaTools: { ok: false, detail: 'perl not found', missing: ['perl'], zstd: true } })
    expect(decide('pre-copy', noPerl, withZstd('strasbourg')).decision.freezeFirst).toBe(false)
    // Not checked (the tools' query never ran): no.
    expect(decide('pre-copy', withZstd('stuttgart', { deltaTools: { ok: false, detail: '', missing: [], zstd: false } }), withZstd('strasbourg')).decision.freezeFirst).toBe(false)
  })
})

describe('snapshots in RAM', () => {
  const shm = (availBytes: number | null, memAvailBytes: number | null, tmpfs = true) => labFacts('stuttgart', { shm: { tmpfs, availBytes, memAvailBytes } })
  it('where /dev/shm is a tmpfs that holds two and a half images and two still leave a GiB of memory', () => {
    expect(snapshotsInRam(shm(250e6, 2 ** 30 + 200e6), 100e6)).toBe(true)
    expect(snapshotsInRam(shm(249e6, 2 ** 30 + 200e6), 100e6)).toBe(false)
    expect(snapshotsInRam(shm(250e6, 2 ** 30 + 199e6), 100e6)).toBe(false)
    expect(snapshotsInRam(shm(250e6, 4e9, false), 100e6)).toBe(false)
    expect(snapshotsInRam(shm(null, 4e9), 100e6)).toBe(false)
    expect(snapshotsInRam(labFacts('stuttgart', { shm: null }), 100e6)).toBe(false)
    // No idea of the image's size: not in RAM.
    expect(snapshotsInRam(shm(250e9, 400e9), null)).toBe(false)
  })
  it("rsync-tracked pre-copy only, and the preflight's words say so", () => {
    const pre = decide('pre-copy', withZstd('stuttgart'), withZstd('strasbourg'))
    expect(pre.decision.snapshotRoot).toBe(RAM_SNAPSHOTS)
    expect(pre.words).toMatch(/; snapshots and the final image in RAM \(\/dev\/shm\)/)
    expect(decide('stop-and-copy', withZstd('stuttgart'), withZstd('strasbourg')).decision.snapshotRoot).toBeUndefined()
    expect(decide('pre-copy', withZstd('stuttgart', { shm: { tmpfs: true, availBytes: 100e6, memAvailBytes: 4e9 } }), withZstd('strasbourg')).decision.snapshotRoot).toBeUndefined()
  })
})

describe('free memory kept warm', () => {
  const MiB = 2 ** 20
  const reporting = (host: string, memAvailBytes = 23e9) => withZstd(host, { freePageReporting: true, shm: { tmpfs: true, availBytes: 12e9, memAvailBytes } })
  it("as much as the image, in whole MiB, up to 256 MiB and a quarter of what the host has available", () => {
    expect(warmBytes(reporting('stuttgart'), 95e6)).toBe(90 * MiB)
    expect(warmBytes(reporting('stuttgart'), 4e9)).toBe(WARM_MAX_BYTES)
    expect(warmBytes(reporting('stuttgart', 200 * MiB), 95e6)).toBe(50 * MiB)
  })
  it('none where the hypervisor keeps freed memory, or the image or the memory left is not known', () => {
    expect(warmBytes(withZstd('stuttgart'), 95e6)).toBe(0)
    expect(warmBytes(withZstd('stuttgart', { freePageReporting: null }), 95e6)).toBe(0)
    expect(warmBytes(reporting('stuttgart'), null)).toBe(0)
    expect(warmBytes(withZstd('stuttgart', { freePageReporting: true, shm: null }), 95e6)).toBe(0)
  })
  it('per side, in the preflight words, and nowhere when neither side reports free pages', () => {
    const d = decide('pre-copy', reporting('stuttgart'), withZstd('strasbourg'))
    expect(d.decision.warm).toEqual({ src: 90 * MiB, dst: 0 })
    expect(d.words).toMatch(/; free memory kept warm on stuttgart \(90\.0 MiB\): the hypervisor takes freed memory back there/)
    const both = decide('stop-and-copy', reporting('stuttgart'), reporting('strasbourg'))
    expect(both.decision.warm).toEqual({ src: 90 * MiB, dst: 90 * MiB })
    expect(both.words).toMatch(/on stuttgart \(90\.0 MiB\) and strasbourg \(90\.0 MiB\)/)
    const none = decide('pre-copy', withZstd('stuttgart'), withZstd('strasbourg'))
    expect(none.decision.warm).toBeUndefined()
    expect(none.words).not.toMatch(/warm/)
  })
})

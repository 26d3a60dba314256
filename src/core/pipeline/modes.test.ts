import { describe, expect, it } from 'vitest'
import { chooseCompression, chooseTechnique } from './modes'
import { labFacts } from './testing/facts-fixture'
import { testTour } from './testing/test-tour'

const tour = testTour()
const src = labFacts('stuttgart', { container: 'running', holdsIp: true })
const dst = labFacts('montreal')
const withDirty = { dirtyTrack: { ok: true, detail: 'Dirty tracking is ON' } }
const slow = { rttMs: 140, mbitPerSec: 9.6 }
const fast = { rttMs: 0.2, mbitPerSec: 2000 }

describe('mode refusal before anything is frozen', () => {
  it('forced CRIU tracking on a kernel without soft-dirty names the host and the kernel reason', () => {
    const c = chooseTechnique('pre-copy', tour, src, labFacts('montreal', { ...withDirty }), null, 'criu')
    expect(c).toEqual({
      ok: false,
      reason: "pre-copy with CRIU's tracking unavailable on stuttgart: kernel has no soft-dirty memory tracking (criu check --feature mem_dirty_track: Dirty tracking is OFF. Memory snapshot will not work.)",
    })
  })
  it('tour option tracking: criu is a force too', () => {
    const t = testTour({ options: 'options: { preCopy: { tracking: criu } }' })
    expect(chooseTechnique('pre-copy', t, src, dst, null)).toMatchObject({ ok: false, reason: expect.stringMatching(/^pre-copy with CRIU's tracking unavailable on stuttgart/) })
  })
  it('post-copy needs userfaultfd on the destination', () => {
    const d = labFacts('montreal', { uffd: { ok: false, detail: 'UFFD is not supported' } })
    expect(chooseTechnique('post-copy', tour, src, d, null)).toEqual({
      ok: false,
      reason: 'post-copy unavailable on montreal: no userfaultfd for lazy pages (criu check --feature uffd-noncoop: UFFD is not supported)',
    })
  })
  it('the runtime decides by its capabilities: crun has no lazy pages; a crun built without CRIU refuses every mode', () => {
    const crunTour = { ...tour, container: { ...tour.container, runtime: 'crun' as const } }
    expect(chooseTechnique('post-copy', crunTour, src, dst, null)).toEqual({ ok: false, reason: 'post-copy unavailable: crun has no lazy pages (checkpoint --lazy-pages)' })
    expect(chooseTechnique('pre-copy', crunTour, src, dst, null)).toMatchObject({ ok: true, technique: { kind: 'pre-copy', tracking: 'rsync' } })
    const noCriu = labFacts('montreal', { runtimeVersion: '1.8.1', runtimeProblem: 'this crun was built without CRIU (`crun --version` does not list +CRIU)' })
    expect(chooseTechnique('stop-and-copy', crunTour, src, noCriu, null)).toEqual({
      ok: false,
      reason: 'stop-and-copy refused: crun on montreal cannot checkpoint: this crun was built without CRIU (`crun --version` does not list +CRIU)',
    })
    expect(chooseTechnique('stop-and-copy', crunTour, src, labFacts('montreal', { runtimeVersion: null }), null)).toMatchObject({ ok: false, reason: 'stop-and-copy refused: crun is missing on montreal' })
  })
  it('podman: rsync-tracked pre-copy, no CRIU tracking (and why), and the destination must hold the container\'s image', () => {
    const podmanTour = { ...tour, container: { ...tour.container, runtime: 'podman' as const } }
    const img = 'a'.repeat(64)
    const s = { ...src, ...withDirty, images: { held: [img], container: img } }
    const d = labFacts('montreal', { images: { held: [img, 'b'.repeat(64)], container: null } })
    expect(chooseTechnique('pre-copy', podmanTour, s, d, null)).toMatchObject({ ok: true, technique: { kind: 'pre-copy', tracking: 'rsync' } })
    expect(chooseTechnique('pre-copy', podmanTour, s, d, null, 'criu')).toEqual({
      ok: false,
      reason: "pre-copy with CRIU's tracking unavailable: globehop does not chain podman's --pre-checkpoint (a single pre-dump in podman's storage, restored with --import-previous)",
    })
    // On a kernel without soft-dirty (the lab's) that reason comes too.
    expect(chooseTechnique('pre-copy', podmanTour, { ...s, dirtyTrack: labFacts('x').dirtyTrack }, d, null, 'criu')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/--import-previous\); nor could stuttgart track memory \(kernel has no soft-dirty memory tracking \(criu check --feature mem_dirty_track: Dirty tracking is OFF/),
    })
    expect(chooseTechnique('post-copy', podmanTour, s, d, null)).toMatchObject({ ok: false, reason: expect.stringMatching(/podman has no lazy pages/) })
    expect(chooseTechnique('stop-and-copy', podmanTour, s, labFacts('montreal', { images: { held: ['b'.repeat(64)], container: null } }), null)).toEqual({
      ok: false,
      reason: "stop-and-copy refused: the container's image aaaaaaaaaaaa is not on montreal: podman restores the checkpoint onto it there (copy it: podman save | podman load)",
    })
  })
  it('pre+post needs CRIU tracking and refuses rsync tracking outright', () => {
    expect(chooseTechnique('pre+post', tour, src, dst, null)).toMatchObject({ ok: false, reason: expect.stringMatching(/^pre\+post unavailable: pre-copy with CRIU's tracking unavailable on stuttgart/) })
    expect(chooseTechnique('pre+post', tour, { ...src, ...withDirty }, dst, null, 'rsync')).toMatchObject({ ok: false, reason: expect.stringMatching(/cannot start from rsync snapshots/) })
    expect(chooseTechnique('pre+post', tour, { ...src, ...withDirty }, dst, null)).toMatchObject({ ok: true, technique: { kind: 'pre+post', tracking: 'criu' } })
  })
  it('every mode is refused when the bundles differ or a second server would run', () => {
    expect(chooseTechnique('stop-and-copy', tour, src, labFacts('montreal', { bundle: { ...dst.bundle, rootfs: 'r2' } }), null)).toEqual({
      ok: false,
      reason: 'stop-and-copy refused: bundle rootfs differs between stuttgart and montreal',
    })
    expect(chooseTechnique('auto', tour, src, labFacts('montreal', { container: 'running' }), null)).toMatchObject({ ok: false, reason: expect.stringMatching(/already runs on montreal: two servers must never run/) })
    expect(chooseTechnique('stop-and-copy', tour, { ...src, container: 'absent' }, dst, null)).toMatchObject({ ok: false, reason: expect.stringMatching(/not running on stuttgart/) })
  })
  it('rsync missing is fatal unless the storage is shared', () => {
    const d = labFacts('montreal', { rsync: { ok: false, detail: 'not found', zstd: false } })
    expect(chooseTechnique('stop-and-copy', tour, src, d, null)).toMatchObject({ ok: false, reason: expect.stringMatching(/rsync is missing on montreal/) })
    const shared = testTour({ options: 'options: { sharedStorage: true }' })
    expect(chooseTechnique('stop-and-copy', shared, src, d, null)).toMatchObject({ ok: true })
    // Shared storage leaves rsync nothing to track: pre-copy only with CRIU's.
    expect(chooseTechnique('pre-copy', shared, src, d, null)).toMatchObject({ ok: false, reason: expect.stringMatching(/shared storage leaves nothing for rsync to track/) })
  })
})

describe('technique choice', () => {
  it('pre-copy takes CRIU tracking where the source has it, else rsync', () => {
    expect(chooseTechnique('pre-copy', tour, { ...src, ...withDirty }, dst, null)).toMatchObject({ ok: true, technique: { kind: 'pre-copy', tracking: 'criu' } })
    expect(chooseTechnique('pre-copy', tour, src, dst, null)).toMatchObject({ ok: true, technique: { kind: 'pre-copy', tracking: 'rsync' } })
  })
  it('auto: post-copy only on a fast, low-latency link', () => {
    expect(chooseTechnique('auto', tour, src, dst, fast)).toMatchObject({ ok: true, technique: { kind: 'post-copy' } })
    expect(chooseTechnique('auto', tour, src, dst, { rttMs: 30, mbitPerSec: 2000 })).toMatchObject({ technique: { kind: 'pre-copy', tracking: 'rsync' } })
    expect(chooseTechnique('auto', tour, src, dst, slow)).toMatchObject({ technique: { kind: 'pre-copy', tracking: 'rsync' }, why: expect.stringMatching(/link 10 Mbit\/s, 140\.0 ms RTT/) })
    expect(chooseTechnique('auto', tour, src, dst, null)).toMatchObject({ technique: { kind: 'pre-copy' }, why: expect.stringMatching(/link not measured/) })
  })
  it('auto falls back to stop-and-copy when neither lazy pages nor any tracker works', () => {
    const shared = testTour({ options: 'options: { sharedStorage: true }' })
    const d = labFacts('montreal', { uffd: { ok: false, detail: 'no' } })
    expect(chooseTechnique('auto', shared, src, d, fast)).toMatchObject({ ok: true, technique: { kind: 'stop-and-copy' } })
  })
  it('compression: zstd when slow or unmeasured, none on a fast link, as forced otherwise', () => {
    expect(chooseCompression(tour, src, slow)).toBe(true)
    expect(chooseCompression(tour, src, null)).toBe(true)
    expect(chooseCompression(tour, src, fast)).toBe(false)
    expect(chooseCompression(tour, { ...src, rsync: { ...src.rsync, zstd: false } }, slow)).toBe(false)
    expect(chooseCompression(testTour({ options: 'options: { compression: none }' }), src, slow)).toBe(false)
    expect(chooseCompression(testTour({ options: 'options: { compression: zstd }' }), src, fast)).toBe(true)
  })
})

describe('auto weighs post-copy by its predicted stall', () => {
  const image = { imageBytes: 88e6 }
  it('a fast LAN: post-copy when its predicted gap is the shorter one (a game that rewrites much of its memory between snapshot and dump)', () => {
    const c = chooseTechnique('auto', tour, src, dst, { rttMs: 0.2, mbitPerSec: 2000 }, undefined, { ...image, deltaWireBytes: 200e6 })
    expect(c).toMatchObject({ ok: true, technique: { kind: 'post-copy' }, why: expect.stringMatching(/post-copy predicted \d+\.\d s .* against pre-copy's/) })
  })
  it("a fast LAN with the lab game's figures keeps pre-copy, however slow the last full dump was", () => {
    // The lab's unthrottled link, after a noisy hop: a 300 ms checkpoint step. Post-copy's own
    // steps (the non-lazy image's rsync, the page server's start) made it 0.41-0.46 s there against
    // pre-copy's 0.23-0.27 s (2026-12-04); without them the model had chosen post-copy.
    const lab = { imageBytes: 101e6, dumpMs: 300, restoreMs: 80, deltaWireBytes: 2.5e6 }
    const c = chooseTechnique('auto', tour, src, dst, { rttMs: 0.2, mbitPerSec: 8000 }, undefined, lab)
    expect(c).toMatchObject({ ok: true, technique: { kind: 'pre-copy' }, why: expect.stringMatching(/against post-copy's \d+\.\d s/) })
  })
  it('a fast link far away: never post-copy, whose stall would exceed pre-copy gap', () => {
    const link = { rttMs: 148, mbitPerSec: 900 }
    const c = chooseTechnique('auto', tour, src, dst, link, undefined, image)
    expect(c).toMatchObject({ ok: true, technique: { kind: 'pre-copy' }, why: expect.stringMatching(/against post-copy's \d+\.\d s \(\d+\.\d s of it a stall\)/) })
    // Without an image size it falls back to the link rule: 148 ms is not low-latency either.
    expect(chooseTechnique('auto', tour, src, dst, link, undefined, { imageBytes: null })).toMatchObject({ technique: { kind: 'pre-copy' } })
  })
  it('a low-latency but slow link: the background fetch would queue every fault, so pre-copy', () => {
    expect(chooseTechnique('auto', tour, src, dst, { rttMs: 0.3, mbitPerSec: 10 }, undefined, image)).toMatchObject({ technique: { kind: 'pre-copy' } })
  })
  it("the source's resident memory stands in for the image when no hop measured one", () => {
    const big = labFacts('stuttgart', { container: 'running', holdsIp: true, containerRssBytes: 106e6 })
    const small = labFacts('stuttgart', { container: 'running', holdsIp: true, containerRssBytes: 8e6 })
    expect(chooseTechnique('auto', tour, big, dst, { rttMs: 30, mbitPerSec: 2000 })).toMatchObject({ technique: { kind: 'pre-copy' } })
    // On a LAN the stall grows with the memory the game must fault back in, and so do pre-copy's
    // dump and restore: a 10 Gbit/s LAN and 2 GB of memory tip it to post-copy, not 106 MB or 8 MB.
    const huge = labFacts('stuttgart', { container: 'running', holdsIp: true, containerRssBytes: 2e9 })
    for (const f of [big, small]) expect(chooseTechnique('auto', tour, f, dst, { rttMs: 0.1, mbitPerSec: 10_000 })).toMatchObject({ technique: { kind: 'pre-copy' } })
    expect(chooseTechnique('auto', tour, huge, dst, { rttMs: 0.1, mbitPerSec: 10_000 })).toMatchObject({ technique: { kind: 'post-copy' } })
  })
})

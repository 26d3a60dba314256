import { describe, expect, it } from 'vitest'
import { hostChecks } from './preflight-report'
import { labFacts } from './testing/facts-fixture'
import { testTour } from './testing/test-tour'

const img = 'c0ffee'.repeat(10) + 'abcd'
const podmanTour = (() => {
  const t = testTour()
  return { ...t, container: { ...t.container, runtime: 'podman' as const } }
})()
const check = (id: string, checks: { id: string }[]) => checks.find((c) => c.id === id)

describe('preflight: what a restore builds the container from', () => {
  it('bundle runtimes compare config.json and rootfs; the odd host out fails', () => {
    const all = [labFacts('a'), labFacts('b'), labFacts('c', { bundle: { ok: true, detail: 'x', configSha: 'c1', configShaNoCgroup: 'c1', rootfs: 'r2' } })]
    expect(check('bundle', hostChecks(testTour(), all[0]!, all, null))).toMatchObject({ status: 'ok' })
    expect(check('bundle', hostChecks(testTour(), all[2]!, all, null))).toMatchObject({ status: 'fail', detail: expect.stringMatching(/rootfs differs/) })
  })

  it("podman: every host must hold the running container's image; no bundle is read", () => {
    const runs = labFacts('stuttgart', { container: 'running', bundle: { ok: true, detail: `the container's image ${img.slice(0, 12)}`, configSha: null, configShaNoCgroup: null, rootfs: null }, images: { held: [img], container: img } })
    const holds = labFacts('strasbourg', { bundle: { ok: true, detail: '1 image', configSha: null, configShaNoCgroup: null, rootfs: null }, images: { held: [img], container: null } })
    const lacks = labFacts('montreal', { bundle: { ok: true, detail: '0 images', configSha: null, configShaNoCgroup: null, rootfs: null }, images: { held: [], container: null } })
    const all = [runs, holds, lacks]
    for (const f of all) expect(check('bundle', hostChecks(podmanTour, f, all, 'stuttgart'))).toBeUndefined()
    expect(check('image', hostChecks(podmanTour, runs, all, 'stuttgart'))).toEqual({ id: 'image', status: 'ok', detail: "the container's image c0ffeec0ffee" })
    expect(check('image', hostChecks(podmanTour, holds, all, 'stuttgart'))).toEqual({ id: 'image', status: 'ok', detail: "holds the container's image c0ffeec0ffee" })
    expect(check('image', hostChecks(podmanTour, lacks, all, 'stuttgart'))).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^lacks the container's image c0ffeec0ffee: podman restores onto it/) })
    const unlisted = labFacts('singapore', { bundle: { ok: false, detail: 'cannot list the images: podman: not found', configSha: null, configShaNoCgroup: null, rootfs: null }, images: null })
    expect(check('image', hostChecks(podmanTour, unlisted, [...all, unlisted], 'stuttgart'))).toMatchObject({ status: 'fail', detail: expect.stringMatching(/cannot list the images/) })
  })
})

describe('preflight: transparent huge pages', () => {
  it("always is ok; madvise or never warns with what it costs and the fix; unreadable is skipped", () => {
    const all = [labFacts('a')]
    expect(check('huge-pages', hostChecks(testTour(), all[0]!, all, null))).toMatchObject({ status: 'ok' })
    const madvise = labFacts('b', { hugePages: 'madvise' })
    expect(check('huge-pages', hostChecks(testTour(), madvise, [madvise], null))).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^transparent huge pages: madvise, so CRIU's restore here fills the game's memory 4 KiB at a time .*echo always > \/sys\/kernel\/mm\/transparent_hugepage\/enabled/),
    })
    const unknown = labFacts('c', { hugePages: null })
    expect(check('huge-pages', hostChecks(testTour(), unknown, [unknown], null))).toMatchObject({ status: 'skip' })
  })
})

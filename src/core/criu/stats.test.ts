import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { criuPauseMs, decodeCriuStats, IMG_SERVICE_MAGIC, STATS_MAGIC } from './stats'

// A minimal protobuf encoder for building test inputs by hand (independent of the decoder).
function varint(n: number | bigint): number[] {
  let v = BigInt(n)
  const out: number[] = []
  do {
    let b = Number(v & 0x7fn)
    v >>= 7n
    if (v > 0n) b |= 0x80
    out.push(b)
  } while (v > 0n)
  return out
}
const vField = (field: number, n: number | bigint) => [...varint((field << 3) | 0), ...varint(n)]
const lField = (field: number, body: number[]) => [...varint((field << 3) | 2), ...varint(body.length), ...body]

function statsFile(entry: number[], opts: { magic0?: number; magic1?: number; len?: number } = {}): Buffer {
  const head = Buffer.alloc(12)
  head.writeUInt32LE(opts.magic0 ?? IMG_SERVICE_MAGIC, 0)
  head.writeUInt32LE(opts.magic1 ?? STATS_MAGIC, 4)
  head.writeUInt32LE(opts.len ?? entry.length, 8)
  return Buffer.concat([head, Buffer.from(entry)])
}

describe('decodeCriuStats (hand-encoded)', () => {
  it('decodes a dump entry, including large uint64 counters', () => {
    const dump = [
      ...vField(1, 1234), // freezing_time
      ...vField(2, 150_000), // frozen_time
      ...vField(3, 40_000), // memdump_time
      ...vField(4, 90_000), // memwrite_time
      ...vField(5, 23_456), // pages_scanned
      ...vField(6, 7), // pages_skipped_parent
      ...vField(7, 22_000), // pages_written
      ...vField(8, 0), // irmap_resolve (not reported)
      ...vField(9, 2 ** 40), // pages_lazy
      ...vField(10, 3), // page_pipes (not reported)
    ]
    expect(decodeCriuStats(statsFile(lField(1, dump)))).toEqual({
      freezingTimeUs: 1234,
      frozenTimeUs: 150_000,
      memdumpTimeUs: 40_000,
      memwriteTimeUs: 90_000,
      pagesScanned: 23_456,
      pagesSkippedParent: 7,
      pagesWritten: 22_000,
      pagesLazy: 2 ** 40,
    })
  })

  it('decodes a restore entry', () => {
    const restore = [...vField(1, 5), ...vField(2, 6), ...vField(3, 2500), ...vField(4, 120_000), ...vField(5, 23_000)]
    expect(decodeCriuStats(statsFile(lField(2, restore)))).toEqual({ forkingTimeUs: 2500, restoreTimeUs: 120_000, pagesRestored: 23_000 })
  })

  it('skips unknown fields of every wire type', () => {
    const fixed64 = [...varint((20 << 3) | 1), 1, 2, 3, 4, 5, 6, 7, 8]
    const fixed32 = [...varint((21 << 3) | 5), 1, 2, 3, 4]
    const dump = [...vField(2, 99), ...vField(99, 1), ...lField(30, [1, 2, 3]), ...fixed64, ...fixed32, ...vField(7, 12)]
    const entry = [...lField(1, dump), ...lField(7, [0xff, 0xff]), ...vField(8, 1)]
    expect(decodeCriuStats(statsFile(entry))).toEqual({ frozenTimeUs: 99, pagesWritten: 12 })
  })

  it('names the problem on bad input', () => {
    expect(() => decodeCriuStats(Buffer.alloc(0))).toThrow(/0 bytes is too short/)
    expect(() => decodeCriuStats(statsFile([], { magic0: 0x12345678 }))).toThrow(/bad first magic 0x12345678, expected IMG_SERVICE 0x55105940/)
    expect(() => decodeCriuStats(statsFile([], { magic1: 0x58313116 }))).toThrow(/bad second magic 0x58313116.*not a stats file/)
    expect(() => decodeCriuStats(statsFile(lField(1, vField(2, 5)), { len: 50 }))).toThrow(/claims 50 bytes but only 4 follow/)
    // Nested length running past the entry.
    expect(() => decodeCriuStats(statsFile([...varint((1 << 3) | 2), 10, 0x10, 0x01]))).toThrow(/field 1 in stats_entry claims 10 bytes/)
    // Varint cut off mid-way.
    expect(() => decodeCriuStats(statsFile(lField(1, [0x10, 0x80])))).toThrow(/truncated varint in dump_stats_entry/)
    expect(() => decodeCriuStats(statsFile([0x0b]))).toThrow(/unsupported wire type 3/)
  })
})

// Real files written by criu 4.2.1 (runc 1.3.6) in the lab: see fixtures/README.md.
const fixture = (name: string) => readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name))

describe('decodeCriuStats (real CRIU files)', () => {
  it('decodes a real stats-dump, unknown fields (page_pipes, shpages_*) skipped', () => {
    expect(decodeCriuStats(fixture('stats-dump'))).toEqual({
      freezingTimeUs: 100_911,
      frozenTimeUs: 42_907,
      memdumpTimeUs: 9548,
      memwriteTimeUs: 7812,
      pagesScanned: 4988,
      pagesSkippedParent: 0,
      pagesWritten: 4957,
      pagesLazy: 0,
    })
  })
  it('decodes a real stats-restore: every page written by the dump restored', () => {
    expect(decodeCriuStats(fixture('stats-restore'))).toEqual({ forkingTimeUs: 250, restoreTimeUs: 33_828, pagesRestored: 4957 })
  })
  it('names truncation of a real file', () => {
    const buf = fixture('stats-dump')
    expect(() => decodeCriuStats(buf.subarray(0, buf.length - 1))).toThrow(/claims 38 bytes but only 37 follow/)
    expect(() => decodeCriuStats(buf.subarray(0, 10))).toThrow(/10 bytes is too short/)
  })
})

describe('criuPauseMs', () => {
  it("is the freezing time (CRIU's freezer poll included) plus the frozen time", () => {
    // The real fixture: CRIU slept out its 100 ms freezer poll before the 43 ms dump.
    expect(criuPauseMs(decodeCriuStats(fixture('stats-dump')))).toBeCloseTo(143.818, 3)
    expect(criuPauseMs({ frozenTimeUs: 150_000 })).toBe(150)
    expect(criuPauseMs({ freezingTimeUs: 1234 })).toBeUndefined()
    expect(criuPauseMs(undefined)).toBeUndefined()
  })
})

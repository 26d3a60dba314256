// CRIU's stats-dump / stats-restore files -> the hop's figures.
// Layout (criu/include/magic.h, images/stats.proto): u32 LE magic IMG_SERVICE (0x55105940),
// u32 LE magic STATS (0x57093306), u32 LE payload length, then one protobuf stats_entry.
import type { CriuStats } from '../../shared/contract'
import { readFields, type ProtoField } from './protobuf'

export const IMG_SERVICE_MAGIC = 0x55105940
export const STATS_MAGIC = 0x57093306

// stats_entry { dump = 1; restore = 2 } and the fields of each we report.
const DUMP_FIELDS: Record<number, keyof CriuStats> = {
  1: 'freezingTimeUs',
  2: 'frozenTimeUs',
  3: 'memdumpTimeUs',
  4: 'memwriteTimeUs',
  5: 'pagesScanned',
  6: 'pagesSkippedParent',
  7: 'pagesWritten',
  9: 'pagesLazy',
}
const RESTORE_FIELDS: Record<number, keyof CriuStats> = {
  3: 'forkingTimeUs',
  4: 'restoreTimeUs',
  5: 'pagesRestored',
}

export class CriuStatsError extends Error {
  constructor(message: string) {
    super(`CRIU stats file: ${message}`)
    this.name = 'CriuStatsError'
  }
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`

function collect(fields: ProtoField[], map: Record<number, keyof CriuStats>, out: CriuStats): void {
  for (const f of fields) {
    const key = map[f.field]
    // Unknown fields (newer CRIU) and unexpected wire types are skipped, not fatal.
    if (key && f.value !== undefined) out[key] = Number(f.value)
  }
}

/** Decodes a whole stats-dump or stats-restore file. Throws CriuStatsError naming the problem. */
export function decodeCriuStats(buf: Buffer): CriuStats {
  if (buf.length < 12) throw new CriuStatsError(`${buf.length} bytes is too short for the 12-byte header (truncated or empty file)`)
  const m0 = buf.readUInt32LE(0)
  const m1 = buf.readUInt32LE(4)
  if (m0 !== IMG_SERVICE_MAGIC) throw new CriuStatsError(`bad first magic ${hex(m0)}, expected IMG_SERVICE ${hex(IMG_SERVICE_MAGIC)}`)
  if (m1 !== STATS_MAGIC) throw new CriuStatsError(`bad second magic ${hex(m1)}, expected STATS ${hex(STATS_MAGIC)} (not a stats file?)`)
  const len = buf.readUInt32LE(8)
  if (12 + len > buf.length) throw new CriuStatsError(`entry claims ${len} bytes but only ${buf.length - 12} follow the header (truncated)`)
  const out: CriuStats = {}
  try {
    for (const top of readFields(buf.subarray(12, 12 + len), 'stats_entry')) {
      if (top.field === 1 && top.bytes) collect(readFields(top.bytes, 'dump_stats_entry'), DUMP_FIELDS, out)
      else if (top.field === 2 && top.bytes) collect(readFields(top.bytes, 'restore_stats_entry'), RESTORE_FIELDS, out)
    }
  } catch (err) {
    throw new CriuStatsError((err as Error).message)
  }
  return out
}

/**
 * How long a dump held the game's tasks, ms: CRIU's freezing time (asking the freezer, seizing
 * every task) plus its frozen time (the dump, up to the resume). The frozen time alone leaves out
 * the 100 ms CRIU sleeps when its first look finds a cgroup v1 freezer still FREEZING
 * (criu/seize.c). Measured on the lab (8 `--leave-running` dumps of the game, the task's tracer
 * and freezer read every 0.5 ms): held 157-282 ms, within 3 ms of freezing + frozen every time;
 * frozen alone was 100-106 ms short in the 4 dumps that slept.
 */
export function criuPauseMs(st: CriuStats | undefined): number | undefined {
  if (st?.frozenTimeUs === undefined) return undefined
  return (st.frozenTimeUs + (st.freezingTimeUs ?? 0)) / 1000
}

/** runc and crun leave CRIU's own stats files in the work path. */
export const CRIU_STATS_FILES = { dump: 'stats-dump', restore: 'stats-restore', decode: decodeCriuStats } as const
/** CRIU writes inventory.img last: an image dir holding it is a whole image. */
export const CRIU_IMAGE_MARKER = 'inventory.img'

import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { parseProgressLine, parseProgressText, parseRsyncNumber, parseRsyncStats } from './rsync-progress'

const fixture = (name: string) => readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name), 'utf8')

describe('parseProgressLine', () => {
  it('reads a plain update (time column is the ETA)', () => {
    expect(parseProgressLine('     10,846,208  30%   10.01MB/s    0:00:02  ')).toEqual({
      bytes: 10_846_208,
      percent: 30,
      bytesPerSec: Math.round(10.01 * 1024 * 1024),
      etaSec: 2,
      elapsedSec: null,
    })
  })
  it('reads an xfr# update (time column is elapsed)', () => {
    expect(parseProgressLine('  13,107,200  14%   12.50MB/s    1:02:06 (xfr#4, to-chk=12/345)')).toEqual({
      bytes: 13_107_200,
      percent: 14,
      bytesPerSec: 12.5 * 1024 * 1024,
      etaSec: null,
      elapsedSec: 3726,
      filesTransferred: 4,
      toCheck: 12,
      totalFiles: 345,
      listComplete: true,
    })
    expect(parseProgressLine('  1,000   1%    1.00kB/s    0:00:01 (xfr#1, ir-chk=1000/1012)')?.listComplete).toBe(false)
  })
  it('handles unknown ETA, GB/s, and human-readable byte counts in either base', () => {
    expect(parseProgressLine('  5,472   0%    0.00kB/s    ??:??:??  ')?.etaSec).toBeNull()
    expect(parseProgressLine('  30,000,000  85%    1.47GB/s    0:00:00 (xfr#1, to-chk=3/5)')?.bytesPerSec).toBe(Math.round(1.47 * 1024 ** 3))
    expect(parseProgressLine('  32.77K   0%    0.00kB/s    0:00:00  ')?.bytes).toBe(32_770)
    expect(parseProgressLine('  32.00K   0%    0.00kB/s    0:00:00  ', { humanBase: 1024 })?.bytes).toBe(32_768)
  })
  it('rejects what is not a progress line', () => {
    for (const s of ['', 'sending incremental file list', 'a.bin', 'Total bytes sent: 35,008,810', '  12 abc%  1MB/s 0:00:00']) {
      expect(parseProgressLine(s)).toBeNull()
    }
  })
  it('parses numbers strictly', () => {
    expect(parseRsyncNumber('35,000,003')).toBe(35_000_003)
    expect(parseRsyncNumber('1.5G')).toBe(1_500_000_000)
    expect(parseRsyncNumber('1.5G', { humanBase: 1024 })).toBe(1.5 * 1024 ** 3)
    expect(parseRsyncNumber('12x')).toBeNaN()
  })
})

describe('real rsync output (fixtures)', () => {
  it('full copy at 10 MiB/s: every \\r update, then the stats', () => {
    const text = fixture('rsync-full-bwlimit.txt')
    const ups = parseProgressText(text)
    expect(ups).toHaveLength(9)
    expect(ups.map((u) => u.bytes)).toEqual([32_768, 10_846_208, 21_659_648, 30_000_000, 32_490_368, 35_000_000, 35_000_003, 35_000_003, 35_000_003])
    expect(ups[1]).toMatchObject({ percent: 30, etaSec: 2 })
    expect(ups.at(-1)).toMatchObject({ percent: 100, elapsedSec: 3, filesTransferred: 3, toCheck: 0, totalFiles: 5 })
    expect(parseRsyncStats(text)).toEqual({
      numberOfFiles: 5,
      filesTransferred: 3,
      totalFileSize: 35_000_003,
      totalTransferredFileSize: 35_000_003,
      literalData: 35_000_003,
      matchedData: 0,
      totalBytesSent: 35_008_810,
      totalBytesReceived: 84,
      speedup: 1,
    })
  })
  it('delta transfer: matched vs literal data and the speedup', () => {
    const s = parseRsyncStats(fixture('rsync-delta.txt'))
    expect(s).toMatchObject({ literalData: 109_440, matchedData: 29_890_560, totalBytesSent: 131_504, totalBytesReceived: 32_934, speedup: 212.85 })
    expect(s.literalData! + s.matchedData!).toBe(s.totalTransferredFileSize)
  })
  it('-h with zstd: suffixed numbers', () => {
    const text = fixture('rsync-human-zstd.txt')
    expect(parseProgressText(text).map((u) => u.bytes)).toEqual([32_770, 30_000_000, 35_000_000, 35_000_000, 35_000_000, 35_000_000])
    expect(parseRsyncStats(text)).toMatchObject({ totalFileSize: 35_000_000, totalBytesSent: 30_010_000, totalBytesReceived: 84, speedup: 1.17 })
  })
})

// Runs the installed rsync between two temp dirs, so a change in rsync's format shows up here.
let rsyncVersion: string | null = null
try {
  rsyncVersion = execFileSync('rsync', ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? null
} catch {
  rsyncVersion = null
}

describe.skipIf(!rsyncVersion)(`live rsync (${rsyncVersion ?? 'skipped: rsync not installed'})`, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-rsync-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const src = path.join(dir, 'src')
  mkdirSync(path.join(src, 'sub'), { recursive: true })
  const sizes = { 'a.bin': 3_000_000, 'b.bin': 1_234_567, 'sub/c.txt': 3 }
  for (const [name, size] of Object.entries(sizes)) writeFileSync(path.join(src, name), Buffer.alloc(size, name))
  const total = Object.values(sizes).reduce((a, b) => a + b, 0)
  const rsync = (dst: string, extra: string[] = []) =>
    execFileSync('rsync', ['-a', '--info=progress2', '--stats', ...extra, `${src}/`, `${path.join(dir, dst)}/`], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } })

  it('full copy: last update and stats agree with the files', () => {
    const out = rsync('full', ['--bwlimit=8m'])
    const ups = parseProgressText(out)
    expect(ups.length).toBeGreaterThanOrEqual(2)
    expect(ups.at(-1)).toMatchObject({ bytes: total, percent: 100, filesTransferred: 3, toCheck: 0 })
    // Mid-transfer updates at ~8 MiB/s show a rate in that range.
    const mid = ups.filter((u) => u.percent > 0 && u.percent < 100 && u.etaSec !== null)
    for (const u of mid) expect(u.bytesPerSec).toBeGreaterThan(2 * 1024 * 1024)
    expect(parseRsyncStats(out)).toMatchObject({ totalFileSize: total, totalTransferredFileSize: total, literalData: total, matchedData: 0, filesTransferred: 3 })
  })

  it('delta against an existing copy: mostly matched data', () => {
    rsync('delta')
    const f = path.join(src, 'a.bin')
    const buf = readFileSync(f)
    buf.fill(7, 1_000_000, 1_010_000)
    writeFileSync(f, buf)
    // Same size and (to the second) same mtime would make rsync's quick check skip the file.
    const later = new Date(Date.now() + 60_000)
    utimesSync(f, later, later)
    const s = parseRsyncStats(rsync('delta', ['--no-whole-file']))
    expect(s.filesTransferred).toBe(1)
    expect(s.totalTransferredFileSize).toBe(3_000_000)
    expect(s.literalData! + s.matchedData!).toBe(3_000_000)
    expect(s.matchedData!).toBeGreaterThan(2_900_000)
    expect(s.speedup!).toBeGreaterThan(10)
  })
})

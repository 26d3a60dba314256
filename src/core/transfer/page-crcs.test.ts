import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { crcTableDir, crcTablesArgv, parseCrcTables } from './page-crcs'
import { pageDeltaArgv, parsePageDelta } from './page-delta'
import { loggingCksum, perlLibWithoutZlib } from './testing/tool-stubs'

const run = promisify(execFile)
const PAGE = 4096
const MIB = 1 << 20
const local = ['sh', '-c', 'eval "$1"', 'sh']

// zlib's CRC-32 (the reflected 0xEDB88320 polynomial), to check the tables against.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
function crc32(b: Buffer): number {
  let c = 0xffffffff
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

const flip = (b: Buffer, at: number) => b.writeUInt8(b.readUInt8(at) ^ 0x5a, at)

async function tables(dir: string, env?: NodeJS.ProcessEnv) {
  const [cmd, ...args] = crcTablesArgv(dir)
  return parseCrcTables((await run(cmd!, args, { env })).stdout)
}

/** A snapshot (on the source), the destination's copy of it, and the final image: pages changed, the file grown past a page boundary. */
function world(pagesIn = 600) {
  const root = mkdtempSync(path.join(tmpdir(), 'gh-crcs-'))
  const dirs = { img: path.join(root, 'img'), basis: path.join(root, 'snap-1'), dst: path.join(root, 'dst hop', 'img') }
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true })
  const pages = Buffer.alloc(pagesIn * PAGE)
  for (let i = 0; i < pages.length; i += 5) pages[i] = (i * 13) & 0xff
  for (const d of [dirs.basis, dirs.dst]) {
    writeFileSync(path.join(d, 'pages-1.img'), pages)
    writeFileSync(path.join(d, 'core-1.img'), 'old core')
  }
  const next = Buffer.concat([pages, Buffer.alloc(2 * PAGE + 300, 7)])
  for (const p of new Set([0, 3, 257, pagesIn - 1].filter((p) => p < pagesIn))) flip(next, p * PAGE + 9)
  writeFileSync(path.join(dirs.img, 'pages-1.img'), next)
  writeFileSync(path.join(dirs.img, 'core-1.img'), 'new core')
  return { dirs, pages, next }
}

async function send(dirs: { img: string; basis: string; dst: string }, env: NodeJS.ProcessEnv, compress = true, ssh = local) {
  const argv = pageDeltaArgv({ img: dirs.img, basis: dirs.basis, remoteImg: dirs.dst, ssh, compress })
  // The tail chain asks for CRCs along once the destination said it has zlib's module.
  const r = await run(argv[0]!, argv.slice(1), { maxBuffer: 1 << 24, env: { ...env, GLOBEHOP_ZCRC: '1' } })
  return { ...parsePageDelta([...r.stdout.split('\n'), ...r.stderr.split('\n')]), out: r.stdout }
}

describe('per-page CRC tables of a snapshot', () => {
  it("hold zlib's CRC-32 of every page and every whole MiB of each pages file, under the file's stamp; other files get none", async () => {
    const { dirs, pages } = world()
    expect(await tables(dirs.basis)).toEqual({ files: 1, pages: 600 })
    expect(readdirSync(crcTableDir(dirs.basis))).toEqual(['pages-1.img'])
    const t = readFileSync(path.join(crcTableDir(dirs.basis), 'pages-1.img'))
    const nl = t.indexOf(10)
    const st = statSync(path.join(dirs.basis, 'pages-1.img'))
    const head = t.subarray(0, nl).toString().split(' ')
    expect(head.slice(0, 4)).toEqual(['globehop-crcs', String(st.dev), String(st.ino), String(st.size)])
    const body = t.subarray(nl + 1)
    expect(body.length).toBe(4 * (600 + 2))
    for (const p of [0, 1, 299, 599]) expect(body.readUInt32LE(4 * p)).toBe(crc32(pages.subarray(p * PAGE, (p + 1) * PAGE)))
    for (const m of [0, 1]) expect(body.readUInt32LE(4 * (600 + m))).toBe(crc32(pages.subarray(m * MIB, (m + 1) * MIB)))
  })

  it("say so and write none where perl lacks zlib's module (Debian's perl-base alone)", async () => {
    const { dirs } = world(4)
    const [cmd, ...args] = crcTablesArgv(dirs.basis)
    const r = await run(cmd!, args, { env: { ...process.env, PERL5LIB: perlLibWithoutZlib() } })
    expect(r.stdout).toMatch(/globehop-crcs: none \(this perl lacks Compress::Raw::Zlib/)
    expect(readdirSync(path.dirname(dirs.basis))).not.toContain('snap-1.crc')
  })

  for (const compress of [true, false]) {
    it(`with a table on both hosts the final delta's pages file is checked without a cksum on either (changed, grown), and the copy is exact (compress ${compress})`, async () => {
      const { dirs, next } = world()
      await tables(dirs.basis)
      await tables(dirs.dst)
      const ck = loggingCksum()
      const f = await send(dirs, ck.env, compress)
      expect(f).toMatchObject({ files: 2, verifiedFiles: 2, foldedFiles: 1 })
      expect(readFileSync(path.join(dirs.dst, 'pages-1.img')).equals(next)).toBe(true)
      expect(ck.calls()).toEqual([])
    })
  }

  it("every file's sum line is zlib's then (the small ones' summed in C at once, not in perl's cksum loop); a big file without a table still goes to cksum on both hosts", async () => {
    const { dirs } = world()
    await tables(dirs.basis)
    await tables(dirs.dst)
    // A 2 MiB file the snapshot had, with no table (not a pages file).
    for (const d of [dirs.basis, dirs.dst, dirs.img]) writeFileSync(path.join(d, 'big.img'), Buffer.alloc(2 * MIB, d === dirs.img ? 2 : 1))
    const stream = path.join(path.dirname(dirs.basis), 'stream')
    const ck = loggingCksum()
    expect(await send(dirs, ck.env, false, ['sh', '-c', `tee '${stream}' | (eval "$1")`, 'sh'])).toMatchObject({ verifiedFiles: 3, foldedFiles: 1 })
    const sums = readFileSync(stream, 'latin1').split('\nS\n')[1]!.split('\n').filter((l) => l && l !== 'Z')
    expect(sums.map((l) => l.replace(/^(z )?\d+ \d+ /, '$1'))).toEqual(expect.arrayContaining(['z core-1.img', 'z pages-1.img', 'big.img']))
    expect(sums).toHaveLength(3)
    expect(ck.calls()).toEqual(['-- big.img', '-- big.img'])
  })

  it('a file that shrank is folded over what is left of it', async () => {
    const { dirs, pages } = world()
    const short = Buffer.from(pages.subarray(0, 300 * PAGE + 17))
    flip(short, 299 * PAGE)
    writeFileSync(path.join(dirs.img, 'pages-1.img'), short)
    await tables(dirs.basis)
    await tables(dirs.dst)
    const ck = loggingCksum()
    expect(await send(dirs, ck.env)).toMatchObject({ verifiedFiles: 2, foldedFiles: 1 })
    expect(readFileSync(path.join(dirs.dst, 'pages-1.img')).equals(short)).toBe(true)
    expect(ck.calls()).toEqual([])
  })

  it("a destination copy that is not the snapshot fails the check by name, even with a table made of that copy", async () => {
    const { dirs } = world()
    const bad = readFileSync(path.join(dirs.dst, 'pages-1.img'))
    // A page no delta touches: only the table's CRC of it speaks for it.
    flip(bad, 100 * PAGE + 1)
    writeFileSync(path.join(dirs.dst, 'pages-1.img'), bad)
    await tables(dirs.basis)
    await tables(dirs.dst)
    await expect(send(dirs, process.env)).rejects.toThrow(/pages-1\.img: size or CRC differs from the source/)
  })

  it('a table older than its file (the file written anew since, on either host) is not read: the file is summed whole, and the copy still checks', async () => {
    const { dirs, next } = world()
    await tables(dirs.basis)
    await tables(dirs.dst)
    // The same bytes, rewritten as rsync does (a new file renamed over the old: another inode).
    for (const d of [dirs.basis, dirs.dst]) {
      copyFileSync(path.join(d, 'pages-1.img'), path.join(d, '.tmp'))
      renameSync(path.join(d, '.tmp'), path.join(d, 'pages-1.img'))
    }
    const ck = loggingCksum()
    expect(await send(dirs, ck.env)).toMatchObject({ verifiedFiles: 2, foldedFiles: 0 })
    expect(readFileSync(path.join(dirs.dst, 'pages-1.img')).equals(next)).toBe(true)

    // A stale table of a copy that differs: summed whole, and refused.
    const bad = readFileSync(path.join(dirs.basis, 'pages-1.img'))
    const w2 = world()
    await tables(w2.dirs.basis)
    await tables(w2.dirs.dst)
    flip(bad, 100 * PAGE + 1)
    writeFileSync(path.join(w2.dirs.dst, 'pages-1.img'), bad)
    await expect(send(w2.dirs, process.env)).rejects.toThrow(/pages-1\.img: size or CRC differs from the source/)
  })

  it('a table only on the source: the destination sums its patched copy whole (no cksum), and the copy checks', async () => {
    const { dirs, next } = world()
    await tables(dirs.basis)
    const ck = loggingCksum()
    expect(await send(dirs, ck.env)).toMatchObject({ verifiedFiles: 2, foldedFiles: 0 })
    expect(readFileSync(path.join(dirs.dst, 'pages-1.img')).equals(next)).toBe(true)
    expect(ck.calls()).toEqual([])
  })
})

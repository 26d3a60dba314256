import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { pageDeltaArgv, parsePageDelta, sentSoFar } from './page-delta'

const run = promisify(execFile)
const PAGE = 4096

/** A source image, the snapshot it last sent, and the destination's copy of that snapshot. */
function world() {
  const root = mkdtempSync(path.join(tmpdir(), 'gh-delta-'))
  const dirs = { img: path.join(root, 'img'), basis: path.join(root, 'snap'), dst: path.join(root, 'dst img') }
  for (const d of Object.values(dirs)) mkdirSync(d)
  const pages = Buffer.alloc(300 * PAGE)
  for (let i = 0; i < pages.length; i += 7) pages[i] = (i * 31) & 0xff
  const put = (dir: string, name: string, b: Buffer) => writeFileSync(path.join(dir, name), b)
  for (const d of [dirs.basis, dirs.dst]) {
    put(d, 'pages-1.img', pages)
    put(d, 'core-1.img', Buffer.from('old core'))
    put(d, 'gone.img', Buffer.from('only in the snapshot'))
  }
  const next = Buffer.from(pages)
  for (const p of [0, 5, 6, 299]) next.writeUInt8(next.readUInt8(p * PAGE + 100) ^ 0xff, p * PAGE + 100)
  put(dirs.img, 'pages-1.img', next)
  put(dirs.img, 'core-1.img', Buffer.from('new core, longer'))
  put(dirs.img, 'new.img', Buffer.alloc(3 * PAGE + 5, 9))
  return { dirs, next }
}

// The ssh stand-in runs the remote command here under sh, as sshd would hand it to a login shell.
const local = ['sh', '-c', 'eval "$1"', 'sh']

async function send(dirs: { img: string; basis: string; dst: string }, compress: boolean) {
  const argv = pageDeltaArgv({ img: dirs.img, basis: dirs.basis, remoteImg: dirs.dst, ssh: local, compress })
  const r = await run(argv[0]!, argv.slice(1), { maxBuffer: 1 << 24 })
  return parsePageDelta([...r.stdout.split('\n'), ...r.stderr.split('\n')])
}

describe('one-way page delta', () => {
  for (const compress of [true, false]) {
    it(`sends only the changed pages and whole new files, and the copy matches byte for byte (compress ${compress})`, async () => {
      const { dirs, next } = world()
      const f = await send(dirs, compress)
      // core-1.img grew past its old size: it goes as its one (partial) page; new.img goes whole.
      expect(f).toMatchObject({ files: 3, pages: 5, wholeFiles: 1, verifiedFiles: 3, sentBytes: 4 * PAGE + 16 + 3 * PAGE + 5 })
      expect(f.wireBytes).toBeGreaterThan(0)
      expect(readdirSync(dirs.dst).sort()).toEqual(['core-1.img', 'new.img', 'pages-1.img'])
      expect(readFileSync(path.join(dirs.dst, 'pages-1.img')).equals(next)).toBe(true)
      expect(readFileSync(path.join(dirs.dst, 'core-1.img'), 'utf8')).toBe('new core, longer')
    })
  }
  for (const [what, pages] of [['grew by 3 pages', 303], ['shrank by 2 pages', 298]] as const) {
    it(`a pages file that ${what} is still compared page by page, and the copy matches byte for byte`, async () => {
      const { dirs } = world()
      const old = readFileSync(path.join(dirs.basis, 'pages-1.img'))
      const next = Buffer.alloc(pages * PAGE, 5)
      old.copy(next, 0, 0, Math.min(old.length, next.length))
      next.writeUInt8(next.readUInt8(7 * PAGE) ^ 0xff, 7 * PAGE)
      writeFileSync(path.join(dirs.img, 'pages-1.img'), next)
      const f = await send(dirs, true)
      // One changed page plus whatever lies past the snapshot's end (and core-1.img's one page); never the whole file.
      expect(f.pages).toBe(1 + Math.max(0, pages - 300) + 1)
      expect(f.wholeFiles).toBe(1)
      expect(readFileSync(path.join(dirs.dst, 'pages-1.img')).equals(next)).toBe(true)
    })
  }
  it('says how many bytes went out every 256 KiB while it streams, then the wire total', async () => {
    const { dirs } = world()
    writeFileSync(path.join(dirs.img, 'big.img'), randomBytes(700_000))
    const argv = pageDeltaArgv({ img: dirs.img, basis: dirs.basis, remoteImg: dirs.dst, ssh: local, compress: true })
    const r = await run(argv[0]!, argv.slice(1), { maxBuffer: 1 << 24 })
    const sent = r.stderr.split('\n').map(sentSoFar).filter((n): n is number => n !== null)
    expect(sent.length).toBeGreaterThanOrEqual(2)
    expect(sent).toEqual([...sent].sort((a, b) => a - b))
    expect(sent.at(-1)!).toBeLessThanOrEqual(parsePageDelta(r.stderr.split('\n')).wireBytes!)
    expect(sentSoFar('globehop-delta: wire 5')).toBeNull()
  })
  it('a destination copy that is not the snapshot fails the check instead of restoring from it', async () => {
    const { dirs } = world()
    const bad = readFileSync(path.join(dirs.dst, 'pages-1.img'))
    bad.writeUInt8(bad.readUInt8(200 * PAGE) ^ 1, 200 * PAGE)
    writeFileSync(path.join(dirs.dst, 'pages-1.img'), bad)
    await expect(send(dirs, true)).rejects.toMatchObject({ stderr: expect.stringMatching(/pages-1\.img: size or CRC differs from the source/) })
  })
  it('a stream cut short is refused', async () => {
    const { dirs } = world()
    const argv = pageDeltaArgv({ img: dirs.img, basis: dirs.basis, remoteImg: dirs.dst, ssh: ['sh', '-c', 'head -c 5000 | (eval "$1")', 'sh'], compress: false })
    await expect(run(argv[0]!, argv.slice(1))).rejects.toMatchObject({ stderr: expect.stringMatching(/stream cut short/) })
  })
})

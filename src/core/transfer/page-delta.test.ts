import { execFile, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { CKSUM_SMALL, DEFLATE, INFLATE, pageDeltaArgv, parsePageDelta, RECEIVER, sentSoFar } from './page-delta'
import { loggingCksum, perlLibWithoutZlib } from './testing/tool-stubs'

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

/** A CRIU pagemap image: two magics, then length-prefixed protobuf records (head, then entries). */
function pagemap(pagesId: number, entries: Array<[vaddr: number, pages: number]>): Buffer {
  const varint = (n: number) => {
    const out: number[] = []
    while (n >= 0x80) {
      out.push((n % 0x80) | 0x80)
      n = Math.floor(n / 0x80)
    }
    out.push(n)
    return out
  }
  const record = (bytes: number[]) => {
    const len = Buffer.alloc(4)
    len.writeUInt32LE(bytes.length)
    return Buffer.concat([len, Buffer.from(bytes)])
  }
  const magic = Buffer.alloc(8)
  magic.writeUInt32LE(0x54564319, 0)
  magic.writeUInt32LE(0x56084025, 4)
  // vaddr = 1, compat nr_pages = 2 (0), flags = 4 (present), nr_pages = 5: as CRIU 4.2 writes them.
  const recs = entries.map(([v, n]) => record([0x08, ...varint(v), 0x10, 0, 0x20, 4, 0x28, ...varint(n)]))
  return Buffer.concat([magic, record([0x08, ...varint(pagesId)]), ...recs])
}

// The ssh stand-in runs the remote command here under sh, as sshd would hand it to a login shell.
const local = ['sh', '-c', 'eval "$1"', 'sh']

async function send(dirs: { img: string; basis: string; dst: string }, compress: boolean, env?: NodeJS.ProcessEnv) {
  const argv = pageDeltaArgv({ img: dirs.img, basis: dirs.basis, remoteImg: dirs.dst, ssh: local, compress })
  const r = await run(argv[0]!, argv.slice(1), { maxBuffer: 1 << 24, env })
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
  it('a file without a basis leaves its pages of zeros out (a hole on arrival, a trailing one too), and the copy matches byte for byte', async () => {
    const { dirs } = world()
    // 1 MiB chunks: a run of zero pages across the first chunk's end, data, zeros to the end.
    const mem = Buffer.alloc(300 * PAGE)
    for (const p of [2, 3, 200, 201, 202]) mem.fill(p, p * PAGE, (p + 1) * PAGE)
    mem[150 * PAGE + 7] = 1
    writeFileSync(path.join(dirs.img, 'pages-9.img'), mem)
    // Zero pages, then a last piece short of a page that is zeros too: it goes as data.
    writeFileSync(path.join(dirs.img, 'tail.img'), Buffer.alloc(2 * PAGE + 5))
    const f = await send(dirs, false)
    const data = 6 * PAGE + 5
    expect(f).toMatchObject({ zeroBytes: 300 * PAGE - 6 * PAGE + 2 * PAGE, verifiedFiles: 5 })
    expect(f.sentBytes).toBe(4 * PAGE + 16 + 3 * PAGE + 5 + data)
    expect(readFileSync(path.join(dirs.dst, 'pages-9.img')).equals(mem)).toBe(true)
    expect(readFileSync(path.join(dirs.dst, 'tail.img')).equals(Buffer.alloc(2 * PAGE + 5))).toBe(true)
  })
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
  it("a memory layout that moved (a mapping came in between): the file is rebuilt by virtual address from the old pages", async () => {
    const { dirs } = world()
    const page = (seed: number) => {
      const b = Buffer.alloc(PAGE)
      for (let i = 0; i < PAGE; i += 13) b[i] = (seed * 7 + i) & 0xff
      return b
    }
    // Before: mappings A (100 pages) and C (100 pages). After: B (10 new pages) between them, and
    // three pages of A and C rewritten.
    const A = 0x1000000
    const B = 0x2000000
    const Cv = 0x3000000
    const oldPages = [...Array(200).keys()].map((i) => page(i))
    const newPages = [...oldPages.slice(0, 100), ...[...Array(10).keys()].map((i) => page(1000 + i)), ...oldPages.slice(100)]
    for (const i of [3, 150, 209]) newPages[i] = Buffer.from(newPages[i]!).fill(0xee, 100, 140)
    for (const d of [dirs.basis, dirs.dst]) {
      writeFileSync(path.join(d, 'pages-1.img'), Buffer.concat(oldPages))
      writeFileSync(path.join(d, 'pagemap-1.img'), pagemap(1, [[A, 100], [Cv, 100]]))
    }
    writeFileSync(path.join(dirs.img, 'pages-1.img'), Buffer.concat(newPages))
    writeFileSync(path.join(dirs.img, 'pagemap-1.img'), pagemap(1, [[A, 100], [B, 10], [Cv, 100]]))
    const f = await send(dirs, true)
    // 10 new pages and 3 rewritten ones; the pagemap (one short page) and core-1.img (one) go as before.
    expect(f.pages).toBe(10 + 3 + 2)
    expect(readFileSync(path.join(dirs.dst, 'pages-1.img')).equals(Buffer.concat(newPages))).toBe(true)
    expect(readdirSync(dirs.dst).filter((n) => n.endsWith('.part'))).toEqual([])
  })
  it("an archive whose first member grew a block (podman's checkpoint.tar): members are matched by name, not offset", async () => {
    const { dirs } = world()
    const src = mkdtempSync(path.join(tmpdir(), 'gh-tar-'))
    const pages = Buffer.concat([...Array(200).keys()].map((i) => Buffer.alloc(PAGE, i & 0xff)))
    // GNU tar in ustar format, the members in a fixed order, as podman writes its archive.
    const archive = async (config: Buffer, p: Buffer, out: string) => {
      writeFileSync(path.join(src, 'config.dump'), config)
      writeFileSync(path.join(src, 'pages-1.img'), p)
      await run('tar', ['--format=ustar', '-cf', out, '-C', src, 'config.dump', 'pages-1.img'])
    }
    for (const d of [dirs.basis, dirs.dst]) await archive(Buffer.alloc(700, 1), pages, path.join(d, 'checkpoint.tar'))
    // config.dump crosses a 512-byte block (every page behind it moves by 512 bytes), and 3 pages change.
    const next = Buffer.from(pages)
    for (const i of [2, 100, 199]) next.fill(0xee, i * PAGE + 10, i * PAGE + 50)
    await archive(Buffer.alloc(1100, 1), next, path.join(dirs.img, 'checkpoint.tar'))
    const f = await send(dirs, true)
    expect(readFileSync(path.join(dirs.dst, 'checkpoint.tar')).equals(readFileSync(path.join(dirs.img, 'checkpoint.tar')))).toBe(true)
    // The 3 changed pages, config.dump's two blocks, core-1.img and the other small files: not the 200 pages.
    expect(f.pages).toBeLessThan(10)
    expect(f.sentBytes!).toBeLessThan(20 * PAGE)
  })
  it("an archive whose game memory layout moved too: CRIU's pages inside it are rebuilt by virtual address", async () => {
    const { dirs } = world()
    const src = mkdtempSync(path.join(tmpdir(), 'gh-tar-'))
    mkdirSync(path.join(src, 'checkpoint'))
    const page = (seed: number) => Buffer.alloc(PAGE, seed & 0xff).fill((seed * 7) & 0xff, 0, 64)
    const oldPages = [...Array(200).keys()].map((i) => page(i))
    // A mapping of 10 pages comes in between the two old ones, and 2 old pages change.
    const newPages = [...oldPages.slice(0, 100), ...[...Array(10).keys()].map((i) => page(1000 + i)), ...oldPages.slice(100)]
    for (const i of [3, 150]) newPages[i] = Buffer.from(newPages[i]!).fill(0xee, 100, 140)
    // podman's layout: its own files first, CRIU's images under checkpoint/.
    const archive = async (config: number, map: Buffer, pages: Buffer[], out: string) => {
      writeFileSync(path.join(src, 'config.dump'), Buffer.alloc(config, 1))
      writeFileSync(path.join(src, 'checkpoint', 'pagemap-1.img'), map)
      writeFileSync(path.join(src, 'checkpoint', 'pages-1.img'), Buffer.concat(pages))
      await run('tar', ['--format=ustar', '-cf', out, '-C', src, 'config.dump', 'checkpoint/pagemap-1.img', 'checkpoint/pages-1.img'])
    }
    for (const d of [dirs.basis, dirs.dst]) await archive(700, pagemap(1, [[0x1000000, 100], [0x3000000, 100]]), oldPages, path.join(d, 'checkpoint.tar'))
    await archive(1100, pagemap(1, [[0x1000000, 100], [0x2000000, 10], [0x3000000, 100]]), newPages, path.join(dirs.img, 'checkpoint.tar'))
    const f = await send(dirs, true)
    expect(readFileSync(path.join(dirs.dst, 'checkpoint.tar')).equals(readFileSync(path.join(dirs.img, 'checkpoint.tar')))).toBe(true)
    // 10 new pages and 2 changed ones, config.dump's and the pagemap's blocks, core-1.img, new.img: not ~100 shifted pages.
    expect(f.pages).toBeLessThan(10 + 2 + 8)
  })
  // Compressed, a counter after the compressor says it; uncompressed, the sender itself.
  for (const compress of [true, false]) {
    it(`says how many bytes went out every 256 KiB while it streams, then the wire total (compress ${compress})`, async () => {
      const { dirs } = world()
      // (The sender writes up to 1 MiB at a time.)
      writeFileSync(path.join(dirs.img, 'big.img'), randomBytes(1_500_000))
      // A link that takes 64 KiB every 20 ms (~0.5 s for the stream): lines 50 ms apart and more.
      const slow = ['sh', '-c', `perl -e 'binmode STDIN; binmode STDOUT; while (sysread(STDIN, my $b, 65536)) { syswrite(STDOUT, $b); select(undef, undef, undef, 0.02) }' | (eval "$1")`, 'sh']
      const argv = pageDeltaArgv({ img: dirs.img, basis: dirs.basis, remoteImg: dirs.dst, ssh: slow, compress })
      const r = await run(argv[0]!, argv.slice(1), { maxBuffer: 1 << 24 })
      const sent = r.stderr.split('\n').map(sentSoFar).filter((n): n is number => n !== null)
      expect(sent.length).toBeGreaterThanOrEqual(2)
      expect(sent).toEqual([...sent].sort((a, b) => a - b))
      const f = parsePageDelta([...r.stdout.split('\n'), ...r.stderr.split('\n')])
      expect(sent.at(-1)!).toBeLessThanOrEqual(f.wireBytes!)
      // Random bytes do not shrink: every byte of them and of the records' heads is on the wire.
      if (!compress) expect(f.wireBytes!).toBeGreaterThan(f.sentBytes!)
      expect(f.verifiedFiles).toBe(f.files)
      expect(sentSoFar('globehop-delta: wire 5')).toBeNull()
    })
    it(`on a fast link no more than one line per 50 ms, however many 256 KiB go by (compress ${compress})`, async () => {
      const { dirs } = world()
      writeFileSync(path.join(dirs.img, 'big.img'), randomBytes(24 << 20))
      const argv = pageDeltaArgv({ img: dirs.img, basis: dirs.basis, remoteImg: dirs.dst, ssh: local, compress })
      const t0 = performance.now()
      const r = await run(argv[0]!, argv.slice(1), { maxBuffer: 1 << 26 })
      const ms = performance.now() - t0
      const sent = r.stderr.split('\n').map(sentSoFar).filter((n): n is number => n !== null)
      // 96 lines at 256 KiB each; at most one per 50 ms of the whole run.
      expect(sent.length).toBeGreaterThanOrEqual(1)
      expect(sent.length).toBeLessThanOrEqual(Math.ceil(ms / 50) + 1)
      expect(sent.length).toBeLessThan(96)
      expect(parsePageDelta(r.stderr.split('\n')).wireBytes).toBeGreaterThan(24 << 20)
    })
  }
  it('a destination copy that is not the snapshot fails the check instead of restoring from it', async () => {
    const { dirs } = world()
    const bad = readFileSync(path.join(dirs.dst, 'pages-1.img'))
    bad.writeUInt8(bad.readUInt8(200 * PAGE) ^ 1, 200 * PAGE)
    writeFileSync(path.join(dirs.dst, 'pages-1.img'), bad)
    await expect(send(dirs, true)).rejects.toMatchObject({ stderr: expect.stringMatching(/pages-1\.img: size or CRC differs from the source/) })
  })
  it("a big file's CRC starts on the destination once its last record is in, the small ones' at the end", async () => {
    const { dirs, next } = world()
    const ck = loggingCksum()
    const f = await send(dirs, true, ck.env)
    expect(f.verifiedFiles).toBe(3)
    expect(readFileSync(path.join(dirs.dst, 'pages-1.img')).equals(next)).toBe(true)
    const calls = ck.calls()
    // Only pages-1.img (1.2 MB) goes to cksum, once on each side; the small files are summed in perl.
    expect(calls).toEqual(['-- pages-1.img', '-- pages-1.img'])
  })
  it("the small files' CRC in perl is cksum(1)'s, byte for byte; past 64 KiB in all the rest go to cksum", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gh-crc-'))
    const sizes = [0, 1, 255, 256, 4097, 40_000, 40_001]
    const names = sizes.map((n, i) => {
      const b = Buffer.alloc(n)
      for (let k = 0; k < n; k++) b[k] = (k * 31 + i * 7 + (k >> 8)) & 0xff
      writeFileSync(path.join(dir, `f${i}.img`), b)
      return `f${i}.img`
    })
    const out = execFileSync('perl', ['-e', `${CKSUM_SMALL}\nmy ($in, $out) = small_first(@ARGV); print map { cksum_line($_) } @$in; print "rest @$out\\n";`, ...names], { cwd: dir }).toString()
    const lines = out.trim().split('\n')
    const want = execFileSync('cksum', ['--', ...names.slice(0, 6)], { cwd: dir }).toString().trim().split('\n')
    // Smallest first: 0 + 1 + 255 + 256 + 4097 + 40000 bytes fit in 64 KiB, the second 40 KB file does not.
    expect(lines.slice(0, -1).sort()).toEqual(want.sort())
    expect(lines.at(-1)).toBe('rest f6.img')
  })
  it('a stream cut short is refused', async () => {
    const { dirs } = world()
    const argv = pageDeltaArgv({ img: dirs.img, basis: dirs.basis, remoteImg: dirs.dst, ssh: ['sh', '-c', 'head -c 5000 | (eval "$1")', 'sh'], compress: false })
    await expect(run(argv[0]!, argv.slice(1))).rejects.toMatchObject({ stderr: expect.stringMatching(/stream cut short/) })
  })
})

/** perl without zlib's module (Debian's perl-base alone). */
const perlWithoutZlib = (): NodeJS.ProcessEnv => ({ ...process.env, PERL5LIB: perlLibWithoutZlib() })

describe("the delta's compressor", () => {
  // XORed pages: mostly zeros, a few changed bytes each.
  const pagesLike = (n: number) => {
    const b = Buffer.alloc(n * PAGE)
    for (let p = 0; p < n; p++) randomBytes(40).copy(b, p * PAGE + ((p * 97) % 4000))
    return b
  }
  const filter = (script: string, args: string[] = []) => spawn('perl', ['-e', script, '--', ...args], { stdio: ['pipe', 'pipe', 'inherit'] })

  it('lets out what it has whenever its input pauses, and every byte so far decodes (a sync flush)', async () => {
    const first = pagesLike(50)
    const z = filter(DEFLATE, ['6'])
    const out: Buffer[] = []
    z.stdout.on('data', (b: Buffer) => out.push(b))
    z.stdin.write(first)
    await new Promise((r) => setTimeout(r, 300))
    // The input is still open: gzip(1) would hold all of it.
    const soFar = Buffer.concat(out)
    expect(soFar.length).toBeGreaterThan(0)
    expect(soFar.length).toBeLessThan(first.length / 10)
    const u = filter(INFLATE)
    const got: Buffer[] = []
    u.stdout.on('data', (b: Buffer) => got.push(b))
    u.stdin.write(soFar)
    await new Promise((r) => setTimeout(r, 300))
    expect(Buffer.concat(got).equals(first)).toBe(true)
    z.stdin.end()
    u.stdin.end()
    await new Promise((r) => z.on('close', r))
  })

  it('speaks gzip both ways: gzip -dc reads what it wrote, and it reads what gzip wrote', async () => {
    const data = pagesLike(200)
    const pipe = async (argv: string[], input: Buffer) => {
      const p = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] })
      const out: Buffer[] = []
      p.stdout.on('data', (b: Buffer) => out.push(b))
      p.stdin.end(input)
      const code = await new Promise((r) => p.on('close', r))
      return { code, out: Buffer.concat(out) }
    }
    const mine = await pipe(['perl', '-e', DEFLATE, '--', '6'], data)
    expect(mine.code).toBe(0)
    expect((await pipe(['gzip', '-dc'], mine.out)).out.equals(data)).toBe(true)
    const theirs = await pipe(['gzip', '-6'], data)
    const back = await pipe(['perl', '-e', INFLATE], theirs.out)
    expect(back.code).toBe(0)
    expect(back.out.equals(data)).toBe(true)
    // A stream cut short is an error, not a short file.
    const cut = await pipe(['perl', '-e', INFLATE], theirs.out.subarray(0, theirs.out.length - 20))
    expect(cut.code).not.toBe(0)
  })

  it("a file whose CRC came along reaching a perl without zlib's module is refused by name, not taken on trust", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gh-recv-'))
    const stream = 'N a.img z\nA 3\nabcE\nS\nz 891568578 3 a.img\nZ\n'
    const err = await new Promise<string>((resolve) => {
      const p = spawn('perl', ['-e', RECEIVER, '--', dir], { env: perlWithoutZlib() })
      let e = ''
      p.stderr.on('data', (b: Buffer) => (e += b.toString()))
      p.on('close', (code) => resolve(`${code} ${e}`))
      p.stdin.end(stream)
    })
    expect(err).toMatch(/^[1-9]\d* a\.img: its CRC came along, but this perl has no Compress::Raw::Zlib to check it/)
    // With the module the same stream verifies (891568578: zlib's CRC-32 of "abc").
    const ok = execFileSync('perl', ['-e', RECEIVER, '--', dir], { input: stream }).toString()
    expect(ok).toBe('globehop-delta: verified 1 files 3 bytes\n')
  })

  it('without zlib\'s perl module both ends fall back to gzip(1), and the copy still matches', async () => {
    const { dirs, next } = world()
    const f = await send(dirs, true, perlWithoutZlib())
    expect(f).toMatchObject({ files: 3, pages: 5, verifiedFiles: 3 })
    expect(readFileSync(path.join(dirs.dst, 'pages-1.img')).equals(next)).toBe(true)
  })
})

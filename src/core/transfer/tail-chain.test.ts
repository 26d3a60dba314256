import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { parsePageDelta } from './page-delta'
import { crcTablesArgv } from './page-crcs'
import { loggingCksum, perlLibWithoutZlib } from './testing/tool-stubs'
import { fenceArgv, GATE_EXIT, GATE_GO, gateArgv, NO_RECEIVER_EXIT, parseFence, postRestoreWaitMs, TAIL_MARK, tailChainArgv } from './tail-chain'

const run = promisify(execFile)
const PAGE = 4096
// The ssh stand-in runs the remote command here under sh, as sshd would hand it to a login shell.
const local = ['sh', '-c', 'eval "$1"', 'sh']

/** A source hop dir whose "checkpoint" writes the final image, and a destination holding the last snapshot. */
function world() {
  const root = mkdtempSync(path.join(tmpdir(), 'gh-tail-'))
  const src = path.join(root, 'src')
  const dst = path.join(root, 'dst hop')
  const d = { src, dst, img: path.join(src, 'img'), basis: path.join(src, 'snap-1'), remoteImg: path.join(dst, 'img'), next: path.join(root, 'next') }
  for (const p of [d.img, d.basis, d.remoteImg, d.next]) mkdirSync(p, { recursive: true })
  const pages = Buffer.alloc(64 * PAGE, 3)
  for (const dir of [d.basis, d.remoteImg]) writeFileSync(path.join(dir, 'pages-1.img'), pages)
  const next = Buffer.from(pages)
  next.writeUInt8(7, 10 * PAGE)
  writeFileSync(path.join(d.next, 'pages-1.img'), next)
  writeFileSync(path.join(d.next, 'core-1.img'), 'core')
  return { ...d, nextPages: next, restored: path.join(dst, 'restored'), claim: path.join(dst, 'restore.claim'), done: path.join(dst, 'restore.done'), held: path.join(dst, 'restore.held'), go: path.join(dst, 'restore.go'), marker: path.join(dst, 'tail.verified') }
}

type World = ReturnType<typeof world>
const fenceOf = (w: World) => ({ hopDir: w.dst, claim: w.claim, done: w.done, held: w.held, go: w.go })

function source(w: World, checkpoint: string[], o: { ssh?: string[]; dumpLog?: string; env?: NodeJS.ProcessEnv } = {}) {
  return tailChainArgv({ checkpoint, dumpLog: o.dumpLog, img: w.img, basis: w.basis, remoteImg: w.remoteImg, ssh: o.ssh ?? local, compress: true, fifo: path.join(w.src, 'tail.fifo'), marker: w.marker })
}

// "Dumps" by copying the prepared next image into place, as CRIU writes the final image.
const dump = (w: World) => ['cp', path.join(w.next, 'pages-1.img'), path.join(w.next, 'core-1.img'), w.img]

interface Ran {
  code: number
  out: string
  err: string
}

function exec(argv: string[], onLine?: (l: string, stdin: NodeJS.WritableStream) => void, env?: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env })
    let out = ''
    let err = ''
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString()
      for (const l of b.toString().split('\n')) if (l) onLine?.(l, p.stdin)
    })
    p.stderr.on('data', (b: Buffer) => (err += b.toString()))
    if (!onLine) p.stdin.end()
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }))
  })
}

/** The gate and the source's command side by side; `answer` is what the engine writes on "verified". */
async function hop(w: World, checkpoint: string[], answer: string | null, gateMs = 5000, o: Parameters<typeof source>[2] = {}) {
  const gate = exec(gateArgv({ marker: w.marker, waitMs: gateMs, claim: w.claim, done: w.done, restore: ['sh', '-c', 'echo "$1" >"$2"', 'sh', 'ran', w.restored] }), (l, stdin) => {
    if (!l.startsWith(TAIL_MARK.verified)) return
    if (answer === null) stdin.end()
    else stdin.end(answer)
  })
  const src = await exec(source(w, checkpoint, o), undefined, o.env)
  return { src, gate: await gate }
}

describe('the one-command tail (dump, one-way delta, verify) and the restore gate', () => {
  it('dumps, streams only the changed page, verifies every file; the gate restores on the go-ahead', async () => {
    const w = world()
    const { src, gate } = await hop(w, dump(w), GATE_GO)
    expect(src.code).toBe(0)
    expect(gate.code).toBe(0)
    const at = (s: string) => src.out.split('\n').findIndex((l) => l.startsWith(s))
    expect(at(TAIL_MARK.dumped)).toBeGreaterThanOrEqual(0)
    expect(at('globehop-delta: verified')).toBeGreaterThan(at(TAIL_MARK.dumped))
    const g = gate.out.split('\n')
    expect(g[0]).toBe(TAIL_MARK.gateReady)
    expect(g[1]).toMatch(new RegExp(`^${TAIL_MARK.verified} globehop-delta: verified 2 files`))
    expect(g[2]).toBe(TAIL_MARK.restoring)
    expect(parsePageDelta([...src.out.split('\n'), ...src.err.split('\n')])).toMatchObject({ files: 2, pages: 1, wholeFiles: 1, verifiedFiles: 2 })
    expect(readFileSync(path.join(w.remoteImg, 'pages-1.img')).equals(w.nextPages)).toBe(true)
    expect(readFileSync(w.restored, 'utf8')).toBe('ran\n')
    expect(readFileSync(w.done, 'utf8')).toBe('0\n')
    expect(existsSync(path.join(w.src, 'tail.fifo'))).toBe(false)
  })

  it('a whole image (stop-and-copy: no snapshot anywhere): every file whole, zstd on the wire, into a new dir there, verified', async () => {
    const w = world()
    rmSync(w.remoteImg, { recursive: true })
    const argv = tailChainArgv({ checkpoint: dump(w), img: w.img, basis: path.join(w.src, 'no-basis'), remoteImg: w.remoteImg, ssh: local, compress: true, zstdLevel: 3, fifo: path.join(w.src, 'tail.fifo'), marker: w.marker })
    // zstd(1) in the pipe on both ends, nothing of gzip's.
    expect(argv[7]).toBe('zstd3')
    expect(argv[9]).toContain('zstd -dqc | perl')
    const gate = exec(gateArgv({ marker: w.marker, waitMs: 5000, claim: w.claim, done: w.done, restore: ['sh', '-c', 'echo "$1" >"$2"', 'sh', 'ran', w.restored] }), (l, stdin) => {
      if (l.startsWith(TAIL_MARK.verified)) stdin.end(GATE_GO)
    })
    const src = await exec(argv)
    expect(src.code).toBe(0)
    expect((await gate).code).toBe(0)
    const f = parsePageDelta([...src.out.split('\n'), ...src.err.split('\n')])
    expect(f).toMatchObject({ files: 2, pages: 0, wholeFiles: 2, verifiedFiles: 2, totalBytes: 64 * PAGE + 4 })
    // 256 KiB of repeated bytes: zstd's frame is a few dozen bytes.
    expect(f.wireBytes).toBeLessThan(1000)
    expect(readFileSync(path.join(w.remoteImg, 'pages-1.img')).equals(w.nextPages)).toBe(true)
    expect(readFileSync(path.join(w.remoteImg, 'core-1.img'), 'utf8')).toBe('core')
    expect(readFileSync(w.restored, 'utf8')).toBe('ran\n')
  })

  describe("a whole image's files carry their CRC along where both ends' perl has zlib", () => {
    // 64 pages: data, a run of zero pages, data, and zero pages to the end (holes, folded into the CRC).
    function wholeWorld() {
      const w = world()
      rmSync(w.remoteImg, { recursive: true })
      const pages = Buffer.alloc(64 * PAGE)
      for (let i = 0; i < 20 * PAGE; i += 3) pages[i] = (i * 7) & 0xff
      pages.fill(9, 40 * PAGE, 61 * PAGE)
      writeFileSync(path.join(w.next, 'pages-1.img'), pages)
      return { w, pages }
    }
    function wholeHop(w: World, ssh: string[], env: NodeJS.ProcessEnv, gateMs = 5000) {
      const argv = tailChainArgv({ checkpoint: dump(w), img: w.img, basis: path.join(w.src, 'no-basis'), remoteImg: w.remoteImg, ssh, compress: false, fifo: path.join(w.src, 'tail.fifo'), marker: w.marker })
      const gate = exec(gateArgv({ marker: w.marker, waitMs: gateMs, claim: w.claim, done: w.done, restore: ['sh', '-c', 'echo "$1" >"$2"', 'sh', 'ran', w.restored] }), (l, stdin) => {
        if (l.startsWith(TAIL_MARK.verified)) stdin.end(GATE_GO)
      })
      return Promise.all([exec(argv, undefined, env), gate])
    }

    it('no cksum reads them again on either end, holes and all, and the copy is exact; a destination without the module gets cksum lines as before', async () => {
      const { w, pages } = wholeWorld()
      const ck = loggingCksum()
      const [src, gate] = await wholeHop(w, local, ck.env)
      expect(src.code).toBe(0)
      expect(gate.code).toBe(0)
      expect(parsePageDelta(src.err.split('\n'))).toMatchObject({ wholeFiles: 2, zeroBytes: 23 * PAGE })
      expect(src.out).toContain('globehop-delta: verified 2 files')
      expect(readFileSync(path.join(w.remoteImg, 'pages-1.img')).equals(pages)).toBe(true)
      expect(ck.calls()).toEqual([])

      const again = wholeWorld()
      const ck2 = loggingCksum()
      // The destination's perl without zlib's module (perl-base alone); the source's has it.
      const [src2, gate2] = await wholeHop(again.w, ['sh', '-c', `export PERL5LIB='${perlLibWithoutZlib()}'; eval "$1"`, 'sh'], ck2.env)
      expect(src2.code).toBe(0)
      expect(gate2.code).toBe(0)
      expect(readFileSync(path.join(again.w.remoteImg, 'pages-1.img')).equals(again.pages)).toBe(true)
      // The pages file (256 KiB: past the 64 KiB summed in perl) on both ends.
      expect(ck2.calls()).toEqual(['-- pages-1.img', '-- pages-1.img'])
    })

    it('a byte changed on the way fails the check: nothing is verified, nothing restores', async () => {
      const { w } = wholeWorld()
      // Flips the 101st byte of the pages file's first data record on its way in.
      const flip = path.join(w.src, 'flip.pl')
      writeFileSync(flip, 'binmode STDIN; binmode STDOUT; local $/; my $s = <STDIN>; $s =~ s/(N pages-1\\.img z\\nA \\d+\\n.{100})(.)/$1 . chr(ord($2) ^ 1)/se or die "no record to flip\\n"; print $s;\n')
      const [src, gate] = await wholeHop(w, ['sh', '-c', `perl '${flip}' | (eval "$1")`, 'sh'], process.env, 800)
      expect(src.code).not.toBe(0)
      expect(src.err + src.out).toMatch(/pages-1\.img: size or CRC differs from the source/)
      expect(gate.code).toBe(GATE_EXIT.noCopy)
      expect(existsSync(w.restored)).toBe(false)
    })
  })

  it("an image whose cgroup.img says FROZEN (the game frozen first: criu/freeze-first.ts) arrives, and stays on the source, saying THAWED", async () => {
    const w = world()
    const frozen = Buffer.concat([Buffer.from([0x1a, 0x0a]), Buffer.from('\x0a\x0dfreezer.state\x12\x06FROZEN', 'latin1')])
    writeFileSync(path.join(w.next, 'cgroup.img'), frozen)
    const { src } = await hop(w, ['cp', path.join(w.next, 'pages-1.img'), path.join(w.next, 'core-1.img'), path.join(w.next, 'cgroup.img'), w.img], GATE_GO)
    expect(src.code).toBe(0)
    const thawed = Buffer.from(frozen.toString('latin1').replace('FROZEN', 'THAWED'), 'latin1')
    expect(readFileSync(path.join(w.remoteImg, 'cgroup.img')).equals(thawed)).toBe(true)
    expect(readFileSync(path.join(w.img, 'cgroup.img')).equals(thawed)).toBe(true)
  })

  it("nothing freezes before the destination's receiver is there: a session that cannot open runs no checkpoint", async () => {
    const w = world()
    const ran = path.join(w.src, 'checkpoint ran')
    const refused = ['sh', '-c', 'echo "ssh: connect to host 203.0.113.9 port 22: Connection refused" >&2; exit 255', 'sh']
    const { src, gate } = await hop(w, ['touch', ran], GATE_GO, 600, { ssh: refused })
    expect(src.code).toBe(NO_RECEIVER_EXIT)
    expect(src.out).toContain(`${TAIL_MARK.noReceiver} (ssh exit 255)`)
    expect(src.out).not.toContain(TAIL_MARK.freezing)
    expect(src.err).toContain('Connection refused')
    expect(existsSync(ran)).toBe(false)
    expect(gate.code).toBe(GATE_EXIT.noCopy)
  })

  it("the pages go out on CRIU's last log line, before the checkpoint's own cleanup ends", async () => {
    const w = world()
    const log = path.join(w.src, 'dump.log')
    // The stand-in ends its "dump" with CRIU's line, then exits 0 only once the copy was verified there.
    const ckpt = ['sh', '-c', `echo "(00.008663) freezing processes: 0 attempts done" >>"$1" && sleep 0.2 && ${dump(w).map((a) => `'${a}'`).join(' ')} && echo "(00.340308) Dumping finished successfully" >>"$1" && i=0 && while [ ! -e "$2" ] && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i+1)); done; [ -e "$2" ]`, 'sh', log, w.marker]
    const { src, gate } = await hop(w, ckpt, GATE_GO, 15_000, { dumpLog: log })
    expect(src.code).toBe(0)
    // CRIU's frozen line is passed on at once (the engine moves the IP on it), before the dump's end.
    const lines = src.out.split('\n')
    expect(lines.indexOf(TAIL_MARK.frozen)).toBeGreaterThan(lines.indexOf(TAIL_MARK.freezing))
    expect(lines.indexOf(TAIL_MARK.dumped)).toBeGreaterThan(lines.indexOf(TAIL_MARK.frozen))
    expect(gate.code).toBe(0)
    expect(readFileSync(path.join(w.remoteImg, 'pages-1.img')).equals(w.nextPages)).toBe(true)
  })

  // CRIU's lines around the freeze (criu/seize.c, 4.2 and before 4.1): the IP moves on the first
  // of them, before the freezer's 100 ms poll; a thaw for a plugin is not a freeze.
  it.each([
    ['(00.005012) freezing cgroup /sys/fs/cgroup/freezer/globehop/game: 100 x 100ms attempts, timeout: 10s', true],
    ['(00.000340) freezing processes: 100 attempts with 100 ms steps', true],
    ['(00.105204) freezing processes: 1 attempts done', true],
    ['(00.004718) SEIZE 4242 (comm darkplaces-ser): success', true],
    ['(00.004718) Warn  (criu/seize.c:532): unfreezing cgroup for plugin compatibility', false],
  ])('CRIU\'s line %j says frozen: %s', async (line, frozen) => {
    const w = world()
    const log = path.join(w.src, 'dump.log')
    const ckpt = ['sh', '-c', `echo "$2" >>"$1" && ${dump(w).map((a) => `'${a}'`).join(' ')} && echo "(00.340308) Dumping finished successfully" >>"$1"`, 'sh', log, line]
    const { src, gate } = await hop(w, ckpt, GATE_GO, 15_000, { dumpLog: log })
    expect(src.code).toBe(0)
    expect(gate.code).toBe(0)
    expect(src.out.split('\n').includes(TAIL_MARK.frozen)).toBe(frozen)
  })

  it('a whole image streams its pages file as CRIU writes it: the first half is on the destination before the second is written; exact, verified', async () => {
    const w = world()
    rmSync(w.remoteImg, { recursive: true })
    const log = path.join(w.src, 'dump.log')
    const seen = path.join(w.src, 'seen')
    const half = path.join(w.next, 'half')
    const rest = path.join(w.next, 'rest')
    writeFileSync(half, w.nextPages.subarray(0, 32 * PAGE))
    writeFileSync(rest, w.nextPages.subarray(32 * PAGE))
    // The stand-in writes half the pages, waits (up to 5 s) until 16 pages of them are on the
    // destination (in the file the receiver builds aside), then the rest and its last lines.
    const part = path.join(w.remoteImg, '.pages-1.img.part')
    const script = [
      'echo "(00.006427) freezing processes: 0 attempts done" >>"$1"',
      'mkdir -p "$2"',
      `cat '${half}' >"$2/pages-1.img"`,
      `i=0; until [ "$(stat -c %s '${part}' 2>/dev/null || echo 0)" -ge ${16 * PAGE} ]; do [ "$i" -lt 100 ] || break; sleep 0.05; i=$((i+1)); done`,
      `if [ "$i" -lt 100 ]; then echo early >"$3"; else echo late >"$3"; fi`,
      `cat '${rest}' >>"$2/pages-1.img"`,
      `cp '${path.join(w.next, 'core-1.img')}' "$2"`,
      'echo "(00.068662) mnt: Dumping mountpoints" >>"$1"',
      'echo "(00.159903) Dumping finished successfully" >>"$1"',
    ].join('\n')
    const checkpoint = ['sh', '-c', script, 'sh', log, w.img, seen]
    // No compressor in the pipe: what the sender wrote is on the destination at once.
    const argv = tailChainArgv({ checkpoint, dumpLog: log, img: w.img, basis: path.join(w.src, 'no-basis'), remoteImg: w.remoteImg, ssh: local, compress: false, fifo: path.join(w.src, 'tail.fifo'), marker: w.marker })
    const gate = exec(gateArgv({ marker: w.marker, waitMs: 15_000, claim: w.claim, done: w.done, restore: ['sh', '-c', 'echo "$1" >"$2"', 'sh', 'ran', w.restored] }), (l, stdin) => {
      if (l.startsWith(TAIL_MARK.verified)) stdin.end(GATE_GO)
    })
    const src = await exec(argv)
    expect(readFileSync(seen, 'utf8')).toBe('early\n')
    expect(src.code).toBe(0)
    expect((await gate).code).toBe(0)
    expect(parsePageDelta(src.err.split('\n'))).toMatchObject({ files: 2, pages: 0, wholeFiles: 2, streamedFiles: 1, followedFiles: 0 })
    expect(readFileSync(path.join(w.remoteImg, 'pages-1.img')).equals(w.nextPages)).toBe(true)
    expect(readFileSync(path.join(w.remoteImg, 'core-1.img'), 'utf8')).toBe('core')
    expect(readFileSync(w.restored, 'utf8')).toBe('ran\n')
  })

  it("a whole image sends the runtime's lead files first (runc's descriptors.json, there before CRIU's log), before CRIU writes its pages; a lead file the basis has waits as before", async () => {
    for (const whole of [true, false]) {
      const w = world()
      if (whole) rmSync(w.remoteImg, { recursive: true })
      else for (const d of [w.remoteImg, w.basis]) writeFileSync(path.join(d, 'descriptors.json'), '["old"]')
      const log = path.join(w.src, 'dump.log')
      const seen = path.join(w.src, 'seen')
      const there = path.join(w.remoteImg, 'descriptors.json')
      // runc writes descriptors.json, then CRIU starts its log; the stand-in's pages wait (up to
      // 1 s) until the lead file is on the destination.
      const script = [
        'mkdir -p "$2"',
        `echo '["/dev/null"]' >"$2/descriptors.json"`,
        'echo "(00.006427) freezing processes: 0 attempts done" >>"$1"',
        `i=0; until grep -q null '${there}' 2>/dev/null; do [ "$i" -lt 20 ] || break; sleep 0.05; i=$((i+1)); done`,
        `if [ "$i" -lt 20 ]; then echo early >"$3"; else echo late >"$3"; fi`,
        `cp '${path.join(w.next, 'pages-1.img')}' '${path.join(w.next, 'core-1.img')}' "$2"`,
        'echo "(00.068662) mnt: Dumping mountpoints" >>"$1"',
        'echo "(00.159903) Dumping finished successfully" >>"$1"',
      ].join('\n')
      const checkpoint = ['sh', '-c', script, 'sh', log, w.img, seen]
      const argv = tailChainArgv({ checkpoint, dumpLog: log, leadFiles: ['descriptors.json'], img: w.img, basis: whole ? path.join(w.src, 'no-basis') : w.basis, remoteImg: w.remoteImg, ssh: local, compress: false, fifo: path.join(w.src, 'tail.fifo'), marker: w.marker })
      const gate = exec(gateArgv({ marker: w.marker, waitMs: 15_000, claim: w.claim, done: w.done, restore: ['sh', '-c', 'echo "$1" >"$2"', 'sh', 'ran', w.restored] }), (l, stdin) => {
        if (l.startsWith(TAIL_MARK.verified)) stdin.end(GATE_GO)
      })
      const src = await exec(argv)
      expect(readFileSync(seen, 'utf8')).toBe(whole ? 'early\n' : 'late\n')
      expect(src.code, src.err).toBe(0)
      expect((await gate).code).toBe(0)
      expect(parsePageDelta([...src.out.split('\n'), ...src.err.split('\n')])).toMatchObject({ files: 3, verifiedFiles: 3 })
      expect(readFileSync(there, 'utf8')).toBe('["/dev/null"]\n')
      expect(readFileSync(path.join(w.remoteImg, 'pages-1.img')).equals(w.nextPages)).toBe(true)
    }
  })
  it('lead file names are plain names', () => {
    const w = world()
    expect(() => tailChainArgv({ checkpoint: ['true'], leadFiles: ['../x'], img: w.img, basis: w.basis, remoteImg: w.remoteImg, ssh: local, compress: false, fifo: 'f', marker: 'm' })).toThrow(/odd lead file name/)
  })

  it("the task's pages go out at CRIU's line after its last task, while CRIU still dumps the rest", async () => {
    const w = world()
    const log = path.join(w.src, 'dump.log')
    const seen = path.join(w.src, 'seen')
    const at = (f: string) => `'${path.join(w.next, f)}'`
    // The stand-in makes the image dir (as the runtime does), writes the pages, says its last task
    // is done, and finishes only once the changed page arrived on the destination (or after 5 s,
    // when it notes that it did not).
    rmSync(w.img, { recursive: true })
    const script = [
      'echo "(00.006427) freezing processes: 0 attempts done" >>"$1"',
      'mkdir "$3"',
      `cp ${at('pages-1.img')} "$3"`,
      'echo "(00.068662) mnt: Dumping mountpoints" >>"$1"',
      `i=0; until cmp -s ${at('pages-1.img')} "$4/pages-1.img"; do [ "$i" -lt 100 ] || break; sleep 0.05; i=$((i+1)); done`,
      `if [ "$i" -lt 100 ]; then echo early >"$2"; else echo late >"$2"; fi`,
      `cp ${at('core-1.img')} "$3"`,
      'echo "(00.159903) Dumping finished successfully" >>"$1"',
    ].join('\n')
    const { src, gate } = await hop(w, ['sh', '-c', script, 'sh', log, seen, w.img, w.remoteImg], GATE_GO, 15_000, { dumpLog: log })
    expect(readFileSync(seen, 'utf8')).toBe('early\n')
    expect(src.code).toBe(0)
    expect(gate.code).toBe(0)
    expect(gate.out).toMatch(/verified 2 files/)
    expect(readFileSync(path.join(w.remoteImg, 'pages-1.img')).equals(w.nextPages)).toBe(true)
    expect(readFileSync(path.join(w.remoteImg, 'core-1.img'), 'utf8')).toBe('core')
  })

  // With the snapshot's page CRC tables on both hosts (page-crcs.ts) the pages file, followed or
  // scanned again, is checked from them: the destination folds its CRC, nothing reads it whole.
  it.each([
    ['the basis', 1, false],
    ['another (the layout moved)', 0, false],
    ['the basis', 1, true],
    ['another (the layout moved)', 0, true],
  ])("follows a pages file while CRIU writes it and sends its changed pages at CRIU's line after its last task when the pagemap is %s: followed %i, exact either way (page CRC tables: %s)", async (pagemap, followed, tables) => {
    const w = world()
    const log = path.join(w.src, 'dump.log')
    // The new image: page 10 changed (from world()), page 40 too, and the file grew by two pages
    // (plain bytes past the basis), written in two halves 0.3 s apart.
    const next = Buffer.concat([w.nextPages, Buffer.alloc(2 * PAGE, 9)])
    next.writeUInt8(5, 40 * PAGE)
    const half = path.join(w.next, 'half')
    const rest = path.join(w.next, 'rest')
    writeFileSync(half, next.subarray(0, 32 * PAGE))
    writeFileSync(rest, next.subarray(32 * PAGE))
    for (const dir of [w.basis, w.remoteImg]) writeFileSync(path.join(dir, 'pagemap-1.img'), 'map')
    writeFileSync(path.join(w.next, 'pagemap-1.img'), followed ? 'map' : 'moved')
    for (const dir of tables ? [w.basis, w.remoteImg] : []) {
      const [cmd, ...args] = crcTablesArgv(dir)
      await run(cmd!, args)
    }
    const script = [
      'echo "(00.006427) freezing processes: 0 attempts done" >>"$1"',
      `cat '${half}' >"$2/pages-1.img"`,
      'sleep 0.3',
      `cat '${rest}' >>"$2/pages-1.img"`,
      `cp '${path.join(w.next, 'pagemap-1.img')}' '${path.join(w.next, 'core-1.img')}' "$2"`,
      'echo "(00.068662) mnt: Dumping mountpoints" >>"$1"',
      'echo "(00.159903) Dumping finished successfully" >>"$1"',
    ].join('\n')
    const ck = loggingCksum()
    const { src, gate } = await hop(w, ['sh', '-c', script, 'sh', log, w.img], GATE_GO, 15_000, { dumpLog: log, env: ck.env })
    expect(src.code).toBe(0)
    // Pages 10 and 40, the two past the basis, and the pagemap where it moved.
    expect(parsePageDelta([...src.out.split('\n'), ...src.err.split('\n')])).toMatchObject({ files: 3, followedFiles: followed, pages: 4 + (1 - followed), verifiedFiles: 3, foldedFiles: tables ? 1 : 0 })
    expect(gate.code).toBe(0)
    expect(readFileSync(path.join(w.remoteImg, 'pages-1.img')).equals(next)).toBe(true)
    // (264 KiB: under 1 MiB, summed by zlib in the process where there is no table.)
    expect(ck.calls()).toEqual([])
  })

  it('a followed pages file that ends shorter than the basis is cut to its size there; one there before the dump is not followed', async () => {
    const w = world()
    const log = path.join(w.src, 'dump.log')
    const short = w.nextPages.subarray(0, 48 * PAGE)
    writeFileSync(path.join(w.next, 'short'), short)
    // pages-2.img: in the image dir from before this dump (a leftover, a second older than its log), and in the basis.
    const two = Buffer.alloc(8 * PAGE, 1)
    for (const dir of [w.basis, w.remoteImg]) writeFileSync(path.join(dir, 'pages-2.img'), two)
    writeFileSync(path.join(w.img, 'pages-2.img'), two)
    await new Promise((r) => setTimeout(r, 1100))
    const script = [
      'echo "(00.006427) freezing processes: 0 attempts done" >>"$1"',
      `cp '${path.join(w.next, 'short')}' "$2/pages-1.img"`,
      `cp '${path.join(w.next, 'core-1.img')}' "$2"`,
      'echo "(00.068662) mnt: Dumping mountpoints" >>"$1"',
      'echo "(00.159903) Dumping finished successfully" >>"$1"',
    ].join('\n')
    const { src, gate } = await hop(w, ['sh', '-c', script, 'sh', log, w.img], GATE_GO, 15_000, { dumpLog: log })
    expect(src.code).toBe(0)
    expect(parsePageDelta(src.err.split('\n'))).toMatchObject({ files: 3, followedFiles: 1 })
    expect(gate.code).toBe(0)
    expect(gate.out).toMatch(/verified 3 files/)
    expect(readFileSync(path.join(w.remoteImg, 'pages-1.img')).equals(short)).toBe(true)
    expect(readFileSync(path.join(w.remoteImg, 'pages-2.img')).equals(two)).toBe(true)
  })

  it('a pages file that changes after that line fails the copy: nothing is verified, nothing restores', async () => {
    const w = world()
    const log = path.join(w.src, 'dump.log')
    // The file grows once its early copy has arrived (the sender has looked at it by then).
    const script = [
      `cp '${path.join(w.next, 'pages-1.img')}' "$2"`,
      'echo "(00.068662) mnt: Dumping mountpoints" >>"$1"',
      `i=0; until cmp -s '${path.join(w.next, 'pages-1.img')}' "$3/pages-1.img"; do [ "$i" -lt 100 ] || break; sleep 0.05; i=$((i+1)); done`,
      'printf x >>"$2/pages-1.img"',
      `cp '${path.join(w.next, 'core-1.img')}' "$2"`,
      'echo "(00.159903) Dumping finished successfully" >>"$1"',
    ].join('\n')
    const { src, gate } = await hop(w, ['sh', '-c', script, 'sh', log, w.img, w.remoteImg], GATE_GO, 2000, { dumpLog: log })
    expect(src.code).not.toBe(0)
    expect(src.err).toContain("pages-1.img changed after it was sent (after CRIU's last task was dumped)")
    expect(gate.code).toBe(GATE_EXIT.noCopy)
    expect(existsSync(w.restored)).toBe(false)
  })

  it("a checkpoint that fails after CRIU's line: the copy went, but the source says the dump failed, with its status", async () => {
    const w = world()
    const log = path.join(w.src, 'dump.log')
    const ckpt = ['sh', '-c', `${dump(w).map((a) => `'${a}'`).join(' ')} && echo "Dumping finished successfully" >>"$1" && sleep 0.5; exit 4`, 'sh', log]
    const { src } = await hop(w, ckpt, null, 15_000, { dumpLog: log })
    expect(src.code).toBe(4)
    expect(src.out).toContain(`${TAIL_MARK.dumpFailed} (4)`)
    expect(src.out).not.toContain(TAIL_MARK.dumped)
  })

  it("a log left from an earlier dump does not start the pages before this one finished", async () => {
    const w = world()
    const log = path.join(w.src, 'dump.log')
    writeFileSync(log, '(00.300000) Dumping finished successfully\n')
    const late = ['sh', '-c', `sleep 0.4 && ${dump(w).map((a) => `'${a}'`).join(' ')}`, 'sh']
    const { src, gate } = await hop(w, late, GATE_GO, 15_000, { dumpLog: log })
    expect(src.code).toBe(0)
    expect(gate.code).toBe(0)
    expect(readFileSync(path.join(w.remoteImg, 'pages-1.img')).equals(w.nextPages)).toBe(true)
  })

  it('a failed dump sends nothing; the gate gives up without restoring', async () => {
    const w = world()
    const { src, gate } = await hop(w, ['sh', '-c', 'echo "criu said no" >&2; exit 3'], GATE_GO, 600)
    expect(src.code).toBe(3)
    expect(src.out).toContain(`${TAIL_MARK.dumpFailed} (3)`)
    expect(src.err).toContain('criu said no')
    expect(src.err).toContain('stream cut short')
    expect(gate.code).toBe(GATE_EXIT.noCopy)
    expect(existsSync(w.restored)).toBe(false)
    expect(existsSync(w.claim)).toBe(false)
  })

  it('without the go-ahead (stdin ends) the verified copy is not restored', async () => {
    const w = world()
    const { src, gate } = await hop(w, dump(w), null)
    expect(src.code).toBe(0)
    expect(gate.code).toBe(GATE_EXIT.noGo)
    expect(existsSync(w.restored)).toBe(false)
  })

  it('a rollback that claimed the restore first keeps the gate from restoring, go-ahead or not', async () => {
    const w = world()
    const f = fenceArgv(fenceOf(w), 1000)
    expect(parseFence((await run(f[0]!, f.slice(1))).stdout)).toBe('claimed')
    const { gate } = await hop(w, dump(w), GATE_GO)
    expect(gate.code).toBe(GATE_EXIT.fenced)
    expect(gate.err).toContain(TAIL_MARK.fenced)
    expect(existsSync(w.restored)).toBe(false)
  })

  it('the go-ahead may come before the copy: it waits in the gate, which restores once its copy verified', async () => {
    const w = world()
    const gate = exec(gateArgv({ marker: w.marker, waitMs: 5000, claim: w.claim, done: w.done, restore: ['sh', '-c', 'echo "$1" >"$2"', 'sh', 'ran', w.restored] }), (l, stdin) => {
      if (l.startsWith(TAIL_MARK.gateReady)) stdin.end(GATE_GO)
    })
    await new Promise((r) => setTimeout(r, 200))
    expect(existsSync(w.restored)).toBe(false)
    const src = await exec(source(w, dump(w)))
    expect(src.code).toBe(0)
    const g = await gate
    expect(g.code).toBe(0)
    expect(g.out).toContain(TAIL_MARK.verified)
    expect(readFileSync(w.restored, 'utf8')).toBe('ran\n')
  })

  it('the fence waits for a restore the gate started, and says when it is still running', async () => {
    const w = world()
    const fence = async (ms: number) => {
      const f = fenceArgv(fenceOf(w), ms)
      return parseFence((await run(f[0]!, f.slice(1))).stdout)
    }
    mkdirSync(w.claim)
    expect(await fence(200)).toBe('restore still running')
    setTimeout(() => writeFileSync(w.done, '0\n'), 300)
    expect(await fence(5000)).toBe('restore ended')
    const g = fenceArgv({ ...fenceOf(w), hopDir: path.join(w.dst, 'no such hop') }, 100)
    expect(parseFence((await run(g[0]!, g.slice(1))).stdout)).toBe('no hop directory')
  })
})

// A stand-in for runc's restore: like runc 1.3 it runs `criu swrk FD` by name twice, over a
// SEQPACKET socketpair, sending a request whose first bytes are CriuReq's type (0x08, type): the
// version check (10), then the restore (2). Each call's exit status ends it as runc's would.
const RUNC_STANDIN = String.raw`
use Socket; use Fcntl qw(F_SETFD);
my ($restored, @types) = @ARGV;
for my $t (@types) {
  socketpair(my $us, my $them, AF_UNIX, SOCK_SEQPACKET, 0) or die "socketpair: $!";
  my $pid = fork // die;
  if (!$pid) { close $us; fcntl($them, F_SETFD, 0); exec { 'criu' } 'criu', 'swrk', fileno($them); exit 127 }
  close $them;
  send($us, "\x08" . chr($t) . "rest of the request", 0);
  waitpid($pid, 0);
  if ($?) { print STDERR "criu failed: type $t exit " . ($? >> 8) . "\n"; exit 1 }
}
open(my $o, '>', $restored) or die; print $o "ran\n"; close $o;
`
// The real CRIU's stand-in: logs the request type it was given (read whole, as CRIU reads it).
const CRIU_STANDIN = String.raw`#!/usr/bin/perl
open(my $s, '+<&=', $ARGV[1]) or die "fd $ARGV[1]: $!"; recv($s, my $b, 4096, 0);
open(my $l, '>>', $ENV{CRIU_LOG}) or die; print $l "criu " . ord(substr($b, 1, 1)) . " " . length($b) . "\n"; close $l;
`

// runc's restore as runc 1.3 really asks for it: with CRIU's notifications (criu_opts field 12,
// notify_scripts), each answered with success (criu_req: NOTIFY, notify_success) and logged, until
// CRIU's final answer says whether the restore succeeded. Given an image dir, first its version
// check and its read of the image's descriptors.json (logged), as runc's Restore does.
const RUNC_NOTIFY_STANDIN = String.raw`
use Socket; use Fcntl qw(F_SETFD);
my ($restored, $log, $images) = @ARGV;
open(my $l, '>>', $log) or die; select((select($l), $| = 1)[0]);
if (defined $images) {
  socketpair(my $us, my $them, AF_UNIX, SOCK_SEQPACKET, 0) or die "socketpair: $!";
  my $pid = fork // die;
  if (!$pid) { close $us; fcntl($them, F_SETFD, 0); exec { 'criu' } 'criu', 'swrk', fileno($them); exit 127 }
  close $them; send($us, "\x08\x0a", 0); recv($us, my $v, 4096, 0); waitpid($pid, 0);
  open(my $d, '<', "$images/descriptors.json") or do { print STDERR "open descriptors.json: $!\n"; exit 1 };
  my $fds = <$d>; print $l "runc: read descriptors $fds\n";
}
socketpair(my $us, my $them, AF_UNIX, SOCK_SEQPACKET, 0) or die "socketpair: $!";
my $pid = fork // die;
if (!$pid) { close $us; fcntl($them, F_SETFD, 0); exec { 'criu' } 'criu', 'swrk', fileno($them); exit 127 }
close $them;
send($us, "\x08\x02\x12\x02\x60\x01", 0);
my $ok = 0;
while (1) {
  my $m = ''; last unless defined(recv($us, $m, 65536, 0)) && $m ne '';
  if (ord(substr($m, 1, 1)) == 6) { my $n = ord(substr($m, 7, 1)); print $l "runc: notify " . substr($m, 8, $n) . "\n"; send($us, "\x08\x06\x18\x01", 0); next }
  $ok = ord(substr($m, 3, 1)); last;
}
waitpid($pid, 0);
if (!$ok) { print STDERR "criu failed: restore\n"; exit 1 }
open(my $o, '>', $restored) or die; print $o "ran\n"; close $o;
`
// CRIU's restore, as far as the shim can tell: it says "setup-namespaces" and waits for the answer,
// restores, says "post-restore" and waits, then lets the game run on a success and aborts otherwise
// (or when its client is gone), and sends its final answer.
const CRIU_NOTIFY_STANDIN = String.raw`#!/usr/bin/perl
open(my $s, '+<&=', $ARGV[1]) or die "fd $ARGV[1]: $!"; recv($s, my $b, 4096, 0);
open(my $l, '>>', $ENV{CRIU_LOG}) or die; select((select($l), $| = 1)[0]);
print $l "criu " . ord(substr($b, 1, 1)) . " " . length($b) . "\n";
if (ord(substr($b, 1, 1)) == 10) { send($s, "\x08\x0a\x10\x01", 0); exit 0 }
sub notify { my ($n) = @_; my $sub = "\x0a" . chr(length $n) . $n; send($s, "\x08\x06\x10\x01\x2a" . chr(length $sub) . $sub, 0) or return 0; my $r = ''; recv($s, $r, 4096, 0); $r eq "\x08\x06\x18\x01" }
notify('setup-namespaces') or do { print $l "criu: aborted\n"; exit 1 };
print $l "criu: restored, not running\n";
if (!notify('post-restore')) { print $l "criu: aborted\n"; send($s, "\x08\x02\x10\x00", 0); exit 1 }
print $l "criu: resumed\n";
send($s, "\x08\x02\x10\x01", 0);
`

describe("the held restore: runc starts with the gate, CRIU's restore waits in a shim for the go-ahead", () => {
  function heldWorld(o: { criuOnPath?: boolean; notify?: boolean } = {}) {
    const w = world()
    const bin = path.join(w.dst, '..', 'bin')
    mkdirSync(bin, { recursive: true })
    const log = path.join(bin, 'criu.log')
    writeFileSync(log, '')
    if (o.criuOnPath !== false) writeFileSync(path.join(bin, 'criu'), o.notify ? CRIU_NOTIFY_STANDIN : CRIU_STANDIN, { mode: 0o755 })
    // The restore's image dir: no descriptors.json there unless a test puts the snapshot's.
    const hold = { shimDir: path.join(w.dst, 'criu-hold'), fifo: w.go, held: w.held, images: w.remoteImg }
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, CRIU_LOG: log }
    const criuLog = () => readFileSync(log, 'utf8').trim().split('\n').filter(Boolean)
    return { ...w, hold, env, criuLog, log }
  }
  type Held = ReturnType<typeof heldWorld>

  // Whole when it appears, as the receiver writes it (aside, then renamed).
  const verify = (w: Held) => (writeFileSync(`${w.marker}.part`, 'globehop-delta: verified 2 files 10 bytes\n'), renameSync(`${w.marker}.part`, w.marker))
  /** The gate with the held restore, its marker already there (the copy verified) unless told. */
  function gate(w: Held, types = [10, 2], o: { verified?: boolean; waitMs?: number; idleMs?: number; notify?: boolean; version?: boolean } = {}) {
    if (o.verified !== false) verify(w)
    const restore = o.notify ? ['perl', '-e', RUNC_NOTIFY_STANDIN, '--', w.restored, w.log, ...(o.version ? [w.remoteImg] : [])] : ['perl', '-e', RUNC_STANDIN, '--', w.restored, ...types.map(String)]
    const idle = o.idleMs ? { dir: w.remoteImg, ms: o.idleMs } : undefined
    const argv = gateArgv({ marker: w.marker, waitMs: o.waitMs ?? 5000, idle, claim: w.claim, done: w.done, restore, hold: w.hold })
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: w.env })
    let out = ''
    let err = ''
    p.stdout.on('data', (b: Buffer) => (out += b.toString()))
    p.stderr.on('data', (b: Buffer) => (err += b.toString()))
    const ended = new Promise<Ran>((resolve) => p.on('close', (code) => resolve({ code: code ?? -1, out, err })))
    return { p, ended, out: () => out }
  }
  const until = async (what: () => boolean, ms = 5000) => {
    const t = Date.now() + ms
    while (!what()) {
      if (Date.now() > t) throw new Error('timed out')
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  it("runc starts with the gate; its version check waits for the verified copy, its restore for the go line, then runs", async () => {
    const w = heldWorld()
    const g = gate(w, [10, 2], { verified: false })
    await until(() => existsSync(w.held))
    await new Promise((r) => setTimeout(r, 300))
    // Before the copy: runc waits in its version check; nothing reached CRIU.
    expect(w.criuLog()).toEqual([])
    expect(existsSync(`${w.hold.fifo}.waiting`)).toBe(false)
    verify(w)
    await until(() => existsSync(`${w.hold.fifo}.waiting`))
    await new Promise((r) => setTimeout(r, 200))
    // Held: the version was asked, the restore not yet given to CRIU, nothing restored, no claim.
    expect(w.criuLog()).toEqual(['criu 10 21'])
    expect(existsSync(w.restored)).toBe(false)
    expect(existsSync(w.claim)).toBe(false)
    expect(Number(readFileSync(w.held, 'utf8'))).toBeGreaterThan(0)
    g.p.stdin.end(GATE_GO)
    const r = await g.ended
    expect(r.code, r.err).toBe(0)
    expect(r.out).toContain(`${TAIL_MARK.restoring} (CRIU's restore was waiting for it)`)
    // CRIU got the restore request whole (peeked, not read, by the shim).
    expect(w.criuLog()).toEqual(['criu 10 21', 'criu 2 21'])
    expect(readFileSync(w.restored, 'utf8')).toBe('ran\n')
    expect(existsSync(w.claim)).toBe(true)
    expect(readFileSync(w.done, 'utf8')).toBe('0\n')
  })

  it("with runc's notifications, CRIU's whole restore runs once the copy is verified and waits at its post-restore notification; the go line lets the game run", async () => {
    const w = heldWorld({ notify: true })
    const g = gate(w, [], { verified: false, notify: true })
    await until(() => existsSync(w.held))
    await new Promise((r) => setTimeout(r, 300))
    // Before the copy nothing reached CRIU.
    expect(w.criuLog()).toEqual([])
    verify(w)
    await until(() => existsSync(`${w.hold.fifo}.waiting`))
    await new Promise((r) => setTimeout(r, 200))
    // CRIU restored (runc answered its first notification through the shim) and waits for the answer
    // to "post-restore", which runc has not seen: nothing runs yet, no claim.
    expect(w.criuLog()).toEqual(['criu 2 6', 'runc: notify setup-namespaces', 'criu: restored, not running'])
    expect(existsSync(w.restored)).toBe(false)
    expect(existsSync(w.claim)).toBe(false)
    g.p.stdin.end(GATE_GO)
    const r = await g.ended
    expect(r.code, r.err).toBe(0)
    // How long CRIU waited there (it counts that in its restore time): at least the 200 ms above.
    const waited = Number(new RegExp(`${TAIL_MARK.restoring} \\(CRIU's restore waited for it at post-restore: (\\d+) ms\\)`).exec(r.out)?.[1])
    expect(waited).toBeGreaterThanOrEqual(200)
    expect(waited).toBeLessThan(5000)
    // The engine reads the same figure off that line (the hop's figures leave it out of CRIU's time).
    expect(r.out.split('\n').map(postRestoreWaitMs).find(Boolean)).toBe(waited)
    expect(w.criuLog()).toEqual(['criu 2 6', 'runc: notify setup-namespaces', 'criu: restored, not running', 'runc: notify post-restore', 'criu: resumed'])
    expect(readFileSync(w.restored, 'utf8')).toBe('ran\n')
    expect(readFileSync(w.done, 'utf8')).toBe('0\n')
  })

  it("with the snapshot's descriptors.json in the image dir, runc's version check and its read of it go before the copy is verified; CRIU's restore waits for the copy", async () => {
    const w = heldWorld({ notify: true })
    writeFileSync(path.join(w.remoteImg, 'descriptors.json'), '["/dev/null","pipe:[5]"]')
    const g = gate(w, [], { verified: false, notify: true, version: true })
    await until(() => w.criuLog().length >= 2)
    await new Promise((r) => setTimeout(r, 200))
    expect(w.criuLog()).toEqual(['criu 10 2', 'runc: read descriptors ["/dev/null","pipe:[5]"]'])
    verify(w)
    await until(() => existsSync(`${w.hold.fifo}.waiting`))
    expect(existsSync(w.restored)).toBe(false)
    g.p.stdin.end(GATE_GO)
    const r = await g.ended
    expect(r.code, r.err).toBe(0)
    expect(w.criuLog().slice(2)).toEqual(['criu 2 6', 'runc: notify setup-namespaces', 'criu: restored, not running', 'runc: notify post-restore', 'criu: resumed'])
    expect(readFileSync(w.restored, 'utf8')).toBe('ran\n')
  })

  it("a descriptors.json that arrives after the gate started (a whole image's stream sends it first) lets runc's version check go then, before the copy is verified", async () => {
    const w = heldWorld({ notify: true })
    const g = gate(w, [], { verified: false, notify: true, version: true })
    await until(() => existsSync(w.held))
    await new Promise((r) => setTimeout(r, 200))
    expect(w.criuLog()).toEqual([])
    const fds = path.join(w.remoteImg, 'descriptors.json')
    writeFileSync(`${fds}.part`, '["/dev/null"]')
    renameSync(`${fds}.part`, fds)
    await until(() => w.criuLog().length >= 2)
    await new Promise((r) => setTimeout(r, 200))
    // The copy is not verified yet: runc's start went on, CRIU's restore waits.
    expect(w.criuLog()).toEqual(['criu 10 2', 'runc: read descriptors ["/dev/null"]'])
    expect(existsSync(`${w.hold.fifo}.waiting`)).toBe(false)
    verify(w)
    await until(() => existsSync(`${w.hold.fifo}.waiting`))
    g.p.stdin.end(GATE_GO)
    const r = await g.ended
    expect(r.code, r.err).toBe(0)
    expect(readFileSync(w.restored, 'utf8')).toBe('ran\n')
  })

  it('a copy whose descriptors.json is not the one runc read early: the restore fails before CRIU, nothing is restored', async () => {
    const w = heldWorld({ notify: true })
    const fds = path.join(w.remoteImg, 'descriptors.json')
    writeFileSync(fds, '["/dev/null"]')
    const g = gate(w, [], { verified: false, notify: true, version: true })
    await until(() => w.criuLog().length >= 2)
    // The copy brings another one (written aside and renamed, as the receiver does), then verifies.
    writeFileSync(`${fds}.part`, '["pipe:[7]"]')
    renameSync(`${fds}.part`, fds)
    verify(w)
    await until(() => existsSync(w.done))
    expect(readFileSync(w.done, 'utf8')).toBe('1\n')
    g.p.stdin.end(GATE_GO)
    const r = await g.ended
    expect(r.code).not.toBe(0)
    expect(w.criuLog()).toEqual(['criu 10 2', 'runc: read descriptors ["/dev/null"]'])
    expect(existsSync(w.restored)).toBe(false)
  })

  it('held at post-restore, a "no" (the gate ends without a go line, or a fence) is a failed answer: CRIU aborts its restore, runc restores nothing', async () => {
    for (const how of ['no go line', 'fence'] as const) {
      const w = heldWorld({ notify: true })
      const g = gate(w, [], { notify: true })
      await until(() => existsSync(`${w.hold.fifo}.waiting`))
      if (how === 'fence') {
        const f = fenceArgv(fenceOf(w), 3000)
        expect(parseFence((await run(f[0]!, f.slice(1))).stdout)).toBe('claimed')
      }
      g.p.stdin.end(how === 'fence' ? GATE_GO : undefined)
      const r = await g.ended
      expect(r.code).toBe(how === 'fence' ? GATE_EXIT.fenced : GATE_EXIT.noGo)
      expect(w.criuLog()).toEqual(['criu 2 6', 'runc: notify setup-namespaces', 'criu: restored, not running', 'criu: aborted'])
      expect(r.err).toContain('criu failed: restore')
      expect(existsSync(w.restored)).toBe(false)
      expect(readFileSync(w.done, 'utf8')).toBe('1\n')
    }
  })

  it('held at post-restore, a shim that dies leaves CRIU without an answer: it aborts, nothing runs', async () => {
    const w = heldWorld({ notify: true })
    const g = gate(w, [], { notify: true })
    await until(() => existsSync(`${w.hold.fifo}.waiting`))
    const shim = (await run('pgrep', ['-f', `${w.hold.shimDir}/criu swrk`])).stdout.trim().split('\n').map(Number)
    expect(shim.length).toBe(1)
    process.kill(shim[0]!, 'SIGKILL')
    await until(() => existsSync(w.done))
    expect(w.criuLog()).toEqual(['criu 2 6', 'runc: notify setup-namespaces', 'criu: restored, not running', 'criu: aborted'])
    expect(readFileSync(w.done, 'utf8')).toBe('1\n')
    g.p.stdin.end(GATE_GO)
    await g.ended
    expect(existsSync(w.restored)).toBe(false)
  })

  it('without the go line the held restore ends and nothing is restored; the gate waits for it and says so in done', async () => {
    const w = heldWorld()
    const g = gate(w)
    await until(() => existsSync(`${w.hold.fifo}.waiting`))
    g.p.stdin.end()
    const r = await g.ended
    expect(r.code).toBe(GATE_EXIT.noGo)
    expect(r.err).toContain('criu failed: type 2 exit 1')
    expect(w.criuLog()).toEqual(['criu 10 21'])
    expect(existsSync(w.restored)).toBe(false)
    expect(existsSync(w.claim)).toBe(false)
    expect(readFileSync(w.done, 'utf8')).toBe('1\n')
  })

  it("the engine's stdin ends before the copy is verified (it gave up, or its session closed): the held restore is told no at once, not at the bound", async () => {
    const w = heldWorld({ notify: true })
    const g = gate(w, [], { verified: false, notify: true, version: true, waitMs: 60_000 })
    // As a whole image's stream does: descriptors.json first, so runc's restore waits in CRIU's.
    writeFileSync(path.join(w.remoteImg, 'descriptors.json'), '["/dev/null"]')
    await until(() => w.criuLog().length >= 2)
    const t0 = Date.now()
    g.p.stdin.end()
    const r = await g.ended
    expect(Date.now() - t0).toBeLessThan(3000)
    expect(r.code).toBe(GATE_EXIT.noGo)
    expect(r.out).not.toContain(TAIL_MARK.verified)
    expect(existsSync(w.restored)).toBe(false)
    expect(existsSync(w.claim)).toBe(false)
    expect(readFileSync(w.done, 'utf8')).toBe('1\n')
  })

  it('a whole image that stops arriving: the gate gives up after its idle bound, long before its wait; bytes still arriving keep it waiting', async () => {
    for (const arriving of [false, true]) {
      const w = heldWorld()
      const g = gate(w, [10, 2], { verified: false, waitMs: 60_000, idleMs: 400 })
      await until(() => existsSync(w.held))
      const t0 = Date.now()
      let k = 0
      const feed = setInterval(() => arriving && writeFileSync(path.join(w.remoteImg, 'pages-1.img'), 'x'.repeat(++k)), 50)
      try {
        if (arriving) {
          await new Promise((r) => setTimeout(r, 1500))
          expect(existsSync(w.done), 'gave up while the copy still arrived').toBe(false)
          verify(w)
          await until(() => existsSync(`${w.hold.fifo}.waiting`))
          g.p.stdin.end(GATE_GO)
        }
        const r = await g.ended
        if (arriving) {
          expect(r.code, r.err).toBe(0)
          expect(readFileSync(w.restored, 'utf8')).toBe('ran\n')
        } else {
          expect(Date.now() - t0).toBeLessThan(5000)
          expect(r.code).toBe(GATE_EXIT.noCopy)
          expect(r.err).toContain('criu failed: type 10 exit 1')
          expect(existsSync(w.restored)).toBe(false)
          expect(readFileSync(w.done, 'utf8')).toBe('1\n')
        }
      } finally {
        clearInterval(feed)
      }
    }
  })

  it('a copy that never comes: the held restore ends at the bound without CRIU, and nothing is restored', async () => {
    const w = heldWorld()
    const g = gate(w, [10, 2], { verified: false, waitMs: 400 })
    const r = await g.ended
    expect(r.code).toBe(GATE_EXIT.noCopy)
    expect(r.err).toContain('criu failed: type 10 exit 1')
    expect(w.criuLog()).toEqual([])
    expect(existsSync(w.restored)).toBe(false)
    expect(readFileSync(w.done, 'utf8')).toBe('1\n')
  })

  it('a request the shim cannot read as a known question waits too (only CHECK, FEATURE_CHECK and VERSION go through)', async () => {
    const w = heldWorld()
    const g = gate(w, [9, 3, 1, 10])
    await until(() => existsSync(`${w.hold.fifo}.waiting`))
    await new Promise((r) => setTimeout(r, 100))
    expect(w.criuLog()).toEqual(['criu 9 21', 'criu 3 21'])
    g.p.stdin.end()
    expect((await g.ended).code).toBe(GATE_EXIT.noGo)
    expect(w.criuLog()).toEqual(['criu 9 21', 'criu 3 21'])
  })

  it('a fence while the restore is held claims it and tells the held restore no itself (its engine may be cut off); the late go line restores nothing', async () => {
    for (const verified of [true, false]) {
      const w = heldWorld()
      const g = gate(w, [10, 2], { verified, waitMs: verified ? 5000 : 1000 })
      await until(() => existsSync(verified ? `${w.hold.fifo}.waiting` : w.held))
      const f = fenceArgv(fenceOf(w), 3000)
      const t0 = Date.now()
      expect(parseFence((await run(f[0]!, f.slice(1))).stdout)).toBe('claimed')
      expect(Date.now() - t0).toBeLessThan(2000)
      // The gate, still waiting for its copy or its go line, cannot restore without the claim.
      g.p.stdin.end(GATE_GO)
      const r = await g.ended
      expect(r.code).toBe(verified ? GATE_EXIT.fenced : GATE_EXIT.noCopy)
      if (verified) expect(r.err).toContain(TAIL_MARK.fenced)
      expect(r.err).toContain(`criu failed: type ${verified ? 2 : 10} exit 1`)
      expect(existsSync(w.restored)).toBe(false)
      expect(w.criuLog()).toEqual(verified ? ['criu 10 21'] : [])
      expect(existsSync(w.done)).toBe(true)
    }
  })

  it('a fence whose held restore outlives its bound says it still runs', async () => {
    const w = heldWorld()
    verify(w)
    // A restore that ignores the shim's word (none reaches it: it runs no criu).
    const argv = gateArgv({ marker: w.marker, waitMs: 5000, claim: w.claim, done: w.done, restore: ['sleep', '2'], hold: w.hold })
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'ignore', 'ignore'], env: w.env })
    await until(() => existsSync(w.held))
    const f = fenceArgv(fenceOf(w), 300)
    expect(parseFence((await run(f[0]!, f.slice(1))).stdout)).toBe('restore still running')
    p.stdin.end()
    await new Promise((r) => p.on('close', r))
  })

  it('a gate stopped (its command killed) before the go line tells the held restore no and waits for it, before the copy or after', async () => {
    for (const verified of [false, true]) {
      const w = heldWorld()
      const g = gate(w, [10, 2], { verified })
      await until(() => existsSync(verified ? `${w.hold.fifo}.waiting` : w.held))
      g.p.kill('SIGTERM')
      const r = await g.ended
      expect(r.code).toBe(GATE_EXIT.noGo)
      expect(existsSync(w.restored)).toBe(false)
      expect(readFileSync(w.done, 'utf8')).toBe('1\n')
      expect(w.criuLog()).toEqual(verified ? ['criu 10 21'] : [])
      // Its pid file names a process that is gone (here without `done`, as after a SIGKILL): a
      // fence does not wait for it.
      rmSync(w.done)
      const f = fenceArgv(fenceOf(w), 3000)
      const t0 = Date.now()
      expect(parseFence((await run(f[0]!, f.slice(1))).stdout)).toBe('claimed')
      expect(Date.now() - t0).toBeLessThan(2000)
    }
  })

  it('without a criu on PATH the gate restores the plain way, after the go line', async () => {
    const w = heldWorld({ criuOnPath: false })
    // The stand-in runc then finds no criu: with no types to ask it only writes its file.
    const g = gate(w, [])
    await new Promise((r) => setTimeout(r, 300))
    expect(existsSync(w.restored)).toBe(false)
    expect(existsSync(w.held)).toBe(false)
    g.p.stdin.end(GATE_GO)
    const r = await g.ended
    expect(r.code, r.err).toBe(0)
    expect(r.out.split('\n')).toContain(TAIL_MARK.restoring)
    expect(readFileSync(w.restored, 'utf8')).toBe('ran\n')
  })
})

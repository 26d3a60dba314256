import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { parsePageDelta } from './page-delta'
import { FENCED_EXIT, fenceArgv, parseFence, TAIL_MARK, tailChainArgv } from './tail-chain'

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
  return { ...d, nextPages: next, restored: path.join(dst, 'restored'), claim: path.join(dst, 'restore.claim'), done: path.join(dst, 'restore.done') }
}

type World = ReturnType<typeof world>

function argv(w: World, checkpoint: string[]) {
  return tailChainArgv({
    checkpoint,
    img: w.img,
    basis: w.basis,
    remoteImg: w.remoteImg,
    ssh: local,
    compress: true,
    restore: ['sh', '-c', 'echo "$1" >"$2"', 'sh', 'ran', w.restored],
    fifo: path.join(w.src, 'tail.fifo'),
    claim: w.claim,
    done: w.done,
  })
}

// "Dumps" by copying the prepared next image into place, as CRIU writes the final image.
const dump = (w: World) => ['cp', path.join(w.next, 'pages-1.img'), path.join(w.next, 'core-1.img'), w.img]

async function chain(w: World, checkpoint: string[]) {
  const a = argv(w, checkpoint)
  try {
    const r = await run(a[0]!, a.slice(1))
    return { code: 0, out: r.stdout, err: r.stderr }
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string }
    return { code: x.code, out: x.stdout, err: x.stderr }
  }
}

describe('the one-command tail (dump, one-way delta, verify, restore)', () => {
  it('dumps, streams only the changed page, verifies every file, then restores, in that order', async () => {
    const w = world()
    const r = await chain(w, dump(w))
    expect(r.code).toBe(0)
    const lines = r.out.split('\n')
    const at = (s: string) => lines.findIndex((l) => l.startsWith(s))
    expect(at(TAIL_MARK.dumped)).toBeGreaterThanOrEqual(0)
    expect(at('globehop-delta: verified')).toBeGreaterThan(at(TAIL_MARK.dumped))
    expect(at(TAIL_MARK.restoring)).toBeGreaterThan(at('globehop-delta: verified'))
    expect(parsePageDelta([...lines, ...r.err.split('\n')])).toMatchObject({ files: 2, pages: 1, wholeFiles: 1, verifiedFiles: 2 })
    expect(readFileSync(path.join(w.remoteImg, 'pages-1.img')).equals(w.nextPages)).toBe(true)
    expect(readFileSync(w.restored, 'utf8')).toBe('ran\n')
    expect(readFileSync(w.done, 'utf8')).toBe('0\n')
    expect(existsSync(path.join(w.src, 'tail.fifo'))).toBe(false)
  })

  it('a failed dump sends nothing and the destination restores nothing', async () => {
    const w = world()
    const r = await chain(w, ['sh', '-c', 'echo "criu said no" >&2; exit 3'])
    expect(r.code).toBe(3)
    expect(r.out).toContain(`${TAIL_MARK.dumpFailed} (3)`)
    expect(r.err).toContain('criu said no')
    expect(r.err).toContain('stream cut short')
    expect(existsSync(w.restored)).toBe(false)
    expect(existsSync(w.claim)).toBe(false)
  })

  it('a rollback that claimed the restore first keeps the destination from restoring', async () => {
    const w = world()
    const f = fenceArgv(w.dst, w.claim, w.done, 1000)
    expect(parseFence((await run(f[0]!, f.slice(1))).stdout)).toBe('claimed')
    const r = await chain(w, dump(w))
    expect(r.code).toBe(FENCED_EXIT)
    expect(r.err).toContain(TAIL_MARK.fenced)
    expect(r.out).toContain('globehop-delta: verified')
    expect(existsSync(w.restored)).toBe(false)
  })

  it('the fence waits for a restore the chain started, and says when it is still running', async () => {
    const w = world()
    const fence = async (ms: number) => {
      const f = fenceArgv(w.dst, w.claim, w.done, ms)
      return parseFence((await run(f[0]!, f.slice(1))).stdout)
    }
    mkdirSync(w.claim)
    expect(await fence(200)).toBe('restore still running')
    setTimeout(() => writeFileSync(w.done, '0\n'), 300)
    expect(await fence(5000)).toBe('restore ended')
    const g = fenceArgv(path.join(w.dst, 'no such hop'), w.claim, w.done, 100)
    expect(parseFence((await run(g[0]!, g.slice(1))).stdout)).toBe('no hop directory')
  })
})

// The warm-memory loop: its argv, run by a real sh here and over a real sshd (test-sshd.ts), ended
// by the engine, by its channel closing and by its bound.
import { execFileSync, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectRemote, type SshRemote } from '../../ssh/session'
import { startSshd, sshdUnavailable, type TestSshd } from '../../ssh/testing/test-sshd'
import type { Remote } from '../../ssh/types'
import { startWarmMemory, WARM_FIRST_MS, WARM_LINE, WARM_NAME, warmMemoryArgv } from './warm-memory'

const MiB = 2 ** 20

/** PIDs on this machine whose argv holds the loop's name and `bytes` (each test its own size); not
 *  the loop's own fork for its next dd or sleep, whose argv is the loop's until it execs. */
function loops(bytes: number): number[] {
  const ppid = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    } catch {
      return -1
    }
  }
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')
        return argv.includes(WARM_NAME) && argv.includes(String(bytes))
      } catch {
        return false
      }
    })
    .map(Number)
  return all.filter((pid) => !all.includes(ppid(pid)))
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 50))
  }
  return true
}

describe('warmMemoryArgv', () => {
  it('runs at nice 19 under sh with its name, its size and its bound as arguments', () => {
    const a = warmMemoryArgv(95 * MiB, 7)
    expect(a.slice(0, 4)).toEqual(['nice', '-n', '19', 'sh'])
    expect(a.slice(-3)).toEqual([WARM_NAME, String(95 * MiB), '7'])
  })

  it('refuses a size that is not a whole positive byte count', () => {
    for (const b of [0, -1, 1.5, Number.NaN, 2 ** 60]) expect(() => warmMemoryArgv(b)).toThrow(/not a byte count/)
  })

  it('says warm after each round and ends after its bound, exit 0 (a real sh and dd)', () => {
    const a = warmMemoryArgv(MiB, 3)
    const out = execFileSync(a[0]!, a.slice(1), { encoding: 'utf8', timeout: 10_000 })
    expect(out).toBe(`${WARM_LINE}\n`.repeat(3))
  })

  it('ends once nobody reads its lines any more', async () => {
    const a = warmMemoryArgv(2 * MiB, 1000)
    const p = spawn(a[0]!, a.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] })
    const exited = new Promise<number | null>((r) => p.once('exit', (code, sig) => r(code ?? (sig ? -1 : null))))
    await new Promise<void>((r) => p.stdout!.once('data', () => r()))
    p.stdout!.destroy()
    const t0 = Date.now()
    await exited
    expect(Date.now() - t0).toBeLessThan(3000)
  })
})

describe('startWarmMemory without a host to run on', () => {
  it('never throws: a start that throws or a size that is not bytes leaves the memory cold and the hop ready', async () => {
    const broken: Remote = {
      host: { name: 'broken', label: 'broken', lat: 0, lon: 0, address: '198.51.100.99', ssh: { host: '198.51.100.99', port: 22, user: 'root', agent: false } },
      run: () => Promise.reject(new Error('not connected')),
      start: () => {
        throw new Error('not connected')
      },
      close: async () => undefined,
    }
    for (const warm of [{ src: 8 * MiB, dst: 0 }, { src: 1.5, dst: Number.NaN }, undefined]) {
      const w = startWarmMemory({ src: broken, dst: broken }, warm)
      await w.ready
      w.stop()
    }
  })
})

const why = sshdUnavailable()

describe.skipIf(why !== null)(`the loops over a real sshd${why ? ` (skipped: ${why})` : ''}`, { timeout: 30_000 }, () => {
  let sshd: TestSshd
  let remote: SshRemote

  beforeAll(async () => {
    sshd = await startSshd()
    remote = (await connectRemote(sshd.host(), { sshConfig: null, killGraceMs: 300 })) as SshRemote
  }, 30_000)
  afterAll(async () => {
    await remote?.close()
    await sshd?.stop()
  })

  it('starts none where no side asks for warm memory', () => {
    const w = startWarmMemory({ src: remote, dst: remote }, { src: 0, dst: 0 })
    expect(loops(0)).toEqual([])
    w.stop()
  })

  it('is ready after the first round on both sides and gone once stopped', async () => {
    const bytes = 3 * MiB
    const w = startWarmMemory({ src: remote, dst: remote }, { src: bytes, dst: bytes })
    await w.ready
    // (On a loaded machine ready may come from its 1 s bound before both loops ran a round.)
    expect(await until(() => loops(bytes).length === 2, 3000)).toBe(true)
    w.stop()
    w.stop()
    expect(await until(() => loops(bytes).length === 0, 3000)).toBe(true)
  })

  it('ends when its SSH connection closes without a stop', async () => {
    const own = (await connectRemote(sshd.host(), { sshConfig: null })) as SshRemote
    const bytes = 5 * MiB
    const w = startWarmMemory({ src: own, dst: remote }, { src: bytes, dst: 0 })
    await w.ready
    expect(await until(() => loops(bytes).length === 1, 3000)).toBe(true)
    await own.close()
    expect(await until(() => loops(bytes).length === 0, 3000)).toBe(true)
  })

  /** The remote, with every start running `argv` instead: a host where the loop misbehaves. */
  const running = (argv: string[]): Remote => ({ host: remote.host, run: (a, o) => remote.run(a, o), start: (_a, o) => remote.start(argv, o), close: async () => undefined })

  it('is ready at once when a loop ends without a round (no dd there): the hop goes on', async () => {
    const w = startWarmMemory({ src: running(['sh', '-c', 'exit 0']), dst: remote }, { src: 7 * MiB, dst: 0 })
    const t0 = Date.now()
    await w.ready
    // Its end, not the 1 s bound, let the hop go on.
    expect(Date.now() - t0).toBeLessThan(WARM_FIRST_MS - 100)
    w.stop()
  })

  it('waits no longer than WARM_FIRST_MS for a loop that says nothing, and stops it', async () => {
    const w = startWarmMemory({ src: running(['sh', '-c', 'sleep 30; exit 0', WARM_NAME, String(9 * MiB)]), dst: remote }, { src: 9 * MiB, dst: 0 })
    const t0 = Date.now()
    await w.ready
    const waited = Date.now() - t0
    expect(waited).toBeGreaterThanOrEqual(WARM_FIRST_MS - 50)
    expect(waited).toBeLessThan(WARM_FIRST_MS + 1500)
    expect(await until(() => loops(9 * MiB).length === 1, 3000)).toBe(true)
    w.stop()
    expect(await until(() => loops(9 * MiB).length === 0, 3000)).toBe(true)
  })
})

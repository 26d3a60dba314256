// Test double for the lab: hosts as Remotes that record every command and keep just enough
// state (container per host, floating IP owner) to answer the pipeline like the real tools.
// Used by unit tests only; the lab tests run the real thing.
import type { Host, Tour } from '../../../shared/tour'
import type { Remote, RemoteProcess, RunOptions, RunResult } from '../../ssh/types'
import { RemoteCommandError, SshError } from '../../ssh/types'
import { FENCED_EXIT, NOT_TRIGGERED_EXIT } from '../../floating-ip/argv'
import { GATE_ARGV_AT, GATE_EXIT, GATE_GO, TAIL_MARK } from '../../transfer/tail-chain'
import { FREEZE_FIRST_MARK } from '../../criu/freeze-first'
import { factsQueries } from '../host-facts'
import { batchOutput, isBatch } from '../remote-batch'
import { parseRuntimeState } from '../remote-files'
import { DETACH_CRIU_ROOT } from '../runtime/runc'

export type Reply = Partial<RunResult> | undefined

export const FAKE_DELTA = 'globehop-delta: files 20 total 95000000 sent 265000 pages 60 whole 19\nglobehop-delta: wire 31000\nglobehop-delta: verified 20 files 95000000 bytes\n'

/** The restore gate (transfer/tail-chain.ts gateArgv). */
export const isGate = (argv: readonly string[]) => argv[0] === 'perl' && !!argv[2]?.includes(TAIL_MARK.gateReady)

export interface FakeHost {
  container: 'running' | 'paused' | 'stopped' | 'absent'
  holdsIp: boolean
  /** keepalived track-file value (1 owner, 0 backup). */
  track: number
  /** A tail chain's copy arrived verified (the restore gate waits for it). */
  tailVerified?: boolean
  /** Hop IP claims taken there (floating-ip/argv.ts writeTrackFileFenced). */
  claims: Set<string>
  commands: string[]
}

export class FakeWorld {
  readonly hosts = new Map<string, FakeHost>()
  /** Every command in order, as `host: argv joined`. */
  readonly log: string[] = []
  /** Per-test overrides: return a reply to take over a command, undefined to fall through. */
  override: (host: string, argv: readonly string[]) => Reply = () => undefined
  /** Per-test: an error to throw instead of answering (a host cut off: an SshError), undefined to answer. */
  throwFor: (host: string, argv: readonly string[]) => Error | undefined = () => undefined
  /** Per-test: a wait before the command is answered (a slow or silent command); an abort of the
   *  command's signal ends it as the real session does (AbortError "... was cancelled"). */
  delay: (host: string, argv: readonly string[], opts: RunOptions) => Promise<void> | undefined = () => undefined
  /** Per-test: an armed IP move's go line that reaches `host` late (it sat in a cut link's TCP
   *  stream): the engine sees the command fail at once, the host runs it when this resolves. */
  lateGo: (host: string) => Promise<void> | undefined = () => undefined
  /** The late go lines' runs on their hosts, to await in a test. */
  readonly late: Promise<unknown>[] = []
  /** zstd(1) on every host: stop-and-copy streams its image one way instead of rsync. */
  zstd = false
  /** Every host's /dev/shm and memory (host-facts.ts shmArgv): a tmpfs with room for snapshots. */
  shm = 'tmpfs 12000000000 23000000\n'
  /** What a freeze-first snapshot's wrapper says once its checkpoint exited 0. */
  freezeFirstLine = "globehop-freeze: held 140.0 ms; frozen 2.0 ms after the log appeared; thawed on CRIU's unfreeze line"

  constructor(
    readonly tour: Tour,
    start: string,
  ) {
    for (const h of tour.hosts) this.hosts.set(h.name, { container: h.name === start ? 'running' : 'absent', holdsIp: h.name === start, track: h.name === start ? 1 : 0, claims: new Set(), commands: [] })
  }

  remote(name: string): Remote {
    const host = this.tour.hosts.find((h) => h.name === name)!
    return new FakeRemote(this, host)
  }

  where(): string[] {
    return [...this.hosts].filter(([, h]) => h.container === 'running').map(([n]) => n)
  }

  ipOwners(): string[] {
    return [...this.hosts].filter(([, h]) => h.holdsIp).map(([n]) => n)
  }

  /** VRRP preemption as keepalived runs it: the highest track value holds the IP; on a tie the
   *  holder keeps it (a backup accepts adverts of equal priority). */
  private arbitrate(): void {
    const top = Math.max(...[...this.hosts.values()].map((h) => h.track))
    const all = [...this.hosts.values()]
    const holder = all.find((h) => h.holdsIp && h.track === top) ?? all.find((h) => h.track === top)!
    for (const h of all) h.holdsIp = h === holder
  }

  isAwaitAddress(argv: readonly string[]): boolean {
    return argv[0] === 'sh' && !!argv[2]?.includes('ip -o -4 addr show') && argv[4] === this.tour.floatingIp.address
  }

  answer(name: string, argv: readonly string[]): RunResult {
    // runc's deletes come wrapped (runtime/runc.ts): no restore was killed here, the wrapper just runs them.
    if (argv[0] === 'sh' && argv[2] === DETACH_CRIU_ROOT) return this.answer(name, argv.slice(5))
    const h = this.hosts.get(name)!
    const line = argv.join(' ')
    h.commands.push(line)
    this.log.push(`${name}: ${line}`)
    const o = this.override(name, argv)
    if (o) return { code: 0, stdout: '', stderr: '', ms: 1, ...o }
    const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '', ms: 1 })
    const fail = (stderr: string, code = 1): RunResult => ({ code, stdout: '', stderr, ms: 1 })
    const id = this.tour.container.id
    const has = (w: string) => argv.includes(w)
    // Preflight's batch (remote-batch.ts): each query answered as if run alone, then the RSS.
    if (isBatch(argv)) {
      const res = factsQueries(this.tour).map(([k, a]) => [k, this.answer(name, a)] as const)
      const st = res.find(([k]) => k === 'state')![1]
      const pid = st.code === 0 ? parseRuntimeState(st.stdout).pid : null
      const rss = pid ? [['rss', this.answer(name, ['sh', '-c', 'awk \'/^VmRSS/ {print $2 * 1024}\' "/proc/$1/status"', 'sh', String(pid)])] as const] : []
      return ok(batchOutput(argv[3]!, [...res, ...rss]))
    }
    if (argv[0] === 'runc' && argv[1] === 'state') {
      return h.container === 'absent' ? fail(`container "${id}" does not exist`) : ok(JSON.stringify({ status: h.container, pid: h.container === 'running' || h.container === 'paused' ? 4242 : 0 }))
    }
    if (argv[0] === 'runc' && argv[1] === 'checkpoint') {
      if (h.container !== 'running') return fail('container is not running')
      if (!has('--leave-running') && !has('--pre-dump')) h.container = 'stopped'
      return ok()
    }
    if (has('restore') && argv.includes('runc')) {
      if (h.container !== 'absent') return fail(`container with id exists: ${id}`)
      h.container = 'running'
      return ok()
    }
    if (argv[0] === 'runc' && argv[1] === 'resume') {
      if (h.container !== 'paused') return fail('container not paused')
      h.container = 'running'
      return ok()
    }
    if (argv[0] === 'runc' && argv[1] === 'delete') {
      if (h.container === 'running' && !has('--force')) return fail('cannot delete container that is not stopped')
      h.container = 'absent'
      return ok()
    }
    if (argv[0] === 'ip' && argv[1] === '-o') {
      return ok(h.holdsIp ? `2: eth0    inet ${this.tour.floatingIp.address}/24 scope global eth0\n` : '2: eth0    inet 198.51.100.99/24 scope global eth0\n')
    }
    // writeTrackFile(Fenced): sh -c SCRIPT sh FILE VALUE [CLAIM N]
    if (argv[0] === 'sh' && argv[4] === this.tour.floatingIp.trackFile) {
      if (argv[6]) h.claims.add(argv[6])
      h.track = Number(argv[5])
      this.arbitrate()
      return ok()
    }
    // awaitAddress: sh -c SCRIPT sh IP WANT N SETTLE [FILE VALUE [armed|- [CLAIM]]]: the write here
    // (an armed one's after its go line, FakeRemote.run), the wait in FakeRemote.run.
    if (this.isAwaitAddress(argv)) {
      const claim = argv[11]
      if (claim && h.claims.has(claim)) return { code: FENCED_EXIT, stdout: 'started\n', stderr: '', ms: 1 }
      if (claim) h.claims.add(claim)
      if (argv[8] === this.tour.floatingIp.trackFile) {
        h.track = Number(argv[9])
        this.arbitrate()
      }
      return ok()
    }
    // A snapshot that freezes the game first (criu/freeze-first.ts): the checkpoint inside, and the
    // wrapper's line (held a little less than the fixture's CRIU pause, as on the lab).
    if (argv[0] === 'perl' && argv[2]?.includes(FREEZE_FIRST_MARK)) {
      const ck = this.answer(name, argv.slice(7 + Number(argv[6])))
      return ck.code === 0 ? { ...ck, stdout: `${ck.stdout}${this.freezeFirstLine}\n` } : ck
    }
    // Pre-copy's one-command tail (transfer/tail-chain.ts): the dump here, the delta's figures, and
    // the verified copy on the host its ssh names (the gate there restores: FakeRemote.gate).
    if (argv[0] === 'sh' && argv[2]?.includes('globehop-tail: dumped')) {
      const ck = this.answer(name, unquote(argv[11]!))
      if (ck.code !== 0) return { ...ck, stdout: `${TAIL_MARK.freezing}\n${TAIL_MARK.dumpFailed} (${ck.code})\n` }
      const to = [...this.tour.hosts].find((x) => x.address === argv[argv.length - 1])!
      this.hosts.get(to.name)!.tailVerified = true
      return ok(`${TAIL_MARK.freezing}\n${TAIL_MARK.frozen}\n${TAIL_MARK.dumped}\n${FAKE_DELTA}`)
    }
    if (argv[0] === 'sh' && argv[2]?.includes('globehop-fence:')) return ok('globehop-fence: claimed\n')
    // The final page delta (transfer/page-delta.ts): both ends' figures.
    if (argv[0] === 'sh' && argv.some((a) => a.includes('globehop-delta: files'))) return ok(FAKE_DELTA)
    if (argv[0] === 'rsync' && argv[1] !== '--version') {
      return ok('Number of files: 20\nTotal file size: 95,000,000 bytes\nLiteral data: 95,000,000 bytes\nMatched data: 0 bytes\nTotal bytes sent: 13,100,000\nTotal bytes received: 1,000\n')
    }
    if (argv[0] === 'du') return ok(`95000000\t${argv[2]}\n`)
    // What preflight asks, answered like the lab's hosts (no soft-dirty, userfaultfd yes).
    if (line === 'runc --version') return ok('runc version 1.3.6\ncommit: v1.3.6\n')
    if (line === 'criu --version') return ok('Version: 4.2.1\n')
    if (line === 'criu check --feature mem_dirty_track') return fail('Warn  (criu/cr-check.c:824): Dirty tracking is OFF. Memory snapshot will not work.')
    if (line === 'criu check --feature uffd-noncoop') return ok('UFFD is supported\n')
    if (line === 'criu check') return ok('Looks good.\n')
    if (line === 'uname -r') return ok('6.18.44\n')
    if (argv[0] === 'rsync' && argv[1] === '--version') return ok('rsync  version 3.5.1  protocol version 33\nCompress list:\n    zstd lz4 zlibx zlib none\n')
    if (argv[0] === 'cat' && argv[1]?.endsWith('config.json')) return ok(JSON.stringify({ root: { path: 'rootfs' }, linux: { cgroupsPath: `x/${name}` } }))
    if (argv[0] === 'sysctl' && argv[1] === '-n' && argv.length === 4) return ok('1\n1048576\n')
    if (argv[0] === 'pgrep') return ok('18\n')
    if (argv[0] === 'sh' && argv[2]?.includes('sha256sum')) return ok('6db78bb25cd2aa  -\n')
    if (argv[0] === 'sh' && argv[2]?.includes('MemAvailable')) return ok(this.shm)
    if (argv[0] === 'sh' && argv[2]?.includes('df -B1')) return ok('80000000000\n')
    if (argv[0] === 'sh' && argv[2]?.includes('command -v "$t"')) return ok(this.zstd ? '' : 'zstd\n')
    if (argv[0] === 'sh' && argv[2]?.includes('VmRSS')) return ok('120000000\n')
    if (argv[0] === 'base64') return fail('no such file')
    return ok()
  }
}

class FakeRemote implements Remote {
  constructor(
    private readonly world: FakeWorld,
    readonly host: Host,
  ) {}

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    await Promise.resolve()
    const err = this.world.throwFor(this.host.name, argv)
    if (err) throw err
    const wait = this.world.delay(this.host.name, argv, opts)
    if (wait) await untilAborted(wait, opts.signal, `${this.host.name}: \`${argv.join(' ')}\` was cancelled`)
    if (isGate(argv)) return this.gate(argv, opts)
    if (this.world.isAwaitAddress(argv) && argv[10] === 'armed') {
      const said = await this.heard(opts)
      // A go line already on the wire when the link broke: the engine's channel fails, the host
      // reads the line once the link is back.
      const late = said === GATE_GO ? this.world.lateGo(this.host.name) : undefined
      if (late) {
        this.world.late.push(late.then(() => this.world.answer(this.host.name, argv)))
        throw new SshError(this.host.name, 'lost', `${this.host.name}: connection lost`)
      }
      // A host cut off meanwhile never hears the go line: its connection is what broke.
      const lost = this.world.throwFor(this.host.name, argv)
      if (lost) throw lost
      if (said !== GATE_GO) {
        this.world.hosts.get(this.host.name)!.commands.push(`${argv.join(' ')} (no go line)`)
        return { code: NOT_TRIGGERED_EXIT, stdout: 'started\n', stderr: '', ms: 1 }
      }
      // Stopped before its shell wrote (the rollback's writes come next): a closed channel writes nothing.
      if (opts.signal?.aborted) throw new Error(`${this.host.name}: \`${argv.join(' ')}\` was cancelled`)
    }
    const r = this.world.answer(this.host.name, argv)
    if (r.code === 0 && this.world.isAwaitAddress(argv)) return this.awaitAddress(argv, opts)
    if (opts.onLine) for (const l of r.stdout.split('\n')) if (l) opts.onLine('stdout', l)
    if (r.code !== 0 && !opts.allowFail) throw new RemoteCommandError(this.host.name, argv.join(' '), r.code, r.stderr)
    return r
  }

  /** All a command's stdin said (a stream the engine ends). */
  private async heard(opts: RunOptions): Promise<string> {
    let said = ''
    const stdin = opts.stdin
    if (stdin && typeof stdin !== 'string' && !Buffer.isBuffer(stdin)) for await (const b of stdin) said += String(b)
    return said
  }

  /** The restore gate: waits for the tail's verified copy, says so, restores on the go line. */
  private async gate(argv: readonly string[], opts: RunOptions): Promise<RunResult> {
    const h = this.world.hosts.get(this.host.name)!
    h.commands.push(`restore gate ${argv[GATE_ARGV_AT.marker]}`)
    const end = (code: number, stderr = ''): RunResult => {
      if (code !== 0 && !opts.allowFail) throw new RemoteCommandError(this.host.name, 'restore gate', code, stderr)
      return { code, stdout: '', stderr, ms: 1 }
    }
    opts.onLine?.('stdout', 'globehop-gate: ready')
    const deadline = Date.now() + 2000
    while (!h.tailVerified) {
      if (opts.signal?.aborted) throw Object.assign(new Error(`${this.host.name}: restore gate was cancelled`), { name: 'AbortError' })
      if (Date.now() > deadline) return end(GATE_EXIT.noCopy)
      await new Promise((r) => setTimeout(r, 5))
    }
    h.tailVerified = false
    opts.onLine?.('stdout', 'globehop-gate: verified globehop-delta: verified 20 files 95000000 bytes')
    if ((await this.heard(opts)) !== GATE_GO) return end(GATE_EXIT.noGo)
    opts.onLine?.('stdout', 'globehop-gate: restoring')
    const r = this.world.answer(this.host.name, argv.slice(GATE_ARGV_AT.restore))
    return end(r.code, r.stderr)
  }

  /** The host watches its own addresses: the other host's track file may land a moment later. */
  private async awaitAddress(argv: readonly string[], opts: RunOptions): Promise<RunResult> {
    const want = argv[5] === '1'
    const deadline = Date.now() + Math.min(500, Number(argv[6]) * 20)
    while (this.world.hosts.get(this.host.name)!.holdsIp !== want) {
      if (opts.signal?.aborted) throw new Error(`${this.host.name}: \`${argv.join(' ')}\` was cancelled`)
      if (Date.now() > deadline) return { code: 3, stdout: '', stderr: '', ms: 1 }
      await new Promise((r) => setTimeout(r, 5))
    }
    return { code: 0, stdout: '', stderr: '', ms: 1 }
  }

  start(argv: readonly string[], opts: Omit<RunOptions, 'allowFail'> = {}): RemoteProcess {
    const done = this.run(argv, { ...opts, allowFail: true })
    return { done, kill: () => {} }
  }

  async close(): Promise<void> {}
}

/** Splits a quoteArgv string back into its words (single quotes and `'\\''` escapes only). */
function unquote(line: string): string[] {
  const words: string[] = []
  let w = ''
  let quoted = false
  let inWord = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quoted) {
      if (c === "'") quoted = false
      else w += c
    } else if (c === "'") {
      quoted = inWord = true
    } else if (c === '\\') {
      w += line[++i] ?? ''
      inWord = true
    } else if (c === ' ') {
      if (inWord) words.push(w)
      w = ''
      inWord = false
    } else {
      w += c
      inWord = true
    }
  }
  if (inWord) words.push(w)
  return words
}

function untilAborted(p: Promise<void>, signal: AbortSignal | undefined, words: string): Promise<void> {
  if (!signal) return p
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      const e = new Error(words)
      e.name = 'AbortError'
      reject(e)
    }
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

// Free memory kept warm on a host whose hypervisor takes freed memory back (virtio-balloon free page
// reporting, host-facts.ts): the first touch of such memory waits for the hypervisor to back it
// again. CRIU's restore reads the game's memory into fresh pages and its dump writes the image into
// fresh page cache, so on the lab (one VM with reporting on) a 95 MB read into fresh memory took
// 107-277 ms after 3 s idle against 40-43 ms right after another process had touched and freed
// 100 MB; CRIU's restore of the game took 57-285 ms. With 100 MB touched and freed every 0.3 s beside
// the lab, 12 pre-copy hops' restores took 58-87 ms (2026-12-04). So from the hop's start to its end
// each such host runs a loop that does that: dd reading /dev/zero into one buffer of the image's
// size, at nice 19, ~10-20 ms of a core per 100 MB and round once the memory is backed.
// It ends when the engine stops it (its process group), when its SSH channel is gone (its next line
// meets a closed pipe) and, whatever happens, after WARM_BOUND_MS.
import type { RemoteProcess } from '../../ssh/types'
import type { HopContext } from '../hop-context'

export const WARM_PERIOD_S = 0.3
/** A loop whose engine vanished without closing its channel still ends: a hop that runs longer
 *  (a whole image on a slow link) is warm for its first WARM_BOUND_MS only. */
export const WARM_BOUND_MS = 5 * 60_000
/** The name the loop runs under (its shell's $0), so a host's process list says what it is. */
export const WARM_NAME = 'globehop-warm-memory'
/** Its line after each round: the first one says the memory is warm. */
export const WARM_LINE = 'warm'
/** How long the hop waits for the first round before it goes on anyway. */
export const WARM_FIRST_MS = 1000

/** The loop, as argv: `bytes` touched and freed every WARM_PERIOD_S, at most `rounds` times. */
export function warmMemoryArgv(bytes: number, rounds = Math.ceil(WARM_BOUND_MS / 1000 / WARM_PERIOD_S)): string[] {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new Error(`warm memory: ${bytes} is not a byte count`)
  const script = [
    'b=$1 n=$2 i=0',
    'while [ "$i" -lt "$n" ]; do',
    '  dd if=/dev/zero of=/dev/null bs="$b" count=1 2>/dev/null || exit 0',
    // A closed channel ends the loop here (SIGPIPE), whether or not sshd signalled anything.
    `  echo ${WARM_LINE} || exit 0`,
    `  sleep ${WARM_PERIOD_S} || exit 0`,
    '  i=$((i + 1))',
    'done',
  ].join('\n')
  return ['nice', '-n', '19', 'sh', '-c', script, WARM_NAME, String(bytes), String(rounds)]
}

export interface WarmMemory {
  /** Every loop has done its first round (or WARM_FIRST_MS passed, or it ended): never rejects. */
  readonly ready: Promise<void>
  /** Ends every loop (idempotent); never throws. */
  stop(): void
}

export const noWarmMemory: WarmMemory = { ready: Promise.resolve(), stop: () => undefined }

/** Starts the loops the decision asked for (bytes per side; 0: none there). Never throws. */
export function startWarmMemory(ctx: Pick<HopContext, 'src' | 'dst'>, warm: { src: number; dst: number } | undefined): WarmMemory {
  const procs: RemoteProcess[] = []
  const firsts: Promise<void>[] = []
  for (const [remote, bytes] of [
    [ctx.src, warm?.src ?? 0],
    [ctx.dst, warm?.dst ?? 0],
  ] as const) {
    if (!(bytes > 0)) continue
    let first: () => void = () => undefined
    // A loop that could not start or was stopped only leaves that memory cold: never the hop's failure.
    try {
      const p = remote.start(warmMemoryArgv(bytes), { log: 'command', timeoutMs: WARM_BOUND_MS + 10_000, onLine: (s, l) => s === 'stdout' && l === WARM_LINE && first() })
      firsts.push(new Promise<void>((r) => (first = r)))
      p.done.then(first, first)
      procs.push(p)
    } catch {
      continue
    }
  }
  if (!procs.length) return noWarmMemory
  let timer: NodeJS.Timeout | undefined
  const ready = Promise.race([Promise.all(firsts).then(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, WARM_FIRST_MS)))]).finally(() => clearTimeout(timer))
  let stopped = false
  return {
    ready,
    stop: () => {
      if (stopped) return
      stopped = true
      for (const p of procs) {
        try {
          p.kill()
        } catch {
          // Its connection is gone: the loop meets a closed pipe on its next line.
        }
      }
    },
  }
}

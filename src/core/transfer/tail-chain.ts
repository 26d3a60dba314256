// Pre-copy's frozen tail as one command on the source: the final dump, the one-way page delta and
// the destination's verify-then-restore, with no round trip to the engine between them. Measured
// on the lab (50 ms link), each hand-back cost a channel open and exec (2 RTT to the host), and the
// delta's host-to-host session another 1.5 RTT of the pair, all while players waited. Here the
// destination's session opens beside the dump and reads the stream from a FIFO; it restores only
// after every file verified, and only if it wins the restore claim (an atomic mkdir) that a
// rollback or `globehop recover` takes first to fence it off. Progress comes back as marker lines.
import { quoteArgv, shNeutralCommand } from '../ssh/quote'
import { COUNT, gzipArg, RECEIVER, receiverScript, SENDER } from './page-delta'

export const TAIL_MARK = {
  dumped: 'globehop-tail: dumped',
  dumpFailed: 'globehop-tail: dump failed',
  restoring: 'globehop-tail: restoring',
  fenced: 'globehop-tail: fenced',
} as const

/** Exit status of the destination's side when a rollback had claimed the restore first. */
export const FENCED_EXIT = 96

export interface TailChainArgs {
  /** The final checkpoint's argv on the source (the runtime's). */
  checkpoint: readonly string[]
  img: string
  /** The snapshot the destination's `remoteImg` holds, on the source. */
  basis: string
  remoteImg: string
  /** ssh argv up to and including the destination (HOST_SSH_OPTS, port, user, `--`, address). */
  ssh: readonly string[]
  compress: boolean
  /** The link's measured rate: gzip's level follows it. */
  mbitPerSec?: number | null
  /** The destination's restore argv (run after every file verified). */
  restore: readonly string[]
  /** Source: the FIFO the stream goes through. */
  fifo: string
  /** Destination: the restore claim (mkdir) and the file written when the restore ended. */
  claim: string
  done: string
}

const SOURCE = [
  'fifo=$1 img=$2 base=$3 zip=$4 sender=$5 remote=$6 count=$7 ckpt=$8; shift 8',
  'rm -f "$fifo"; mkfifo "$fifo" || exit 97',
  // The destination's session opens now, beside the dump: it is ready when the first page is.
  '"$@" "$remote" <"$fifo" &',
  'peer=$!',
  'exec 3>"$fifo"; rm -f "$fifo"',
  `eval "$ckpt" 3>&-; rc=$?`,
  // No stream on a failed dump: the destination reads a cut-short stream and restores nothing.
  `if [ "$rc" -ne 0 ]; then echo "${TAIL_MARK.dumpFailed} ($rc)"; exec 3>&-; wait "$peer"; exit "$rc"; fi`,
  `echo "${TAIL_MARK.dumped}"`,
  'if [ "$zip" != 0 ]; then perl -e "$sender" -- "$img" "$base" | gzip -"$zip" | perl -e "$count" >&3',
  'else perl -e "$sender" -- "$img" "$base" | perl -e "$count" >&3; fi',
  'exec 3>&-',
  'wait "$peer"',
].join('\n')

const DESTINATION = (compress: boolean) =>
  [
    'recv=$1 dir=$2 claim=$3 done=$4; shift 4',
    `set -- "$recv" "$dir" "$@"`,
    `${receiverScript(compress)} || exit $?`,
    'shift 2',
    `mkdir "$claim" 2>/dev/null || { echo "${TAIL_MARK.fenced}: a rollback claimed the restore first" >&2; exit ${FENCED_EXIT}; }`,
    `echo "${TAIL_MARK.restoring}"`,
    '"$@"; rc=$?',
    'echo "$rc" >"$done"',
    'exit "$rc"',
  ].join('\n')

/** One command on the source; its exit status is the restore's (or the first failure's). */
export function tailChainArgv(a: TailChainArgs): string[] {
  // The destination's login shell may be any shell: the command reaches sh unchanged (quote.ts).
  const remote = shNeutralCommand(quoteArgv(['sh', '-c', DESTINATION(a.compress), 'sh', RECEIVER, a.remoteImg, a.claim, a.done, ...a.restore]))
  return ['sh', '-c', SOURCE, 'sh', a.fifo, a.img, a.basis, gzipArg(a), SENDER, remote, COUNT, quoteArgv(a.checkpoint), ...a.ssh]
}

/**
 * On the destination, before anything else undoes or repeats a hop: take the restore claim so a
 * tail chain still on its way can never start a second copy; when the chain took it first, wait
 * (bounded) for its restore to end, so what runs there afterwards is settled. Prints what it found.
 */
export function fenceArgv(hopDir: string, claim: string, done: string, waitMs: number): string[] {
  const script = [
    'hop=$1 claim=$2 done=$3 n=$4',
    '[ -d "$hop" ] || { echo "globehop-fence: no hop directory"; exit 0; }',
    'if mkdir "$claim" 2>/dev/null; then echo "globehop-fence: claimed"; exit 0; fi',
    'i=0; while [ ! -e "$done" ] && [ "$i" -lt "$n" ]; do sleep 0.1; i=$((i+1)); done',
    'if [ -e "$done" ]; then echo "globehop-fence: restore ended"; else echo "globehop-fence: restore still running"; fi',
  ].join('\n')
  return ['sh', '-c', script, 'sh', hopDir, claim, done, String(Math.max(1, Math.ceil(waitMs / 100)))]
}

export type FenceOutcome = 'claimed' | 'restore ended' | 'restore still running' | 'no hop directory'

export function parseFence(stdout: string): FenceOutcome | null {
  const m = /globehop-fence: (claimed|restore ended|restore still running|no hop directory)/.exec(stdout)
  return m ? (m[1] as FenceOutcome) : null
}

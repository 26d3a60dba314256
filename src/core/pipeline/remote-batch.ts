// Several read-only queries as one remote command: each SSH exec costs a few round trips (channel
// open, exec, exit status, close), which on a 133 ms link is ~0.5 s per command however small,
// and preflight asked ~15 questions per host in four dependent waves. The batch runs every query
// at once under one `sh -s` (the script travels on stdin, so the logged command line stays short)
// and prints each one's exit code, stdout and stderr between lines carrying a random marker.
import { randomBytes } from 'node:crypto'
import { quoteArg, quoteArgv } from '../ssh/quote'
import type { Remote, RunOptions, RunResult } from '../ssh/types'

export const BATCH_LABEL = 'globehop-batch'

export type Query = readonly [key: string, argv: readonly string[]]

/**
 * The script: every query in the background into its own files, then (after `after`, shell text
 * that may read "$d/KEY.o" and write more KEY files) each key's sections in order.
 */
export function batchScript(queries: readonly Query[], marker: string, after: { keys: string[]; script: string } = { keys: [], script: '' }): string {
  for (const [k] of queries) if (!/^[a-z0-9-]+$/.test(k)) throw new Error(`batch key "${k}": lowercase letters, digits and dashes only`)
  const keys = [...queries.map(([k]) => k), ...after.keys]
  return [
    'd=$(mktemp -d) || exit 97',
    "trap 'rm -rf \"$d\"' EXIT",
    ...queries.map(([k, argv]) => `( ${quoteArgv(argv)} ) </dev/null >"$d/${k}.o" 2>"$d/${k}.e"; echo $? >"$d/${k}.c" &`),
    'wait',
    after.script,
    `m=${quoteArg(marker)}`,
    `for k in ${keys.join(' ')}; do`,
    '  [ -f "$d/$k.c" ] || continue',
    '  printf \'%s %s %s\\n\' "$m" "$k" "$(cat "$d/$k.c")"',
    '  cat "$d/$k.o"; printf \'\\n%s -\\n\' "$m"',
    '  cat "$d/$k.e"; printf \'\\n%s .\\n\' "$m"',
    'done',
  ].join('\n')
}

/** The same text the script prints, from results (test doubles answer batches with it). */
export function batchOutput(marker: string, results: readonly (readonly [string, RunResult])[]): string {
  return results.map(([k, r]) => `${marker} ${k} ${r.code}\n${r.stdout}\n${marker} -\n${r.stderr}\n${marker} .\n`).join('')
}

/** Each key's result from the batch's stdout; a key the output lacks is absent. */
export function parseBatch(out: string, marker: string): Map<string, RunResult> {
  const res = new Map<string, RunResult>()
  const m = marker.replace(/[^A-Za-z0-9]/g, '')
  const re = new RegExp(`(?:^|\\n)${m} ([a-z0-9-]+) (-?\\d+)\\n([\\s\\S]*?)\\n${m} -\\n([\\s\\S]*?)\\n${m} \\.(?=\\n|$)`, 'g')
  for (const x of out.matchAll(re)) res.set(x[1]!, { code: Number(x[2]), stdout: x[3]!, stderr: x[4]!, ms: 0 })
  return res
}

export function isBatch(argv: readonly string[]): boolean {
  return argv[0] === 'sh' && argv[1] === '-s' && argv[2] === BATCH_LABEL
}

/**
 * Runs the queries in one remote command. A key the host did not answer (the batch failed, or
 * the connection did) reads as exit -1 with the batch's words.
 */
export async function runBatch(r: Remote, queries: readonly Query[], opts: Pick<RunOptions, 'timeoutMs' | 'log'> = {}, after?: { keys: string[]; script: string }): Promise<Map<string, RunResult>> {
  const marker = `gh${randomBytes(8).toString('hex')}`
  const keys = [...queries.map(([k]) => k), ...(after?.keys ?? [])]
  let out: RunResult
  try {
    out = await r.run(['sh', '-s', BATCH_LABEL, marker], { ...opts, stdin: batchScript(queries, marker, after), allowFail: true })
  } catch (e) {
    out = { code: -1, stdout: '', stderr: String(e), ms: 0 }
  }
  const res = parseBatch(out.stdout, marker)
  for (const k of keys.slice(0, queries.length)) if (!res.has(k)) res.set(k, { code: -1, stdout: '', stderr: out.stderr || `the batch exited ${out.code} without answering ${k}`, ms: out.ms })
  return res
}

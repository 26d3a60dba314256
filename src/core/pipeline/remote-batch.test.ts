import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { RSS_AFTER } from './host-facts'
import { batchOutput, batchScript, parseBatch, type Query } from './remote-batch'

const run = promisify(execFile)

/** The script under the local sh, as the host's sh runs it (script on stdin). */
async function sh(script: string): Promise<string> {
  const p = run('sh', ['-s', 'globehop-batch', 'x'])
  p.child.stdin!.end(script)
  return (await p).stdout
}

const queries: Query[] = [
  ['plain', ['echo', 'hello']],
  ['both', ['sh', '-c', 'printf "out\\n"; printf "err\\n" >&2; exit 3']],
  ['empty', ['true']],
  ['no-newline', ['printf', "%s", "it's \"quoted\" $HOME `x`"]],
  ['slow', ['sh', '-c', 'sleep 0.3; echo late']],
  ['stdin', ['sh', '-c', 'cat; echo read-nothing']],
]

describe('remote batch', () => {
  it("runs every query under one sh, each with its exit code, stdout and stderr, quoting intact", async () => {
    const m = 'gh0123456789abcdef'
    const t0 = Date.now()
    const res = parseBatch(await sh(batchScript(queries, m)), m)
    expect(res.get('plain')).toMatchObject({ code: 0, stdout: 'hello\n', stderr: '' })
    expect(res.get('both')).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' })
    expect(res.get('empty')).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect(res.get('no-newline')).toMatchObject({ code: 0, stdout: "it's \"quoted\" $HOME `x`" })
    expect(res.get('slow')).toMatchObject({ code: 0, stdout: 'late\n' })
    // Queries never read the script itself from stdin.
    expect(res.get('stdin')).toMatchObject({ code: 0, stdout: 'read-nothing\n' })
    expect([...res.keys()]).toEqual(queries.map(([k]) => k))
    // At once, not one after the other.
    expect(Date.now() - t0).toBeLessThan(3000)
  })
  it('the formatter test doubles use reads back the same', () => {
    const r = { code: 1, stdout: 'a\n\nb', stderr: 'c\n', ms: 0 }
    expect(parseBatch(batchOutput('ghx1', [['k', r], ['e', { code: 0, stdout: '', stderr: '', ms: 0 }]]), 'ghx1')).toEqual(
      new Map([['k', r], ['e', { code: 0, stdout: '', stderr: '', ms: 0 }]]),
    )
  })
  it("the RSS step reads the pid out of runc's state JSON", async () => {
    const m = 'ghfeed'
    const state = JSON.stringify({ ociVersion: '1.2.1', id: 'xonotic', pid: process.pid, status: 'running' }, null, 2)
    const res = parseBatch(await sh(batchScript([['state', ['printf', '%s\\n', state]]], m, RSS_AFTER)), m)
    expect(Number(res.get('rss')?.stdout.trim())).toBeGreaterThan(1_000_000)
    // A stopped container (pid 0) has no RSS line at all.
    const stopped = parseBatch(await sh(batchScript([['state', ['printf', '%s\\n', '{\n  "pid": 0,\n  "status": "stopped"\n}']]], m, RSS_AFTER)), m)
    expect(stopped.has('rss')).toBe(false)
  })
  it('refuses keys that could break the script', () => {
    expect(() => batchScript([['a b', ['true']]], 'gh1')).toThrow(/lowercase letters, digits and dashes/)
  })
})

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { parseReplayArgs, runReplay } from './replay'
import { UsageError } from './usage'

const dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-replay-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function stderrOf(argv: string[]): Promise<{ code: number; err: string }> {
  const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
  try {
    const code = await runReplay(argv)
    return { code, err: spy.mock.calls.map((c) => String(c[0])).join('\n') }
  } finally {
    spy.mockRestore()
  }
}

describe('globehop replay', () => {
  it('parses FILE, --speed, --port, --presenter, --no-open', () => {
    expect(parseReplayArgs(['r.jsonl'])).toEqual({ file: 'r.jsonl', speed: 1, port: 0, presenter: false, open: true })
    expect(parseReplayArgs(['r.jsonl', '--speed', '2.5', '--port', '8080', '--presenter', '--no-open'])).toEqual({ file: 'r.jsonl', speed: 2.5, port: 8080, presenter: true, open: false })
    expect(() => parseReplayArgs([])).toThrow(UsageError)
    expect(() => parseReplayArgs(['a', 'b'])).toThrow(/one FILE/)
    expect(() => parseReplayArgs(['a', '--speed', '0'])).toThrow(/--speed/)
    expect(() => parseReplayArgs(['a', '--speed', 'fast'])).toThrow(/--speed/)
    expect(() => parseReplayArgs(['a', '--port', '70000'])).toThrow(/--port/)
    expect(() => parseReplayArgs(['a', '--tour', 'x'])).toThrow(UsageError)
  })

  it('a missing, foreign or newer file fails with 1 and a message naming it, before serving anything', async () => {
    const missing = path.join(dir, 'missing.jsonl')
    expect(await stderrOf([missing])).toEqual({ code: 1, err: expect.stringContaining(`globehop replay: ${missing}: ENOENT`) })
    const foreign = path.join(dir, 'notes.jsonl')
    writeFileSync(foreign, '{"hello":1}\n')
    expect(await stderrOf([foreign])).toEqual({ code: 1, err: expect.stringContaining(`${foreign}:1: not a globehop recording`) })
    const newer = path.join(dir, 'newer.jsonl')
    writeFileSync(newer, `${JSON.stringify({ type: 'header', format: 'globehop-recording', version: 99 })}\n`)
    expect(await stderrOf([newer])).toEqual({ code: 1, err: expect.stringMatching(/newer\.jsonl: recording format version 99 is newer than this globehop reads/) })
  })
})

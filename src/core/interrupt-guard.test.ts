import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exitCodeFor } from './interrupt-guard'

// A real process with the guard installed and a stand-in hop: the hop claims the control, may
// freeze, and ends after HOP_MS. The test signals it (or closes its stdout) right after READY.
const HOP_MS = 1500
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const url = (rel: string) => new URL(rel, import.meta.url).href

const SCRIPT = `
import { HopControl } from ${JSON.stringify(url('./pipeline/hop-control.ts'))}
import { guardProcess } from ${JSON.stringify(url('./interrupt-guard.ts'))}
const mode = process.argv[2]
const control = new HopControl()
guardProcess({ target: () => ({ control, cancel: () => control.stop() }) })
const t0 = Date.now()
if (mode !== 'idle') control.claim('hop')
if (mode === 'frozen' || mode === 'epipe') {
  control.freeze()
  setTimeout(() => {
    process.stderr.write('HOP-END\\n')
    control.thaw()
    control.release()
  }, ${HOP_MS})
}
if (mode === 'busy') {
  // Before the freeze a hop gives up as soon as its signal aborts.
  control.signal.addEventListener('abort', () => {
    process.stderr.write('ABORTED\\n')
    setTimeout(() => control.release(), 20)
  })
  setTimeout(() => {
    process.stderr.write('HOP-END\\n')
    control.release()
  }, 10_000)
}
if (mode === 'epipe') {
  let n = 0
  setInterval(() => process.stdout.write('progress line ' + n++ + '\\n'), 10)
}
// Never linger: a guard that does not exit shows as exit code 7.
setTimeout(() => process.exit(7), 15_000).unref?.()
setInterval(() => {}, 1000)
process.stdout.write('READY\\n')
`

let dir: string
let script: string
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-guard-'))
  script = path.join(dir, 'hop.mts')
  writeFileSync(script, SCRIPT)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
  /** From the first signal (or the closed stdout) to the exit. */
  ms: number
}

function runGuarded(mode: 'frozen' | 'busy' | 'idle' | 'epipe', signals: NodeJS.Signals[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, mode], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let out = ''
    let t0 = 0
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    child.stdout.on('error', () => undefined)
    child.stdout.on('data', (b: Buffer) => {
      if (t0) return
      out += b.toString()
      if (!out.includes('READY\n')) return
      t0 = Date.now()
      // The reader goes away (`| head`): the child's next writes fail with EPIPE.
      if (mode === 'epipe') child.stdout.destroy()
      signals.forEach((s, i) => setTimeout(() => child.kill(s), i * 200))
    })
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(killer)
      // Let the last stderr bytes arrive.
      setTimeout(() => resolve({ code, signal, stderr, ms: t0 ? Date.now() - t0 : -1 }), 50)
    })
  })
}

describe('guardProcess in a real process', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGHUP', 129],
    ['SIGTERM', 143],
  ] as const)('%s while frozen: says so, finishes the hop, then exits %i', async (sig, code) => {
    const r = await runGuarded('frozen', [sig])
    expect(r.stderr).toContain(`globehop: ${sig}: the container is frozen: finishing the hop (or rolling it back), then exiting`)
    expect(r).toMatchObject({ code, signal: null })
    // Not before the hop ended: its end comes before the guard's last words.
    const lines = r.stderr.trim().split('\n')
    expect(lines.indexOf('HOP-END')).toBeGreaterThan(lines.findIndex((l) => l.includes('finishing the hop')))
    expect(lines.at(-1)).toBe('globehop: the hop is over: exiting')
    expect(r.ms).toBeGreaterThan(HOP_MS - 400)
  }, 30_000)

  it('a second Ctrl-C while frozen still waits for the hop', async () => {
    const r = await runGuarded('frozen', ['SIGINT', 'SIGINT'])
    expect(r).toMatchObject({ code: 130, signal: null })
    expect(r.stderr).toContain('globehop: SIGINT: the container is frozen: finishing the hop (or rolling it back), then exiting (still finishing; it is never abandoned)')
    expect(r.stderr.indexOf('HOP-END')).toBeGreaterThan(r.stderr.indexOf('still finishing'))
    expect(r.ms).toBeGreaterThan(HOP_MS - 400)
  }, 30_000)

  it('a closed stdout while frozen (EPIPE) is not fatal: the hop finishes, then exit 141', async () => {
    const r = await runGuarded('epipe', [])
    expect(r.stderr).not.toMatch(/Unhandled|Error: write EPIPE|node:internal/)
    expect(r.stderr).toContain('globehop: EPIPE: the container is frozen: finishing the hop (or rolling it back), then exiting')
    // Said once, not once per failed write (a hop writes progress lines all the time).
    expect(r.stderr.split('\n').filter((l) => l.includes('EPIPE'))).toHaveLength(1)
    expect(r).toMatchObject({ code: 141, signal: null })
    expect(r.stderr.indexOf('HOP-END')).toBeGreaterThan(r.stderr.indexOf('EPIPE: the container is frozen'))
    expect(r.ms).toBeGreaterThan(HOP_MS - 400)
  }, 30_000)

  it('SIGINT while busy but not frozen cancels at once and exits promptly', async () => {
    const r = await runGuarded('busy', ['SIGINT'])
    expect(r).toMatchObject({ code: 130, signal: null })
    expect(r.stderr).toContain('globehop: SIGINT: nothing is frozen: cancelling, the container stays where it is')
    expect(r.stderr).toContain('ABORTED')
    expect(r.stderr).not.toContain('HOP-END')
    expect(r.ms).toBeLessThan(1000)
  }, 30_000)

  it('SIGINT when idle exits at once with 130', async () => {
    const r = await runGuarded('idle', ['SIGINT'])
    expect(r).toMatchObject({ code: 130, signal: null })
    expect(r.stderr).not.toContain('frozen')
    expect(r.ms).toBeLessThan(1000)
  }, 30_000)
})

describe('exitCodeFor', () => {
  it('128 + the signal number; EPIPE as SIGPIPE', () => {
    expect(exitCodeFor('SIGINT')).toBe(130)
    expect(exitCodeFor('SIGHUP')).toBe(129)
    expect(exitCodeFor('SIGTERM')).toBe(143)
    expect(exitCodeFor('EPIPE')).toBe(141)
    expect(exitCodeFor('something else')).toBe(1)
  })
})

// Runs local tools (ip, tc, debootstrap, nsenter...) with captured output and clear errors.
import { spawn } from 'node:child_process'

export interface CmdResult {
  code: number
  stdout: string
  stderr: string
}

export interface CmdOptions {
  input?: string | Buffer
  allowFail?: boolean
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Called per line of stderr/stdout (progress for long builds). */
  onLine?: (line: string) => void
  timeoutMs?: number
}

export class CmdError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: CmdResult,
  ) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-8).join('\n')
    super(`\`${argv.join(' ')}\` exited ${result.code}${tail ? `:\n${tail}` : ''}`)
    this.name = 'CmdError'
  }
}

export function cmd(argv: readonly string[], opts: CmdOptions = {}): Promise<CmdResult> {
  const [file, ...args] = argv
  if (!file) throw new Error('cmd: empty argv')
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd })
    let stdout = ''
    let stderr = ''
    const lines = (chunk: string, carry: { s: string }) => {
      if (!opts.onLine) return
      carry.s += chunk
      const parts = carry.s.split('\n')
      carry.s = parts.pop() ?? ''
      for (const l of parts) if (l.trim()) opts.onLine(l)
    }
    const co = { s: '' }
    const ce = { s: '' }
    child.stdout.setEncoding('utf8').on('data', (d: string) => ((stdout += d), lines(d, co)))
    child.stderr.setEncoding('utf8').on('data', (d: string) => ((stderr += d), lines(d, ce)))
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(new Error(`cannot run ${file}: ${err.message}`))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const result = { code: code ?? (signal ? 128 : 1), stdout, stderr }
      if (result.code !== 0 && !opts.allowFail) reject(new CmdError(argv, result))
      else resolve(result)
    })
    child.stdin.on('error', () => {})
    child.stdin.end(opts.input ?? '')
  })
}

/** Runs argv inside a network namespace (the bridge or a host's, not its mount namespace). */
export function inNetns(ns: string, argv: readonly string[], opts?: CmdOptions): Promise<CmdResult> {
  return cmd(['ip', 'netns', 'exec', ns, ...argv], opts)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Polls `check` until it returns a value other than undefined/false, or throws after timeoutMs. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs
  let lastErr: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined && v !== false) return v
    } catch (err) {
      lastErr = err
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`)
    await sleep(everyMs)
  }
}

// Starting and stopping the lab's long-lived processes by PID, never by name.
import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { sleep } from './exec'

/** Starts argv detached from us with output appended to `log`; returns its PID. */
export function startDetached(argv: readonly string[], log: string, env: NodeJS.ProcessEnv = process.env): number {
  const [file, ...args] = argv
  if (!file) throw new Error('startDetached: empty argv')
  const fd = openSync(log, 'a')
  try {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd], env })
    if (child.pid === undefined) throw new Error(`cannot start ${file}`)
    child.unref()
    return child.pid
  } finally {
    closeSync(fd)
  }
}

export function cmdline(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  } catch {
    return null
  }
}

/** The process exists and is not a zombie (a dead process its parent has not reaped yet). */
export function isRunning(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

export function isAlive(pid: number, expect?: string): boolean {
  const c = cmdline(pid)
  if (!c || c.length === 0) return false
  return expect ? c.some((a) => a.includes(expect)) : true
}

/** TERM, then KILL after `graceMs`, only if the PID still runs a command containing `expect`. */
export async function stopPid(pid: number, expect: string, graceMs = 2000): Promise<void> {
  if (!isAlive(pid, expect)) return
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    return
  }
  const until = Date.now() + graceMs
  while (Date.now() < until) {
    if (!isAlive(pid)) return
    await sleep(50)
  }
  try {
    if (isAlive(pid, expect)) process.kill(pid, 'SIGKILL')
  } catch {
    // gone meanwhile
  }
  // Wait for it to die; a zombie counts as dead (its parent may be an init that reaps late).
  for (let i = 0; i < 60 && isRunning(pid); i++) await sleep(50)
}

/** First child of `pid` (the machine's init under `unshare --fork`). */
export function firstChild(pid: number): number | null {
  try {
    const c = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
    return c[0] ? Number(c[0]) : null
  } catch {
    return null
  }
}

// Small remote reads the steps share: sizes, CRIU stats files, container state.
import type { CriuStats } from '../../shared/contract'
import { decodeCriuStats } from '../criu/stats'
import type { Remote } from '../ssh/types'
import type { ContainerState } from './facts'
import type { RuntimeArgv, StatsReport } from './runtime/types'

/** Bytes under a directory (apparent size, as rsync counts them). */
export async function dirBytes(r: Remote, dir: string): Promise<number | undefined> {
  // The trailing slash follows a link (the source's final image in RAM, paths.ts finalDir).
  const res = await r.run(['du', '-sb', `${dir.replace(/\/+$/, '')}/`], { allowFail: true }).catch(() => null)
  if (!res) return undefined
  const n = Number(res.stdout.split(/\s/)[0])
  return res.code === 0 && Number.isFinite(n) ? n : undefined
}

/**
 * CRIU's figures from a stats file (CRIU's own, or what the runtime reports instead); undefined
 * when it is missing or unreadable (stats are figures, not gates).
 */
export async function readCriuStats(r: Remote, file: string, decode: StatsReport['decode'] = decodeCriuStats): Promise<CriuStats | undefined> {
  const res = await r.run(['base64', '-w0', file], { allowFail: true }).catch(() => null)
  if (!res || res.code !== 0) return undefined
  try {
    return decode(Buffer.from(res.stdout.trim(), 'base64'))
  } catch {
    return undefined
  }
}

export interface RuntimeState {
  state: ContainerState
  pid: number | null
}

export async function containerState(r: Remote, rt: RuntimeArgv, id: string): Promise<RuntimeState> {
  const res = await r.run(rt.state(id), { allowFail: true })
  if (res.code !== 0) {
    return /does not exist|not exist|no such/i.test(res.stderr + res.stdout) ? { state: 'absent', pid: null } : { state: 'unknown', pid: null }
  }
  return parseRuntimeState(res.stdout)
}

/**
 * Resumes the container where it is paused; true when it was. A checkpoint that froze the game
 * first (criu/freeze-first.ts) and died before its thaw leaves it paused, and an image it had no
 * time to set back to THAWED restores a paused game.
 */
export async function resumeIfPaused(r: Remote, rt: RuntimeArgv, id: string): Promise<boolean> {
  if ((await containerState(r, rt, id)).state !== 'paused') return false
  await r.run(rt.resume(id))
  return true
}

export function parseRuntimeState(json: string): RuntimeState {
  try {
    const o = JSON.parse(json) as { status?: string; pid?: number }
    const s = o.status
    const state: ContainerState = s === 'running' || s === 'stopped' || s === 'paused' || s === 'created' ? s : 'unknown'
    return { state, pid: typeof o.pid === 'number' && o.pid > 0 ? o.pid : null }
  } catch {
    return { state: 'unknown', pid: null }
  }
}

export const usToMs = (us: number | undefined): number | undefined => (us === undefined ? undefined : us / 1000)

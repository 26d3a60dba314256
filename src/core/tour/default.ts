// Which tour the app opens when none is given.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { labTourPath } from './lab-tour-path'

/** Finds a file shipped in the repo's resources/ from wherever this module was bundled to. */
export function resourcePath(...parts: string[]): string {
  let dir = import.meta.dirname
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'resources', ...parts)
    if (existsSync(candidate)) return candidate
    dir = path.dirname(dir)
  }
  throw new Error(`resources/${parts.join('/')} not found near ${import.meta.dirname}`)
}

/** GLOBEHOP_TOUR; else the local lab's tour while the lab is up; else the seed's world tour. */
export function defaultTourPath(): string {
  if (process.env.GLOBEHOP_TOUR) return process.env.GLOBEHOP_TOUR
  const lab = labTourPath()
  return existsSync(lab) ? lab : resourcePath('tours', 'world.yaml')
}

/** The recording of a real lab tour shipped with globehop (resources/recordings, see its README). */
export const SHIPPED_RECORDING = 'lab-tour-2026-11-30.jsonl'

/**
 * What the app shows when no tour was given: GLOBEHOP_TOUR, else the lab's tour while the lab is
 * up, else the shipped recording as a replay (a newcomer sees a real run without sending a packet
 * anywhere), else the world tour.
 */
export function defaultShow(): { tour: string } | { recording: string } {
  if (process.env.GLOBEHOP_TOUR || existsSync(labTourPath())) return { tour: defaultTourPath() }
  try {
    return { recording: resourcePath('recordings', SHIPPED_RECORDING) }
  } catch {
    return { tour: defaultTourPath() }
  }
}

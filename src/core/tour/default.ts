// Which tour the app opens when none is given.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { labTourPath } from '../lab/up'

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

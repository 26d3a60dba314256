// Which tour the app opens when none is given.
import { existsSync } from 'node:fs'
import path from 'node:path'

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

/** GLOBEHOP_TOUR, else the seed's world tour. */
export function defaultTourPath(): string {
  return process.env.GLOBEHOP_TOUR ?? resourcePath('tours', 'world.yaml')
}

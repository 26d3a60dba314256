// Where the camera goes: a hop framed so both ends (and the arc between) fit the view with a
// margin, and the eased flight between two such poses. Pure, unit-tested in node.
import { Vector3 } from 'three'
import { arcPoints, latLonToVec3, slerpDir, type LatLon } from './geo'

/** The camera looks at the globe's centre from `dir * distance`. */
export interface CameraPose {
  dir: Vector3
  distance: number
}

export interface FrameOptions {
  fovDeg: number
  aspect: number
  /** Share of the half view kept free around the framed points. */
  margin?: number
  minDistance?: number
  maxDistance?: number
}

/** Closest a framed hop brings the camera: Stuttgart–Strasbourg (~120 km) then spans about a fifth of the view. */
export const MIN_DISTANCE = 1.15
export const MAX_DISTANCE = 6

/**
 * Smallest distance along `dir` at which every point lies inside the view cone with the margin,
 * in front of the globe's horizon. The cone uses the narrower of the two half-angles, so the
 * points fit whatever way the camera's up vector turns them on screen.
 */
export function fitDistance(dir: Vector3, points: Vector3[], o: FrameOptions): number {
  const d = dir.clone().normalize()
  const tanV = Math.tan(((o.fovDeg / 2) * Math.PI) / 180)
  const tan = Math.min(tanV, tanV * o.aspect) * (1 - (o.margin ?? 0.2))
  let need = 0
  for (const p of points) {
    const along = p.dot(d)
    const across = p.clone().sub(d.clone().multiplyScalar(along)).length()
    need = Math.max(need, along + across / tan)
    // A point near the horizon reads badly: keep it well on the visible side.
    if (along > 1e-3) need = Math.max(need, (1.1 * p.lengthSq()) / along)
    else need = Infinity
  }
  return Math.max(o.minDistance ?? MIN_DISTANCE, Math.min(o.maxDistance ?? MAX_DISTANCE, need))
}

/** The hop from a to b seen from above its great-circle midpoint, both ends and the arc in view. */
export function frameHop(a: LatLon, b: LatLon, o: FrameOptions): CameraPose {
  const va = latLonToVec3(a.lat, a.lon, 1)
  const vb = latLonToVec3(b.lat, b.lon, 1)
  const dir = slerpDir(va, vb, 0.5)
  return { dir, distance: fitDistance(dir, arcPoints(a, b, 1, 16), o) }
}

/**
 * Following the marker during a hop: lean a little towards it while both ends and it stay in view
 * without pulling back much (a long hop leaves little room: the lean shrinks, down to none).
 */
export function followHop(a: LatLon, b: LatLon, marker: Vector3, o: FrameOptions, lean = 0.25): CameraPose {
  const base = frameHop(a, b, o)
  const points = [...arcPoints(a, b, 1, 16), marker]
  for (let k = lean; k > 0.01; k /= 2) {
    const dir = slerpDir(base.dir, marker, k)
    const distance = fitDistance(dir, points, o)
    if (distance <= base.distance * 1.1 + 0.02) return { dir, distance }
  }
  return { dir: base.dir, distance: fitDistance(base.dir, points, o) }
}

export const easeInOutCubic = (t: number) => (t < 0.5 ? 4 * t * t * t : 1 - (-2 * t + 2) ** 3 / 2)

/** Pose at eased time t (0..1) of the flight from a to b: the direction turns on the great circle. */
export function flyPose(a: CameraPose, b: CameraPose, t: number): CameraPose {
  const e = easeInOutCubic(Math.max(0, Math.min(1, t)))
  return { dir: slerpDir(a.dir, b.dir, e), distance: a.distance + (b.distance - a.distance) * e }
}

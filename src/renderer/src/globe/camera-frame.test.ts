import { describe, expect, it } from 'vitest'
import { PerspectiveCamera, Vector3 } from 'three'
import { fitDistance, flyPose, followHop, frameHop, MIN_DISTANCE, type CameraPose } from './camera-frame'
import { arcPoint, latLonToVec3, slerpLatLon } from './geo'

const STUTTGART = { lat: 48.7758, lon: 9.1829 }
const STRASBOURG = { lat: 48.5734, lon: 7.7521 }
const MONTREAL = { lat: 45.5019, lon: -73.5674 }
const SINGAPORE = { lat: 1.3521, lon: 103.8198 }

function cameraAt(p: CameraPose, fov: number, aspect: number): PerspectiveCamera {
  const c = new PerspectiveCamera(fov, aspect, 0.01, 100)
  c.position.copy(p.dir).normalize().multiplyScalar(p.distance)
  c.lookAt(0, 0, 0)
  c.updateMatrixWorld()
  return c
}

/** Normalised device coordinates of a place, and whether the globe hides it. */
function onScreen(c: PerspectiveCamera, at: { lat: number; lon: number }) {
  const p = latLonToVec3(at.lat, at.lon, 1)
  const ndc = p.clone().project(c)
  return { x: ndc.x, y: ndc.y, visible: p.dot(c.position) > 1 }
}

describe('camera framing', () => {
  const views = [
    { fov: 40, aspect: 16 / 9 },
    { fov: 40, aspect: 4 / 3 },
    { fov: 40, aspect: 0.6 },
  ]

  it('a short hop is framed much closer than a long one', () => {
    for (const v of views) {
      const short = frameHop(STUTTGART, STRASBOURG, { fovDeg: v.fov, aspect: v.aspect })
      const long = frameHop(MONTREAL, SINGAPORE, { fovDeg: v.fov, aspect: v.aspect })
      expect(short.distance).toBeLessThan(1.3)
      expect(long.distance).toBeGreaterThan(2.5)
      expect(short.distance).toBeLessThan(long.distance / 2)
    }
  })

  it('both ends project inside the view with the margin, in front of the horizon', () => {
    for (const v of views) {
      for (const [a, b] of [[STUTTGART, STRASBOURG], [MONTREAL, SINGAPORE], [STRASBOURG, MONTREAL], [SINGAPORE, STRASBOURG]] as const) {
        const c = cameraAt(frameHop(a, b, { fovDeg: v.fov, aspect: v.aspect, margin: 0.15 }), v.fov, v.aspect)
        for (const end of [a, b, slerpLatLon(a, b, 0.5)]) {
          const s = onScreen(c, end)
          expect(s.visible).toBe(true)
          expect(Math.abs(s.x)).toBeLessThanOrEqual(0.86)
          expect(Math.abs(s.y)).toBeLessThanOrEqual(0.86)
        }
      }
    }
  })

  it('the short hop spreads its ends apart on screen (room for both labels)', () => {
    const c = cameraAt(frameHop(STUTTGART, STRASBOURG, { fovDeg: 40, aspect: 16 / 9 }), 40, 16 / 9)
    const a = onScreen(c, STUTTGART)
    const b = onScreen(c, STRASBOURG)
    // In pixels of a 720-line screen.
    expect(Math.hypot((a.x - b.x) * 640, (a.y - b.y) * 360)).toBeGreaterThan(80)
  })

  it('distance never goes under the minimum, and a point behind the globe asks for the maximum', () => {
    const dir = latLonToVec3(STUTTGART.lat, STUTTGART.lon, 1)
    expect(fitDistance(dir, [dir], { fovDeg: 40, aspect: 1 })).toBe(MIN_DISTANCE)
    expect(fitDistance(dir, [dir.clone().negate()], { fovDeg: 40, aspect: 1, maxDistance: 6 })).toBe(6)
  })

  it('following the marker keeps both ends and the marker in view, all along a long hop', () => {
    const o = { fovDeg: 40, aspect: 16 / 9 }
    for (const [a, b] of [[MONTREAL, SINGAPORE], [STUTTGART, STRASBOURG], [STRASBOURG, MONTREAL]] as const) {
      const framed = frameHop(a, b, o).distance
      for (const t of [0, 0.3, 0.7, 1]) {
        const pose = followHop(a, b, arcPoint(a, b, 1.004, t), o)
        expect(pose.distance).toBeLessThanOrEqual(framed * 1.1 + 0.02)
        const c = cameraAt(pose, 40, 16 / 9)
        for (const end of [a, b]) {
          const s = onScreen(c, end)
          expect(s.visible).toBe(true)
          expect(Math.max(Math.abs(s.x), Math.abs(s.y))).toBeLessThanOrEqual(0.86)
        }
      }
    }
  })

  it('a flight starts and ends on its poses and turns along the great circle', () => {
    const a = { dir: new Vector3(0, 0, 1), distance: 3 }
    const b = { dir: new Vector3(1, 0, 0), distance: 1.2 }
    expect(flyPose(a, b, 0).dir.distanceTo(a.dir)).toBeLessThan(1e-9)
    expect(flyPose(a, b, 1).dir.distanceTo(b.dir)).toBeLessThan(1e-9)
    expect(flyPose(a, b, 1).distance).toBeCloseTo(1.2, 9)
    const mid = flyPose(a, b, 0.5)
    expect(mid.dir.length()).toBeCloseTo(1, 9)
    expect(mid.distance).toBeCloseTo(2.1, 9)
  })
})

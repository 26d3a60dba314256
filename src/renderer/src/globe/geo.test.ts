import { describe, expect, it } from 'vitest'
import { Vector3 } from 'three'
import { arcPoint, borderSegments, centralAngle, chunkSegments, coastlineSegments, latLonToVec3, slerpDir, slerpLatLon, vec3ToLatLon } from './geo'

const STUTTGART = { lat: 48.7758, lon: 9.1829 }
const STRASBOURG = { lat: 48.5734, lon: 7.7521 }
const MONTREAL = { lat: 45.5019, lon: -73.5674 }
const SINGAPORE = { lat: 1.3521, lon: 103.8198 }

const v = (p: { lat: number; lon: number }) => latLonToVec3(p.lat, p.lon, 1)

describe('geo', () => {
  it('lat/lon round-trips through 3D', () => {
    for (const p of [STUTTGART, MONTREAL, SINGAPORE, { lat: -33.9, lon: 151.2 }]) {
      const q = vec3ToLatLon(v(p).multiplyScalar(3))
      expect(q.lat).toBeCloseTo(p.lat, 9)
      expect(q.lon).toBeCloseTo(p.lon, 9)
    }
  })

  it('slerp ends on its endpoints', () => {
    expect(slerpDir(v(MONTREAL), v(SINGAPORE), 0).distanceTo(v(MONTREAL))).toBeLessThan(1e-9)
    expect(slerpDir(v(MONTREAL), v(SINGAPORE), 1).distanceTo(v(SINGAPORE))).toBeLessThan(1e-9)
  })

  it('slerp stays on the sphere and on the great circle, at the midpoint half the angle from each end', () => {
    const a = v(MONTREAL)
    const b = v(SINGAPORE)
    const normal = a.clone().cross(b).normalize()
    for (const t of [0.1, 0.25, 0.5, 0.9]) {
      const p = slerpDir(a, b, t)
      expect(p.length()).toBeCloseTo(1, 12)
      expect(Math.abs(p.dot(normal))).toBeLessThan(1e-12)
      expect(p.angleTo(a)).toBeCloseTo(t * a.angleTo(b), 9)
    }
    const mid = slerpLatLon(MONTREAL, SINGAPORE, 0.5)
    expect(centralAngle(mid, MONTREAL)).toBeCloseTo(centralAngle(mid, SINGAPORE), 9)
    // Montreal -> Singapore goes over the Arctic, not across the equator.
    expect(mid.lat).toBeGreaterThan(60)
  })

  it('a short hop: Stuttgart -> Strasbourg is about 120 km', () => {
    expect(centralAngle(STUTTGART, STRASBOURG) * 6371).toBeGreaterThan(100)
    expect(centralAngle(STUTTGART, STRASBOURG) * 6371).toBeLessThan(130)
    const mid = slerpLatLon(STUTTGART, STRASBOURG, 0.5)
    expect(mid.lon).toBeGreaterThan(7.75)
    expect(mid.lon).toBeLessThan(9.19)
  })

  it('nearly antipodal or identical ends give finite unit vectors that still arrive', () => {
    const a = new Vector3(0, 0, 1)
    for (const b of [new Vector3(1e-9, 0, -1), new Vector3(0, 0, -1), new Vector3(0, 1e-7, 1)]) {
      for (const t of [0, 0.3, 0.5, 1]) {
        const p = slerpDir(a, b, t)
        expect(Number.isFinite(p.x + p.y + p.z)).toBe(true)
        expect(p.length()).toBeCloseTo(1, 9)
      }
      expect(slerpDir(a, b, 1).angleTo(b.clone().normalize())).toBeLessThan(1e-3)
    }
    const pole = slerpDir(new Vector3(0, 1, 0), new Vector3(0, -1, 0), 0.5)
    expect(Math.abs(pole.y)).toBeLessThan(1e-9)
  })

  it('arcs rise above the surface in the middle, a long one higher than a short one', () => {
    expect(arcPoint(STUTTGART, STRASBOURG, 1, 0).length()).toBeCloseTo(1, 9)
    const short = arcPoint(STUTTGART, STRASBOURG, 1, 0.5).length() - 1
    const long = arcPoint(MONTREAL, SINGAPORE, 1, 0.5).length() - 1
    expect(short).toBeGreaterThan(0)
    expect(long).toBeGreaterThan(short * 5)
  })

  it('coastlines and borders are bundled line segments on the sphere', () => {
    const coast = coastlineSegments(1)
    const borders = borderSegments(1)
    expect(coast.length % 6).toBe(0)
    expect(coast.length / 6).toBeGreaterThan(3000)
    expect(borders.length / 6).toBeGreaterThan(1000)
    expect(Math.hypot(coast[0]!, coast[1]!, coast[2]!)).toBeCloseTo(1, 9)
    // The far view's coarser coastline: about half the segments.
    expect(coastlineSegments(1, 2).length).toBeLessThan(coast.length * 0.6)
  })
})

describe('chunkSegments', () => {
  it('keeps every segment once, each chunk within its tile', () => {
    const flat = coastlineSegments(1)
    const chunks = chunkSegments(flat, 20)
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(flat.length)
    expect(chunks.length).toBeGreaterThan(40)
    for (const c of chunks) {
      const first = vec3ToLatLon(latLonToVec3(0, 0, 1).set(c[0]! + c[3]!, c[1]! + c[4]!, c[2]! + c[5]!))
      for (let i = 0; i < c.length; i += 6) {
        const m = vec3ToLatLon(latLonToVec3(0, 0, 1).set(c[i]! + c[i + 3]!, c[i + 1]! + c[i + 4]!, c[i + 2]! + c[i + 5]!))
        expect(Math.floor((m.lat + 90) / 20)).toBe(Math.floor((first.lat + 90) / 20))
      }
    }
  })
})

// Geometry for the globe: lat/lon to 3D and back, great-circle interpolation, coastlines and
// borders as line segments. Pure (three's math only), so it is unit-tested in node.
import { Vector3 } from 'three'
import { mesh } from 'topojson-client'
import type { GeometryCollection, Topology } from 'topojson-specification'
import countries from 'world-atlas/countries-110m.json'

export interface LatLon {
  lat: number
  lon: number
}

const RAD = Math.PI / 180

/** y up, lon 0 facing +z (the usual three.js globe orientation). */
export function latLonToVec3(lat: number, lon: number, r: number): Vector3 {
  const phi = lat * RAD
  const lambda = lon * RAD
  return new Vector3(r * Math.cos(phi) * Math.sin(lambda), r * Math.sin(phi), r * Math.cos(phi) * Math.cos(lambda))
}

export function vec3ToLatLon(v: Vector3): LatLon {
  const r = v.length() || 1
  return { lat: Math.asin(Math.max(-1, Math.min(1, v.y / r))) / RAD, lon: Math.atan2(v.x, v.z) / RAD }
}

/** Angle between two places seen from the centre, radians. */
export function centralAngle(a: LatLon, b: LatLon): number {
  return latLonToVec3(a.lat, a.lon, 1).angleTo(latLonToVec3(b.lat, b.lon, 1))
}

/**
 * Unit vector at fraction t along the great circle from a to b. Nearly identical points fall back
 * to a normalised lerp; nearly antipodal ones (no unique great circle) bend over a fixed
 * perpendicular instead of dividing by sin(angle) ~ 0.
 */
export function slerpDir(a: Vector3, b: Vector3, t: number): Vector3 {
  const ua = a.clone().normalize()
  const ub = b.clone().normalize()
  const angle = ua.angleTo(ub)
  const s = Math.sin(angle)
  if (angle < 1e-6) return ua
  if (s < 1e-3 && angle > Math.PI / 2) {
    // Rotate ua about an axis perpendicular to it: a half turn lands on (almost) ub.
    const axis = new Vector3(0, 1, 0).cross(ua)
    if (axis.lengthSq() < 1e-6) axis.set(1, 0, 0).cross(ua)
    return ua.applyAxisAngle(axis.normalize(), t * angle)
  }
  return ua.multiplyScalar(Math.sin((1 - t) * angle) / s).add(ub.multiplyScalar(Math.sin(t * angle) / s)).normalize()
}

/** The place at fraction t along the great circle from a to b. */
export function slerpLatLon(a: LatLon, b: LatLon, t: number): LatLon {
  return vec3ToLatLon(slerpDir(latLonToVec3(a.lat, a.lon, 1), latLonToVec3(b.lat, b.lon, 1), t))
}

/** Height of a hop's arc above the surface at fraction t: low for a short hop, higher for a long one. */
export function arcHeight(angle: number, t: number): number {
  return (0.012 + 0.16 * (angle / Math.PI)) * Math.sin(Math.PI * Math.max(0, Math.min(1, t)))
}

/** Point of the lifted arc from a to b at fraction t, on a sphere of radius r. */
export function arcPoint(a: LatLon, b: LatLon, r: number, t: number): Vector3 {
  const va = latLonToVec3(a.lat, a.lon, 1)
  const vb = latLonToVec3(b.lat, b.lon, 1)
  return slerpDir(va, vb, t).multiplyScalar(r * (1 + arcHeight(va.angleTo(vb), t)))
}

/** n+1 points of the lifted arc from a to b. */
export function arcPoints(a: LatLon, b: LatLon, r: number, n: number): Vector3[] {
  const pts: Vector3[] = []
  for (let i = 0; i <= n; i++) pts.push(arcPoint(a, b, r, i / n))
  return pts
}

/** Segments along each line; `step` > 1 keeps every step-th point (and the last) for far views. */
function segments(lines: number[][][], r: number, step = 1): number[] {
  const out: number[] = []
  for (const full of lines) {
    const line = step === 1 ? full : full.filter((_, i) => i % step === 0 || i === full.length - 1)
    for (let i = 1; i < line.length; i++) {
      const a = latLonToVec3(line[i - 1]![1]!, line[i - 1]![0]!, r)
      const b = latLonToVec3(line[i]![1]!, line[i]![0]!, r)
      out.push(a.x, a.y, a.z, b.x, b.y, b.z)
    }
  }
  return out
}

const topo = countries as unknown as Topology<{ countries: GeometryCollection }>

/** Flat xyz pairs along every coastline of Natural Earth's 1:110m countries (every `step`-th point). */
export function coastlineSegments(r: number, step = 1): number[] {
  return segments(mesh(topo, topo.objects.countries, (a, b) => a === b).coordinates, r, step)
}

/** Flat xyz pairs along land borders (the Rhine between Strasbourg and Stuttgart reads as one). */
export function borderSegments(r: number): number[] {
  return segments(mesh(topo, topo.objects.countries, (a, b) => a !== b).coordinates, r)
}

/**
 * Splits flat segment pairs into tiles of `deg` degrees by each segment's midpoint, so the parts
 * off screen or behind the globe can be skipped (software WebGL pays for every line vertex).
 */
export function chunkSegments(flat: number[], deg = 20): number[][] {
  const tiles = new Map<number, number[]>()
  const mid = new Vector3()
  for (let i = 0; i + 5 < flat.length; i += 6) {
    mid.set(flat[i]! + flat[i + 3]!, flat[i + 1]! + flat[i + 4]!, flat[i + 2]! + flat[i + 5]!)
    const { lat, lon } = vec3ToLatLon(mid)
    const key = Math.floor((lat + 90) / deg) * 1000 + Math.floor((lon + 180) / deg)
    let t = tiles.get(key)
    if (!t) tiles.set(key, (t = []))
    for (let k = 0; k < 6; k++) t.push(flat[i + k]!)
  }
  return [...tiles.values()]
}

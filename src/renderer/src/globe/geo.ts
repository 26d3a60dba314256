// Geometry for the globe: lat/lon to 3D, coastlines as line segments, great-circle arcs.
import { Vector3 } from 'three'
import { mesh } from 'topojson-client'
import type { GeometryCollection, Topology } from 'topojson-specification'
import land from 'world-atlas/land-110m.json'

/** y up, lon 0 facing +z (the usual three.js globe orientation). */
export function latLonToVec3(lat: number, lon: number, r: number): Vector3 {
  const phi = (lat * Math.PI) / 180
  const lambda = (lon * Math.PI) / 180
  return new Vector3(r * Math.cos(phi) * Math.sin(lambda), r * Math.sin(phi), r * Math.cos(phi) * Math.cos(lambda))
}

/** Flat xyz pairs for THREE.LineSegments along every coastline of Natural Earth's 1:110m land. */
export function coastlineSegments(r: number): number[] {
  const topo = land as unknown as Topology<{ land: GeometryCollection }>
  const lines = mesh(topo, topo.objects.land)
  const out: number[] = []
  for (const line of lines.coordinates) {
    for (let i = 1; i < line.length; i++) {
      const a = latLonToVec3(line[i - 1]![1]!, line[i - 1]![0]!, r)
      const b = latLonToVec3(line[i]![1]!, line[i]![0]!, r)
      out.push(a.x, a.y, a.z, b.x, b.y, b.z)
    }
  }
  return out
}

/** Points of the great circle from a to b, lifted into an arc whose height grows with distance. */
export function arcPoints(a: { lat: number; lon: number }, b: { lat: number; lon: number }, r: number, n: number): Vector3[] {
  const va = latLonToVec3(a.lat, a.lon, 1)
  const vb = latLonToVec3(b.lat, b.lon, 1)
  const angle = va.angleTo(vb)
  const lift = 0.05 + 0.25 * (angle / Math.PI)
  const pts: Vector3[] = []
  for (let i = 0; i <= n; i++) {
    const t = i / n
    // Spherical interpolation; falls back to lerp for (almost) identical points.
    const s = Math.sin(angle)
    const p = s < 1e-6 ? va.clone().lerp(vb, t) : va.clone().multiplyScalar(Math.sin((1 - t) * angle) / s).add(vb.clone().multiplyScalar(Math.sin(t * angle) / s))
    pts.push(p.normalize().multiplyScalar(r * (1 + lift * Math.sin(Math.PI * t))))
  }
  return pts
}

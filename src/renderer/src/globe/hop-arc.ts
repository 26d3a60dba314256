// The hop's own arc over the tour's legs: dashed ahead (dashes flow towards the destination while
// the hop runs), solid and heavier where the game has already been. Points rewritten in place.
import * as THREE from 'three'
import { FatLineMaterial, FatPolyline, fatSegmentsGeometry } from './fat-lines'
import { arcPoint, type LatLon } from './geo'

export const ARC_POINTS = 65

export class HopArc {
  readonly ahead = new FatPolyline(ARC_POINTS, true)
  readonly travelled = new FatPolyline(ARC_POINTS)
  private key = ''

  constructor() {
    this.ahead.mesh.renderOrder = 5
    this.travelled.mesh.renderOrder = 6
  }

  hide(): void {
    this.ahead.mesh.visible = false
    this.travelled.mesh.visible = false
  }

  /** From a to b (named, for caching), travelled up to `fraction`; `flowMs` animates the dashes. */
  show(a: LatLon & { name: string }, b: LatLon & { name: string }, fraction: number, look: { ahead: number; travelled: number }, flowMs: number | null): void {
    const key = `${a.name}>${b.name}`
    if (key !== this.key) {
      this.key = key
      this.ahead.set((k, out) => out.copy(arcPoint(a, b, 1.0005, k / (ARC_POINTS - 1))))
    }
    const len = this.ahead.length
    this.ahead.mesh.visible = true
    this.ahead.material.color.setHex(look.ahead)
    this.ahead.material.setDash(len / 30, len / 60, flowMs === null ? 0 : -((flowMs / 1000) * len) / 10)
    this.travelled.mesh.visible = fraction > 0
    this.travelled.material.color.setHex(look.travelled)
    if (fraction > 0) this.travelled.set((k, out) => out.copy(arcPoint(a, b, 1.001, (fraction * k) / (ARC_POINTS - 1))))
  }

  /** A new tour: the cached arc may join other places now. */
  reset(): void {
    this.key = ''
  }

  dispose(): void {
    this.ahead.dispose()
    this.travelled.dispose()
  }
}

/** The tour's legs, solid; made when the tour loads. The leg under the hop's own arc is hidden. */
export class TourLegs {
  readonly group = new THREE.Group()
  readonly material = new FatLineMaterial()

  build(legs: [LatLon & { name: string }, LatLon & { name: string }][]): void {
    this.clear()
    for (const [a, b] of legs) {
      const pts: number[] = []
      for (let k = 1; k < ARC_POINTS; k++) pts.push(...arcPoint(a, b, 1, (k - 1) / (ARC_POINTS - 1)).toArray(), ...arcPoint(a, b, 1, k / (ARC_POINTS - 1)).toArray())
      const leg = new THREE.Mesh(fatSegmentsGeometry(pts), this.material)
      leg.renderOrder = 4
      leg.userData.ends = [a.name, b.name].sort().join('|')
      this.group.add(leg)
    }
  }

  /** Hides the legs between these two places (either way round). */
  under(a: string | null, b: string | null): void {
    const ends = a && b ? [a, b].sort().join('|') : ''
    for (const leg of this.group.children) leg.visible = leg.userData.ends !== ends
  }

  clear(): void {
    for (const leg of [...this.group.children] as THREE.Mesh[]) {
      leg.geometry.dispose()
      this.group.remove(leg)
    }
  }
}

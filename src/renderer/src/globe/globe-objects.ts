// The globe's changing objects, each created once and changed in place: host markers keyed by
// name, the game's marker, coastline tiles. No depth buffer: draw order is renderOrder, and what
// the globe hides is dropped by a horizon test.
import * as THREE from 'three'
import { FatPolyline, fatSegmentsGeometry } from './fat-lines'

/** A host's dot with a contrasting outline, a constant size on screen. */
export class Disc {
  readonly group = new THREE.Group()
  private readonly fill: THREE.MeshBasicMaterial
  private readonly edge: THREE.MeshBasicMaterial
  px = 7

  constructor(
    private readonly geo: { disc: THREE.BufferGeometry; ring: THREE.BufferGeometry },
    readonly pos: THREE.Vector3,
  ) {
    this.fill = new THREE.MeshBasicMaterial({ color: 0xffffff, depthTest: false, depthWrite: false })
    this.edge = new THREE.MeshBasicMaterial({ color: 0x000000, depthTest: false, depthWrite: false })
    this.group.add(new THREE.Mesh(geo.disc, this.fill), new THREE.Mesh(geo.ring, this.edge))
    for (const m of this.group.children) m.renderOrder = 15
    this.group.position.copy(pos)
  }

  style(fill: number, edge: number, px: number): void {
    this.fill.color.setHex(fill)
    this.edge.color.setHex(edge)
    this.px = px
  }

  /** Faces the camera (readable at the limb), `px` pixels in radius; hidden behind the horizon. */
  fit(camera: THREE.PerspectiveCamera, viewH: number): void {
    const p = this.group.position
    this.group.visible = p.dot(camera.position) > p.lengthSq()
    this.group.quaternion.copy(camera.quaternion)
    this.group.scale.setScalar(worldPerPixel(camera, p, viewH) * this.px)
  }

  dispose(): void {
    this.fill.dispose()
    this.edge.dispose()
  }
}

/** World units per screen pixel at a point, for a perspective camera. */
export function worldPerPixel(camera: THREE.PerspectiveCamera, at: THREE.Vector3, viewH: number): number {
  const d = camera.position.distanceTo(at)
  return (2 * d * Math.tan(((camera.fov / 2) * Math.PI) / 180)) / Math.max(1, viewH)
}

/** The game: a bright dot lifted over the surface with a halo that pulses while players feel the hop. */
export class ServerMarker {
  readonly group = new THREE.Group()
  private readonly core: THREE.MeshBasicMaterial
  private readonly halo: THREE.MeshBasicMaterial
  private readonly haloMesh: THREE.Mesh
  private readonly coreMesh: THREE.Mesh
  private readonly edgeMesh: THREE.Mesh

  constructor(edgeColor: number) {
    // No depth test: the caller hides it behind the horizon, and the surface never clips it.
    this.core = new THREE.MeshBasicMaterial({ color: 0xffffff, depthTest: false })
    this.halo = new THREE.MeshBasicMaterial({ color: 0xffffff, transparent: true, opacity: 0.9, depthTest: false, depthWrite: false })
    this.coreMesh = new THREE.Mesh(new THREE.CircleGeometry(1, 24), this.core)
    this.edgeMesh = new THREE.Mesh(new THREE.RingGeometry(1, 1.35, 24), new THREE.MeshBasicMaterial({ color: edgeColor, depthTest: false }))
    this.haloMesh = new THREE.Mesh(new THREE.RingGeometry(1.6, 2.2, 32), this.halo)
    // Over everything, halo first.
    ;[this.haloMesh, this.edgeMesh, this.coreMesh].forEach((m, i) => (m.renderOrder = 20 + i))
    this.group.add(this.haloMesh, this.edgeMesh, this.coreMesh)
  }

  /** Faces the camera, `px` pixels in radius; `pulse` 0..1 grows and fades the halo. */
  place(at: THREE.Vector3, camera: THREE.PerspectiveCamera, viewH: number, color: number, edge: number, px: number, pulse: number | null): void {
    this.group.position.copy(at)
    this.group.quaternion.copy(camera.quaternion)
    this.group.scale.setScalar(worldPerPixel(camera, at, viewH) * px)
    this.core.color.setHex(color)
    ;(this.edgeMesh.material as THREE.MeshBasicMaterial).color.setHex(edge)
    this.halo.color.setHex(color)
    this.haloMesh.visible = pulse !== null
    if (pulse !== null) {
      this.haloMesh.scale.setScalar(1 + 0.8 * pulse)
      this.halo.opacity = 0.95 * (1 - pulse)
    }
  }

  dispose(): void {
    for (const m of [this.haloMesh, this.edgeMesh, this.coreMesh]) {
      m.geometry.dispose()
      ;(m.material as THREE.Material).dispose()
    }
  }
}

/** Coastlines or borders in tiles; the tiles behind the globe's horizon are not drawn at all. */
export class ChunkedLines {
  readonly group = new THREE.Group()

  constructor(chunks: number[][], material: THREE.Material, renderOrder: number) {
    for (const c of chunks) {
      const m = new THREE.Mesh(fatSegmentsGeometry(c), material)
      m.renderOrder = renderOrder
      this.group.add(m)
    }
  }

  /** A tile is hidden when no point of its bounding sphere rises above the horizon seen from `eye`. */
  cull(eye: THREE.Vector3): void {
    const d = eye.length()
    const dir = eye.clone().divideScalar(d)
    for (const o of this.group.children) {
      const s = (o as THREE.Mesh).geometry.boundingSphere!
      o.visible = s.center.dot(dir) + s.radius > 1 / d
    }
  }

  dispose(): void {
    for (const o of this.group.children) (o as THREE.Mesh).geometry.dispose()
  }
}

/** The globe's outline: a circle on the silhouette, so the disc reads on a washed-out screen. */
export class Rim {
  readonly line = new FatPolyline(97)

  constructor() {
    this.line.mesh.renderOrder = 3
  }

  place(eye: THREE.Vector3): void {
    const d = Math.max(1.01, eye.length())
    const r = 1.003
    const dir = eye.clone().normalize()
    const centre = dir.clone().multiplyScalar((r * r) / d)
    const rho = r * Math.sqrt(Math.max(0, 1 - (r * r) / (d * d)))
    const u = new THREE.Vector3(0, 1, 0).cross(dir)
    if (u.lengthSq() < 1e-6) u.set(1, 0, 0)
    u.normalize()
    const v = dir.clone().cross(u)
    const n = this.line.points - 1
    this.line.set((k, out) => out.copy(centre).addScaledVector(u, rho * Math.cos((2 * Math.PI * k) / n)).addScaledVector(v, rho * Math.sin((2 * Math.PI * k) / n)))
  }
}

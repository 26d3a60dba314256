// Thick screen-space lines as plain (non-instanced) meshes: each segment is a quad whose corners the
// vertex shader pushes sideways by half the width in pixels, and drops when the globe hides them
// (no depth buffer needed). Measured with SwiftShader: three's LineSegments2 costs ~28 µs of CPU per
// instanced segment (3300 coastline segments: ~100 ms a frame); this mesh draws them in ~10 ms.
import * as THREE from 'three'

interface Arrays {
  position: Float32Array
  other: Float32Array
  side: Float32Array
  dist: Float32Array
}

function arrays(segments: number): Arrays {
  return { position: new Float32Array(segments * 12), other: new Float32Array(segments * 12), side: new Float32Array(segments * 4), dist: new Float32Array(segments * 4) }
}

/** Writes segment s from a to b; d0, d1 are the line distances at its ends (for dashes). */
function writeSegment(t: Arrays, s: number, a: ArrayLike<number>, b: ArrayLike<number>, d0: number, d1: number): void {
  // Seen from b the direction flips, so its sides flip: a+ and b- lie on the same side.
  const corners = [[a, b, 1, d0], [a, b, -1, d0], [b, a, 1, d1], [b, a, -1, d1]] as const
  for (let k = 0; k < 4; k++) {
    const [p, o, sd, d] = corners[k]!
    const i = (s * 4 + k) * 3
    for (let c = 0; c < 3; c++) {
      t.position[i + c] = p[c]!
      t.other[i + c] = o[c]!
    }
    t.side[s * 4 + k] = sd
    t.dist[s * 4 + k] = d
  }
}

function geometryOf(t: Arrays, segments: number): THREE.BufferGeometry {
  const index = new Uint32Array(segments * 6)
  for (let s = 0; s < segments; s++) index.set([s * 4, s * 4 + 1, s * 4 + 2, s * 4, s * 4 + 2, s * 4 + 3], s * 6)
  const g = new THREE.BufferGeometry()
  g.setAttribute('position', new THREE.BufferAttribute(t.position, 3))
  g.setAttribute('other', new THREE.BufferAttribute(t.other, 3))
  g.setAttribute('side', new THREE.BufferAttribute(t.side, 1))
  g.setAttribute('dist', new THREE.BufferAttribute(t.dist, 1))
  g.setIndex(new THREE.BufferAttribute(index, 1))
  return g
}

/** Flat xyz pairs (a segment per 6 numbers) to a quad-per-segment geometry. */
export function fatSegmentsGeometry(flat: ArrayLike<number>): THREE.BufferGeometry {
  const n = Math.floor(flat.length / 6)
  const t = arrays(n)
  for (let s = 0; s < n; s++) writeSegment(t, s, [flat[s * 6]!, flat[s * 6 + 1]!, flat[s * 6 + 2]!], [flat[s * 6 + 3]!, flat[s * 6 + 4]!, flat[s * 6 + 5]!], 0, 0)
  const g = geometryOf(t, n)
  g.computeBoundingSphere()
  return g
}

const VERTEX = /* glsl */ `
  attribute vec3 other;
  attribute float side;
  attribute float dist;
  uniform float linewidth;
  uniform vec2 resolution;
  varying float vDist;
  // Hidden when the straight path from the eye to p passes through the unit globe.
  bool hidden(vec3 p) {
    vec3 e = cameraPosition;
    vec3 d = p - e;
    float t = clamp(dot(-e, d) / dot(d, d), 0.0, 1.0);
    return t < 0.999 && length(e + t * d) < 0.9995;
  }
  void main() {
    vec3 wp = (modelMatrix * vec4(position, 1.0)).xyz;
    vDist = dist;
    if (hidden(wp)) { gl_Position = vec4(2.0, 2.0, 2.0, 1.0); return; }
    vec4 a = projectionMatrix * viewMatrix * vec4(wp, 1.0);
    vec4 b = projectionMatrix * viewMatrix * modelMatrix * vec4(other, 1.0);
    vec2 d = (b.xy / b.w - a.xy / a.w) * resolution;
    vec2 n = length(d) > 1e-6 ? normalize(vec2(-d.y, d.x)) : vec2(0.0, 1.0);
    // Half the width each side, in NDC (2 units = resolution pixels), times w for clip space.
    a.xy += n * side * linewidth / resolution * a.w;
    gl_Position = a;
  }`

const FRAGMENT = /* glsl */ `
  uniform vec3 color;
  uniform float dashed;
  uniform float dashSize;
  uniform float gapSize;
  uniform float dashOffset;
  varying float vDist;
  void main() {
    if (dashed > 0.5 && mod(vDist + dashOffset, dashSize + gapSize) > dashSize) discard;
    gl_FragColor = vec4(color, 1.0);
    #include <colorspace_fragment>
  }`

export class FatLineMaterial extends THREE.ShaderMaterial {
  constructor(dashed = false) {
    super({
      uniforms: {
        color: { value: new THREE.Color(0xffffff) },
        linewidth: { value: 2 },
        resolution: { value: new THREE.Vector2(1, 1) },
        dashed: { value: dashed ? 1 : 0 },
        dashSize: { value: 1 },
        gapSize: { value: 1 },
        dashOffset: { value: 0 },
      },
      vertexShader: VERTEX,
      fragmentShader: FRAGMENT,
      // A quad's winding depends on the segment's direction on screen.
      side: THREE.DoubleSide,
      depthTest: false,
      depthWrite: false,
    })
  }

  get color(): THREE.Color {
    return this.uniforms.color!.value as THREE.Color
  }

  /** Width in drawing-buffer pixels, for a buffer of w x h. */
  setWidth(px: number, w: number, h: number): void {
    this.uniforms.linewidth!.value = px
    ;(this.uniforms.resolution!.value as THREE.Vector2).set(w, h)
  }

  setDash(dash: number, gap: number, offset: number): void {
    this.uniforms.dashSize!.value = dash
    this.uniforms.gapSize!.value = gap
    this.uniforms.dashOffset!.value = offset
  }
}

/** A line through a fixed number of points, rewritten in place (no new GPU buffer per change). */
export class FatPolyline {
  readonly mesh: THREE.Mesh
  readonly material: FatLineMaterial
  private readonly t: Arrays
  length = 0

  constructor(
    readonly points: number,
    dashed = false,
  ) {
    this.t = arrays(points - 1)
    this.material = new FatLineMaterial(dashed)
    this.mesh = new THREE.Mesh(geometryOf(this.t, points - 1), this.material)
    // The points move; a bounding sphere computed once would cull wrongly.
    this.mesh.frustumCulled = false
  }

  /** Sets point i (0..points-1) from `at(i, out)`. */
  set(at: (i: number, out: THREE.Vector3) => void): void {
    const p = new THREE.Vector3()
    const q = new THREE.Vector3()
    at(0, p)
    let total = 0
    for (let i = 1; i < this.points; i++) {
      at(i, q)
      const d = p.distanceTo(q)
      writeSegment(this.t, i - 1, p.toArray(), q.toArray(), total, total + d)
      total += d
      p.copy(q)
    }
    this.length = total
    for (const name of ['position', 'other', 'dist']) this.mesh.geometry.attributes[name]!.needsUpdate = true
  }

  dispose(): void {
    this.mesh.geometry.dispose()
    this.material.dispose()
  }
}

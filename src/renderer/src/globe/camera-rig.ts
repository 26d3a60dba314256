// Who moves the camera: the user (OrbitControls) at rest, the hop while one runs (a 1.2 s flight to
// frame both ends, then following the marker), and a flight that settles on the new host after.
import * as THREE from 'three'
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js'
import { flyPose, followHop, frameHop, MIN_DISTANCE, type CameraPose, type FrameOptions } from './camera-frame'
import { latLonToVec3, type LatLon } from './geo'

export const FLIGHT_MS = 1200
/** At rest: far enough to see the region (Stuttgart and Strasbourg both, and Europe around). */
const REST_MIN_DISTANCE = 2

interface Flight {
  from: CameraPose
  t0: number
  /** Where it ends: fixed, or recomputed each frame (a moving marker). */
  to: () => CameraPose
}

export class CameraRig {
  readonly controls: OrbitControls
  private flight: Flight | null = null
  private hop: { a: LatLon; b: LatLon; marker: () => THREE.Vector3 } | null = null

  constructor(
    readonly camera: THREE.PerspectiveCamera,
    dom: HTMLElement,
    onChange: () => void,
  ) {
    this.controls = new OrbitControls(camera, dom)
    this.controls.enablePan = false
    this.controls.minDistance = MIN_DISTANCE - 0.03
    this.controls.maxDistance = 6
    // The user takes over: a settling flight stops where it is.
    this.controls.addEventListener('start', () => {
      if (!this.hop) this.flight = null
    })
    this.controls.addEventListener('change', () => {
      this.tuneSpeed()
      onChange()
    })
  }

  private options(): FrameOptions {
    return { fovDeg: this.camera.fov, aspect: this.camera.aspect }
  }

  pose(): CameraPose {
    return { dir: this.camera.position.clone().normalize(), distance: this.camera.position.length() }
  }

  private apply(p: CameraPose): void {
    this.camera.position.copy(p.dir).normalize().multiplyScalar(p.distance)
    this.camera.lookAt(0, 0, 0)
  }

  /** Close up, a drag should not spin the globe half a turn. */
  private tuneSpeed(): void {
    this.controls.rotateSpeed = Math.max(0.05, Math.min(1, (this.camera.position.length() - 1) / 1.5))
  }

  /** No flight: look at a place (first view of a tour). */
  jump(p: CameraPose): void {
    this.flight = null
    this.apply(p)
    this.controls.update()
    this.tuneSpeed()
  }

  restPose(at: LatLon, next: LatLon | null): CameraPose {
    // At rest the view keeps some context around the next hop; the hop itself zooms in.
    if (next) {
      const f = frameHop(at, next, this.options())
      return { dir: f.dir, distance: Math.max(REST_MIN_DISTANCE, f.distance) }
    }
    return { dir: latLonToVec3(at.lat, at.lon, 1), distance: 2.6 }
  }

  /** A hop starts: fly to frame both ends, then follow the marker until `settle`. */
  startHop(a: LatLon, b: LatLon, marker: () => THREE.Vector3, now: number): void {
    this.hop = { a, b, marker }
    this.controls.enabled = false
    this.flight = { from: this.pose(), t0: now, to: () => followHop(a, b, marker(), this.options()) }
  }

  /** The hop ended: fly to `dir` at a resting distance, then hand back to the user. */
  settle(dir: THREE.Vector3, now: number): void {
    this.hop = null
    this.controls.enabled = true
    const distance = Math.max(REST_MIN_DISTANCE, Math.min(2.8, this.camera.position.length()))
    const to: CameraPose = { dir: dir.clone().normalize(), distance }
    this.flight = { from: this.pose(), t0: now, to: () => to }
  }

  get busy(): boolean {
    return this.flight !== null || this.hop !== null
  }

  /** One frame; true while the camera still moves. */
  step(now: number): boolean {
    if (this.flight) {
      const t = (now - this.flight.t0) / FLIGHT_MS
      this.apply(flyPose(this.flight.from, this.flight.to(), t))
      if (t >= 1) {
        this.flight = null
        if (!this.hop) this.controls.update()
      }
      this.tuneSpeed()
      return true
    }
    if (this.hop) {
      this.apply(followHop(this.hop.a, this.hop.b, this.hop.marker(), this.options()))
      return true
    }
    return false
  }

  dispose(): void {
    this.controls.dispose()
  }
}

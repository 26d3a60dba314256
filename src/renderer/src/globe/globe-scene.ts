// The globe, created once per mount: every object is made when the tour loads and changed in
// place afterwards (colour, size, visibility, points). Frames are drawn on demand: a change of
// input, a resize, a drag, or while something moves (the hop, a camera flight, a pulse).
import * as THREE from 'three'
import type { TourView } from '../../../shared/contract'
import { CameraRig } from './camera-rig'
import { pixelRatioFor, type Detail } from './detail'
import { FatLineMaterial } from './fat-lines'
import { arcPoint, borderSegments, chunkSegments, coastlineSegments, latLonToVec3, slerpLatLon, type LatLon } from './geo'
import { LabelOverlay } from './globe-labels'
import { ChunkedLines, Disc, Rim, ServerMarker } from './globe-objects'
import { HopArc, TourLegs } from './hop-arc'
import { easeFraction, holdForward, PHASE_WORDS, type HopMotion } from './hop-motion'
import { PALETTES, serverLook, type GlobePalette } from './theme'

export interface SceneInput {
  tour: TourView | null
  currentHost: string | null
  motion: HopMotion
  nextHost: string | null
  hopRunning: boolean
  theme: 'dark' | 'light'
  variant: 'normal' | 'presenter'
}

interface HostPlace extends LatLon {
  name: string
  label: string
  v: THREE.Vector3
}

/** Markers and the game ride just above the surface (and above the coastlines). */
const LIFT = 1.004
/** Line widths in CSS pixels: nothing under 2 px (projectors lose thin lines). */
const WIDTH = { coast: 2.5, border: 2, leg: 3, next: 3.5, travelled: 6, rim: 2.5 }

export class GlobeScene {
  private readonly renderer: THREE.WebGLRenderer
  private readonly scene = new THREE.Scene()
  private readonly camera = new THREE.PerspectiveCamera(40, 1, 0.01, 100)
  private readonly rig: CameraRig
  private readonly ocean = new THREE.MeshBasicMaterial({ depthTest: false, depthWrite: false })
  private readonly sphere: THREE.Mesh
  private readonly coast = new FatLineMaterial()
  private readonly border = new FatLineMaterial()
  private readonly rim = new Rim()
  private readonly arc = new HopArc()
  private readonly server: ServerMarker
  private readonly coastLines: ChunkedLines
  /** Every third point: from afar the difference does not show, the vertex work does. */
  private readonly coastFar: ChunkedLines
  private readonly borderLines: ChunkedLines
  private readonly legs = new TourLegs()
  private readonly discGeo = { disc: new THREE.CircleGeometry(1, 20), ring: new THREE.RingGeometry(1, 1.45, 20) }
  private readonly hosts = new Map<string, { place: HostPlace; disc: Disc }>()
  private readonly labels = new LabelOverlay()
  private readonly ro: ResizeObserver
  private palette: GlobePalette = PALETTES.dark
  private input: SceneInput | null = null
  private tourKey = ''
  private hopKey: string | null = null
  private shown = 0
  private held: { hopId: string | null; fraction: number } | null = null
  private frames = 0
  private raf = 0
  private last = 0
  private size = { w: 1, h: 1, ratio: 1 }

  constructor(
    private readonly el: HTMLElement,
    private readonly detail: Detail,
  ) {
    const low = detail === 'low'
    // No depth buffer: draw order is renderOrder and the line shader drops what the globe hides.
    this.renderer = new THREE.WebGLRenderer({ antialias: !low, depth: false, preserveDrawingBuffer: true, powerPreference: 'high-performance' })
    const canvas = this.renderer.domElement
    canvas.setAttribute('data-testid', 'globe-canvas')
    canvas.setAttribute('aria-label', 'Globe with the tour hosts')
    canvas.setAttribute('role', 'img')
    el.dataset.detail = detail
    el.append(canvas, this.labels.root)

    // The ocean is the globe's silhouette: a flat disc facing the camera (no depth buffer needs a
    // sphere; SwiftShader spends on a 3000-triangle sphere about twice what a 96-sided disc costs).
    this.sphere = new THREE.Mesh(new THREE.CircleGeometry(1, low ? 96 : 192), this.ocean)
    this.sphere.renderOrder = -1
    this.coastLines = new ChunkedLines(chunkSegments(coastlineSegments(1.001)), this.coast, 2)
    this.coastFar = new ChunkedLines(chunkSegments(coastlineSegments(1.001, 3)), this.coast, 2)
    this.borderLines = new ChunkedLines(chunkSegments(borderSegments(1.0012)), this.border, 1)
    this.server = new ServerMarker(0x000000)
    this.scene.add(this.sphere, this.borderLines.group, this.coastLines.group, this.coastFar.group, this.rim.line.mesh, this.legs.group, this.arc.ahead.mesh, this.arc.travelled.mesh, this.server.group)
    // Before any tour: a view from afar (a camera at the centre would have no horizon).
    this.camera.position.set(0, 0, 3)
    this.rig = new CameraRig(this.camera, canvas, () => this.invalidate())
    this.ro = new ResizeObserver(() => this.resize())
    this.ro.observe(el)
    this.resize()
  }

  update(input: SceneInput): void {
    const prev = this.input
    this.input = input
    if (input.theme !== prev?.theme) this.recolour(PALETTES[input.theme])
    if (input.variant !== prev?.variant) this.resize()
    const key = input.tour ? JSON.stringify([input.tour.hosts.map((h) => [h.name, h.label, h.lat, h.lon]), input.tour.hops]) : ''
    const first = key !== this.tourKey
    if (first) this.rebuild(input.tour)
    const m = input.motion
    const target = holdForward(this.held, m)
    this.held = { hopId: m.hopId, fraction: target }
    if (first || !prev) this.shown = target
    for (const [name] of this.hosts) this.labels.setRole(name, name === input.currentHost ? 'current' : name === this.destination() ? 'dest' : 'plain')
    for (const h of input.tour?.hosts ?? []) this.labels.setProblem(h.name, h.label, h.conn === 'error' ? 'unreachable' : null)
    this.labels.setTag(PHASE_WORDS[m.phase], m.phase)
    this.el.dataset.phase = m.phase
    this.steerCamera(first)
    this.invalidate()
  }

  private destination(): string | null {
    const i = this.input
    return i ? (i.hopRunning ? i.motion.to : i.nextHost) : null
  }

  private place(name: string | null): HostPlace | null {
    return name ? (this.hosts.get(name)?.place ?? null) : null
  }

  /** The marker's point on its arc now. */
  private serverAt(): { pos: THREE.Vector3; at: LatLon } | null {
    const m = this.input?.motion
    const a = this.place(m?.from ?? null)
    const b = this.place(m?.to ?? null) ?? a
    if (!a || !b) return null
    return { pos: arcPoint(a, b, LIFT, this.shown), at: slerpLatLon(a, b, this.shown) }
  }

  private steerCamera(first: boolean): void {
    const i = this.input!
    const key = i.hopRunning && i.motion.from && i.motion.to ? `${i.motion.from}>${i.motion.to}` : null
    const now = performance.now()
    const a = this.place(i.motion.from)
    const b = this.place(i.motion.to)
    if (key && key !== this.hopKey && a && b) this.rig.startHop(a, b, () => this.serverAt()?.pos ?? a.v, now)
    else if (!key && this.hopKey) {
      const here = this.place(i.currentHost)
      if (here) this.rig.settle(here.v, now)
    } else if (first) {
      const here = this.place(i.currentHost) ?? this.hosts.values().next().value?.place
      if (here) this.rig.jump(this.rig.restPose(here, this.place(i.nextHost)))
    }
    this.hopKey = key
  }

  /** A new tour: host markers, labels and legs are made here, and only here. */
  private rebuild(tour: TourView | null): void {
    this.tourKey = tour ? JSON.stringify([tour.hosts.map((h) => [h.name, h.label, h.lat, h.lon]), tour.hops]) : ''
    this.arc.reset()
    this.held = null
    for (const { disc } of this.hosts.values()) {
      this.scene.remove(disc.group)
      disc.dispose()
    }
    this.hosts.clear()
    this.legs.clear()
    if (!tour) return this.labels.setHosts([])
    for (const h of tour.hosts) {
      const place = { name: h.name, label: h.label, lat: h.lat, lon: h.lon, v: latLonToVec3(h.lat, h.lon, 1) }
      const disc = new Disc(this.discGeo, latLonToVec3(h.lat, h.lon, LIFT))
      this.hosts.set(h.name, { place, disc })
      this.scene.add(disc.group)
    }
    this.labels.setHosts(tour.hosts.map((h) => ({ name: h.name, label: h.label, pos: latLonToVec3(h.lat, h.lon, LIFT) })))
    const legs = tour.hops.slice(1).map((h, k) => [this.place(tour.hops[k]!), this.place(h)] as const)
    this.legs.build(legs.filter((l): l is [HostPlace, HostPlace] => l[0] !== null && l[1] !== null))
  }

  private recolour(p: GlobePalette): void {
    this.palette = p
    this.ocean.color.setHex(p.ocean)
    this.coast.color.setHex(p.coast)
    this.border.color.setHex(p.border)
    this.legs.material.color.setHex(p.leg)
    this.rim.line.material.color.setHex(p.rim)
    this.invalidate()
  }

  private resize(): void {
    const w = Math.max(1, this.el.clientWidth)
    const h = Math.max(1, this.el.clientHeight)
    const ratio = pixelRatioFor(this.detail, window.devicePixelRatio, w, h)
    this.size = { w, h, ratio }
    this.renderer.setPixelRatio(ratio)
    this.renderer.setSize(w, h, false)
    this.renderer.domElement.style.width = '100%'
    this.renderer.domElement.style.height = '100%'
    this.camera.aspect = w / h
    this.camera.updateProjectionMatrix()
    // LineMaterial widths are drawing-buffer pixels; the stage variant draws heavier.
    const k = ratio * (this.input?.variant === 'presenter' ? 1.4 : 1)
    const pairs: [FatLineMaterial, number][] = [[this.coast, WIDTH.coast], [this.border, WIDTH.border], [this.legs.material, WIDTH.leg], [this.rim.line.material, WIDTH.rim], [this.arc.ahead.material, WIDTH.next], [this.arc.travelled.material, WIDTH.travelled]]
    for (const [mat, css] of pairs) mat.setWidth(css * k, w * ratio, h * ratio)
    this.labels.remeasure()
    this.invalidate()
  }

  invalidate(): void {
    if (!this.raf) this.raf = requestAnimationFrame(this.frame)
  }

  private readonly frame = (now: number): void => {
    this.raf = 0
    const dt = this.last ? Math.min(100, now - this.last) : 16
    this.last = now
    const target = this.held?.fraction ?? 0
    const before = this.shown
    // Going back (a rollback) reads better slower than the forward catch-up.
    this.shown = easeFraction(this.shown, target, dt, target < before ? 250 : 100)
    const moving = this.rig.step(now) || this.shown !== before
    const pulsing = this.draw(now)
    this.renderer.render(this.scene, this.camera)
    this.el.dataset.frames = String(++this.frames)
    if (moving || pulsing) this.invalidate()
    else this.last = 0
  }

  /** Places every changing object for this frame; true while something pulses or flows. */
  private draw(now: number): boolean {
    const i = this.input
    const p = this.palette
    const { w, h } = this.size
    const stage = i?.variant === 'presenter' ? 1.35 : 1
    const eye = this.camera.position
    const m = i?.motion
    const srv = this.serverAt()
    const look = serverLook(p, m?.phase ?? 'idle')
    const facing = srv !== null && srv.pos.dot(eye) > srv.pos.lengthSq()
    this.server.group.visible = facing
    if (srv) {
      this.el.dataset.server = `${srv.at.lat.toFixed(3)},${srv.at.lon.toFixed(3)}`
      this.server.place(srv.pos, this.camera, h, look.color, p.background, h * 0.016 * stage, look.pulse ? (now % 1000) / 1000 : null)
    } else delete this.el.dataset.server
    const dest = this.destination()
    for (const [name, { disc }] of this.hosts) {
      disc.style(name === dest ? p.next : p.host, p.background, h * (name === dest ? 0.011 : 0.008) * stage)
      disc.fit(this.camera, h)
    }
    // The hop's own arc over its leg; at rest the next hop, dashed.
    const from = this.place(m && m.phase !== 'idle' ? m.from : (i?.currentHost ?? null))
    const to = this.place(m && m.phase !== 'idle' ? m.to : (i?.nextHost ?? null))
    const showLive = from !== null && to !== null && from !== to
    const back = m?.phase === 'rolling-back' || m?.phase === 'rolled-back'
    if (!showLive) this.arc.hide()
    else this.arc.show(from, to, m?.phase === 'idle' ? 0 : this.shown, { ahead: back ? p.back : m?.phase === 'failed' ? p.down : p.next, travelled: back ? p.back : p.travelled }, i?.hopRunning ? now : null)
    this.legs.under(showLive ? from.name : null, showLive ? to.name : null)
    this.rim.place(eye)
    this.placeOcean()
    // Borders only where they tell something (close up: the Rhine between Strasbourg and Stuttgart).
    const near = eye.length() < 2.2
    for (const [lines, on] of [[this.coastLines, near], [this.coastFar, !near], [this.borderLines, near]] as const) {
      lines.group.visible = on
      if (on) lines.cull(eye)
    }
    this.labels.layout(this.camera, w, h, facing ? srv.pos : null)
    return look.pulse || (i?.hopRunning ?? false)
  }

  /**
   * Ocean: where the globe fills the whole view the clear colour is the ocean and no disc is
   * drawn (software rendering pays per filled pixel); otherwise space is cleared and the disc drawn.
   */
  private placeOcean(): void {
    const eye = this.camera.position
    const d = eye.length()
    const tanV = Math.tan(((this.camera.fov / 2) * Math.PI) / 180)
    const halfDiagonal = tanV * Math.hypot(1, this.camera.aspect)
    const fills = d < 1.02 || Math.tan(Math.asin(1 / d)) > halfDiagonal * 1.05
    this.sphere.visible = !fills
    // The silhouette circle: centre 1/d from the centre towards the eye, radius sqrt(1 - 1/d²).
    this.sphere.position.copy(eye).multiplyScalar(1 / (d * d))
    this.sphere.scale.setScalar(Math.sqrt(Math.max(0, 1 - 1 / (d * d))) * 1.002)
    this.sphere.quaternion.copy(this.camera.quaternion)
    this.renderer.setClearColor(fills ? this.palette.ocean : this.palette.background)
  }

  dispose(): void {
    cancelAnimationFrame(this.raf)
    this.ro.disconnect()
    this.rig.dispose()
    this.rebuild(null)
    this.server.dispose()
    this.rim.line.dispose()
    this.arc.dispose()
    this.coastLines.dispose()
    this.coastFar.dispose()
    this.borderLines.dispose()
    this.scene.traverse((o) => {
      if (o instanceof THREE.Mesh) o.geometry.dispose()
    })
    for (const m of [this.ocean, this.coast, this.border, this.legs.material]) m.dispose()
    this.discGeo.disc.dispose()
    this.discGeo.ring.dispose()
    this.renderer.dispose()
    this.renderer.forceContextLoss()
    this.el.replaceChildren()
  }
}

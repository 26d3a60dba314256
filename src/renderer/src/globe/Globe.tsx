// A first globe: dark sphere, coastlines from Natural Earth (world-atlas, bundled, no network),
// a marker per host, great-circle arcs for the tour's hops, the current host highlighted.
import { useEffect, useRef } from 'react'
import * as THREE from 'three'
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js'
import type { StepEvent, TourView } from '../../../shared/contract'
import { arcPoints, coastlineSegments, latLonToVec3 } from './geo'

const RADIUS = 1

export interface GlobeProps {
  tour: TourView | null
  /** Where the engine says the container runs now. */
  currentHost: string | null
  /** Step events of the hop in progress, or of the last hop, in order. */
  steps: StepEvent[]
  /** A hop is under way (EngineState.hopRunning). */
  hopRunning: boolean
  /** The next destination of the tour, if any. */
  nextHost: string | null
  theme: 'dark' | 'light'
  variant: 'normal' | 'presenter'
}

export function Globe({ tour, currentHost, hopRunning, nextHost }: GlobeProps) {
  const target = hopRunning ? nextHost : null
  const mount = useRef<HTMLDivElement>(null)
  const sceneRef = useRef<{ markers: THREE.Group; arcs: THREE.Group; labels: HTMLDivElement; camera: THREE.PerspectiveCamera; controls: OrbitControls } | null>(null)

  // Scene setup once.
  useEffect(() => {
    const el = mount.current!
    const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true })
    renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2))
    renderer.setClearColor(0x05070d)
    el.appendChild(renderer.domElement)
    renderer.domElement.setAttribute('data-testid', 'globe-canvas')
    renderer.domElement.setAttribute('aria-label', 'Globe with the tour hosts')
    renderer.domElement.setAttribute('role', 'img')

    const scene = new THREE.Scene()
    const camera = new THREE.PerspectiveCamera(40, 1, 0.1, 100)
    camera.position.set(0, 0.6, 3.4)
    const controls = new OrbitControls(camera, renderer.domElement)
    controls.enablePan = false
    controls.minDistance = 1.6
    controls.maxDistance = 6
    controls.autoRotate = true
    controls.autoRotateSpeed = 0.35

    scene.add(new THREE.Mesh(new THREE.SphereGeometry(RADIUS, 96, 64), new THREE.MeshBasicMaterial({ color: 0x0b1a33 })))
    const coast = new THREE.BufferGeometry().setAttribute('position', new THREE.Float32BufferAttribute(coastlineSegments(RADIUS * 1.001), 3))
    scene.add(new THREE.LineSegments(coast, new THREE.LineBasicMaterial({ color: 0x3f7cc4 })))
    // Atmosphere rim.
    scene.add(new THREE.Mesh(new THREE.SphereGeometry(RADIUS * 1.03, 64, 48), new THREE.MeshBasicMaterial({ color: 0x2a6fdb, transparent: true, opacity: 0.08, side: THREE.BackSide })))

    const markers = new THREE.Group()
    const arcs = new THREE.Group()
    scene.add(markers, arcs)
    const labels = document.createElement('div')
    labels.className = 'globe-labels'
    el.appendChild(labels)
    sceneRef.current = { markers, arcs, labels, camera, controls }

    const resize = () => {
      const w = el.clientWidth || 1
      const h = el.clientHeight || 1
      renderer.setSize(w, h, false)
      renderer.domElement.style.width = '100%'
      renderer.domElement.style.height = '100%'
      camera.aspect = w / h
      camera.updateProjectionMatrix()
    }
    const ro = new ResizeObserver(resize)
    ro.observe(el)
    resize()

    const v = new THREE.Vector3()
    let frame = 0
    const tick = () => {
      frame = requestAnimationFrame(tick)
      controls.update()
      renderer.render(scene, camera)
      // Place HTML labels over markers facing the camera; nudge close neighbours (Stuttgart and
      // Strasbourg are 120 km apart) apart so both stay readable.
      const camDir = camera.position.clone().normalize()
      const placed: { x: number; y: number }[] = []
      for (const child of labels.children) {
        const label = child as HTMLElement & { anchor?: THREE.Vector3 }
        if (!label.anchor) continue
        const visible = label.anchor.clone().normalize().dot(camDir) > 0.15
        v.copy(label.anchor).project(camera)
        const x = ((v.x + 1) / 2) * el.clientWidth
        let y = ((1 - v.y) / 2) * el.clientHeight
        if (visible) {
          while (placed.some((p) => Math.abs(p.x - x) < 90 && Math.abs(p.y - y) < 16)) y += 16
          placed.push({ x, y })
        }
        label.style.transform = `translate(${x}px, ${y}px)`
        label.style.opacity = visible ? '1' : '0'
      }
    }
    tick()
    return () => {
      cancelAnimationFrame(frame)
      ro.disconnect()
      controls.dispose()
      renderer.dispose()
      el.replaceChildren()
      sceneRef.current = null
    }
  }, [])

  // Hosts, arcs and highlight follow the tour and the engine.
  useEffect(() => {
    const s = sceneRef.current
    if (!s || !tour) return
    disposeGroup(s.markers)
    disposeGroup(s.arcs)
    s.labels.replaceChildren()
    for (const h of tour.hosts) {
      const pos = latLonToVec3(h.lat, h.lon, RADIUS * 1.005)
      const active = h.name === currentHost
      const dot = new THREE.Mesh(new THREE.SphereGeometry(active ? 0.028 : 0.018, 16, 12), new THREE.MeshBasicMaterial({ color: active ? 0xffb020 : h.name === target ? 0x6ee7ff : 0xe6edf7 }))
      dot.position.copy(pos)
      s.markers.add(dot)
      const label = Object.assign(document.createElement('div'), { className: `globe-label${active ? ' active' : ''}`, textContent: h.label }) as HTMLDivElement & { anchor?: THREE.Vector3 }
      label.anchor = pos
      label.dataset.host = h.name
      s.labels.appendChild(label)
    }
    const byName = new Map(tour.hosts.map((h) => [h.name, h]))
    for (let i = 1; i < tour.hops.length; i++) {
      const a = byName.get(tour.hops[i - 1]!)
      const b = byName.get(tour.hops[i]!)
      if (!a || !b) continue
      const live = a.name === currentHost && b.name === target
      const geom = new THREE.BufferGeometry().setFromPoints(arcPoints(a, b, RADIUS, 64))
      s.arcs.add(new THREE.Line(geom, new THREE.LineBasicMaterial({ color: live ? 0x6ee7ff : 0xffb020, transparent: true, opacity: live ? 1 : 0.45 })))
    }
    // Swing the camera towards the current host.
    const cur = currentHost ? byName.get(currentHost) : undefined
    if (cur) {
      const dist = s.camera.position.length()
      s.camera.position.copy(latLonToVec3(cur.lat + 15, cur.lon, dist))
      s.controls.update()
    }
  }, [tour, currentHost, target])

  return <div ref={mount} className="globe" data-testid="globe" />
}

function disposeGroup(g: THREE.Group): void {
  for (const child of [...g.children]) {
    const m = child as THREE.Mesh
    m.geometry?.dispose()
    ;(m.material as THREE.Material | undefined)?.dispose()
    g.remove(child)
  }
}

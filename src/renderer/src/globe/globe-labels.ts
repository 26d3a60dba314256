// HTML labels over the globe (crisp text at any size, no WebGL cost): one per host, kept by host
// name and restyled in place, plus the game marker's phase tag; leader lines when pushed apart.
import * as THREE from 'three'
import { placeLabels, type LabelInput } from './label-layout'

export type LabelRole = 'plain' | 'current' | 'dest'

interface Item {
  el: HTMLDivElement
  line: SVGLineElement
  pos: THREE.Vector3
  size: { w: number; h: number } | null
  priority: number
}

const SVG = 'http://www.w3.org/2000/svg'
const SERVER = '\u0000server'
const PRIORITY: Record<LabelRole, number> = { current: 1, dest: 2, plain: 3 }

export class LabelOverlay {
  readonly root = document.createElement('div')
  private readonly svg = document.createElementNS(SVG, 'svg')
  private readonly items = new Map<string, Item>()

  constructor() {
    this.root.className = 'globe-overlay'
    this.svg.classList.add('globe-leaders')
    this.root.appendChild(this.svg)
    this.add(SERVER, '', new THREE.Vector3(), 'globe-tag')
  }

  private add(id: string, text: string, pos: THREE.Vector3, className: string): void {
    const el = document.createElement('div')
    el.className = className
    el.textContent = text
    const line = document.createElementNS(SVG, 'line')
    this.svg.appendChild(line)
    this.root.appendChild(el)
    this.items.set(id, { el, line, pos, size: null, priority: id === SERVER ? 0 : PRIORITY.plain })
  }

  /** A new tour: the only time host labels are created or removed. */
  setHosts(hosts: { name: string; label: string; pos: THREE.Vector3 }[]): void {
    for (const [id, it] of this.items) {
      if (id === SERVER) continue
      it.el.remove()
      it.line.remove()
      this.items.delete(id)
    }
    for (const h of hosts) {
      this.add(h.name, h.label, h.pos, 'globe-name')
      this.items.get(h.name)!.el.dataset.host = h.name
    }
  }

  setRole(name: string, role: LabelRole): void {
    const it = this.items.get(name)
    if (!it || it.el.dataset.role === role) return
    it.el.dataset.role = role
    it.priority = PRIORITY[role]
    it.size = null
  }

  /** A host that cannot be reached says so on the globe too (its row says why). */
  setProblem(name: string, label: string, problem: string | null): void {
    const it = this.items.get(name)
    const text = problem ? `${label} · ${problem}` : label
    if (!it || it.el.textContent === text) return
    it.el.textContent = text
    if (problem) it.el.dataset.problem = problem
    else delete it.el.dataset.problem
    it.size = null
  }

  /** The game's phase in words beside its marker; null hides it. */
  setTag(text: string | null, tone: string): void {
    const it = this.items.get(SERVER)!
    if (it.el.textContent !== (text ?? '') || it.el.dataset.tone !== tone) {
      it.el.textContent = text ?? ''
      it.el.dataset.tone = tone
      it.size = null
    }
    it.el.hidden = text === null
  }

  /** Fonts follow the viewport (presenter) or the variant changed: measure again. */
  remeasure(): void {
    for (const it of this.items.values()) it.size = null
  }

  /** Projects, places and moves every visible label; `server` is the game marker's position. */
  layout(camera: THREE.PerspectiveCamera, w: number, h: number, server: THREE.Vector3 | null): void {
    const eye = camera.position
    const v = new THREE.Vector3()
    const inputs: LabelInput[] = []
    const serverItem = this.items.get(SERVER)!
    if (server) serverItem.pos.copy(server)
    for (const [id, it] of this.items) {
      const hidden = id === SERVER ? !server || serverItem.el.hidden : false
      // In front of the horizon: p·eye > |p|² for a point p on the sphere.
      const facing = it.pos.dot(eye) > it.pos.lengthSq() * 1.02
      if (hidden || !facing) {
        it.el.style.visibility = 'hidden'
        it.line.style.display = 'none'
        continue
      }
      it.el.style.visibility = 'visible'
      it.size ??= { w: it.el.offsetWidth, h: it.el.offsetHeight }
      v.copy(it.pos).project(camera)
      inputs.push({ id, x: ((v.x + 1) / 2) * w, y: ((1 - v.y) / 2) * h, w: it.size.w, h: it.size.h, priority: it.priority })
    }
    const byId = new Map(inputs.map((i) => [i.id, i]))
    const markerR = Math.max(8, Math.round(h * 0.012))
    for (const p of placeLabels(inputs, { w, h }, Math.round(markerR * 0.6), markerR)) {
      const it = this.items.get(p.id)!
      const at = byId.get(p.id)!
      it.el.style.transform = `translate(${Math.round(p.left)}px, ${Math.round(p.top)}px)`
      it.line.style.display = p.leader ? '' : 'none'
      if (p.leader) {
        it.line.setAttribute('x1', at.x.toFixed(1))
        it.line.setAttribute('y1', at.y.toFixed(1))
        it.line.setAttribute('x2', p.lx.toFixed(1))
        it.line.setAttribute('y2', p.ly.toFixed(1))
      }
    }
  }
}

// Places host labels beside their markers without overlapping each other or any marker: close
// hosts (Stuttgart and Strasbourg are 120 km apart) get pushed out and a leader line. Pure.

export interface LabelInput {
  id: string
  /** Marker centre, px. */
  x: number
  y: number
  /** Label box, px. */
  w: number
  h: number
  /** Lower places first (and gets the best spot). */
  priority: number
}

export interface LabelPlace {
  id: string
  left: number
  top: number
  /** The label sits away from its marker: draw a line from the marker to `lx, ly`. */
  leader: boolean
  lx: number
  ly: number
}

interface Rect {
  l: number
  t: number
  r: number
  b: number
}

const overlaps = (a: Rect, b: Rect) => a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b

/** Candidate top-left corners: beside the marker first, then further out along 8 directions. */
function candidates(l: LabelInput, gap: number, markerR: number): { left: number; top: number; leader: boolean }[] {
  const near = markerR + gap
  const out = [
    { left: l.x + near, top: l.y - l.h / 2, leader: false },
    { left: l.x - near - l.w, top: l.y - l.h / 2, leader: false },
    { left: l.x - l.w / 2, top: l.y - near - l.h, leader: false },
    { left: l.x - l.w / 2, top: l.y + near, leader: false },
  ]
  const dirs = [
    [1, -1], [1, 1], [-1, -1], [-1, 1], [0, -1], [0, 1], [1, 0], [-1, 0],
  ] as const
  for (let k = 1; k <= 6; k++) {
    const reach = near + k * (l.h + gap)
    for (const [dx, dy] of dirs) {
      const cx = l.x + dx * reach
      const cy = l.y + dy * reach
      out.push({ left: dx > 0 ? cx : dx < 0 ? cx - l.w : cx - l.w / 2, top: dy > 0 ? cy : dy < 0 ? cy - l.h : cy - l.h / 2, leader: true })
    }
  }
  return out
}

/** Nearest point of a rect to (x, y): where the leader line meets the label. */
function nearest(r: Rect, x: number, y: number): [number, number] {
  return [Math.max(r.l, Math.min(r.r, x)), Math.max(r.t, Math.min(r.b, y))]
}

export function placeLabels(labels: LabelInput[], view: { w: number; h: number }, gap = 6, markerR = 7): LabelPlace[] {
  const markers: Rect[] = labels.map((l) => ({ l: l.x - markerR, t: l.y - markerR, r: l.x + markerR, b: l.y + markerR }))
  const placed: Rect[] = []
  const out: LabelPlace[] = []
  for (const l of [...labels].sort((a, b) => a.priority - b.priority)) {
    const cands = candidates(l, gap, markerR)
    const rectOf = (c: { left: number; top: number }): Rect => ({ l: c.left, t: c.top, r: c.left + l.w, b: c.top + l.h })
    const inView = (r: Rect) => r.l >= 0 && r.t >= 0 && r.r <= view.w && r.b <= view.h
    const free = (r: Rect) => !placed.some((p) => overlaps(p, r)) && !markers.some((m) => overlaps(m, r))
    const pick = cands.find((c) => free(rectOf(c)) && inView(rectOf(c))) ?? cands.find((c) => free(rectOf(c))) ?? cands[0]!
    const r = rectOf(pick)
    placed.push(r)
    const [lx, ly] = nearest(r, l.x, l.y)
    out.push({ id: l.id, left: pick.left, top: pick.top, leader: pick.leader, lx, ly })
  }
  return out
}

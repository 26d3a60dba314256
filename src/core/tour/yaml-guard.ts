// Checks on the parsed YAML document before it becomes data: nesting, aliases (a "billion laughs"
// bomb expands a few hundred bytes into millions of values), plain and unique keys. yaml's own
// duplicate-key check is quadratic (26,000 keys took it 6 s), so keys are checked here instead.
import { isAlias, isMap, isScalar, isSeq, visit, type Alias, type Document, type LineCounter, type Node } from 'yaml'
import { TOUR_LIMITS, type TourProblem } from '../../shared/tour'
import { fieldName, type Path } from './problems'

interface Extent {
  /** Values once aliases are expanded. */
  size: number
  /** Collections inside collections, aliases expanded. */
  depth: number
}

const CYCLE: Extent = { size: Infinity, depth: Infinity }

/** Each alias's node: the last anchor of its name before it (yaml's rule), found in one pass. */
function aliasTargets(doc: Document): Map<Alias, Node> {
  const anchors = new Map<string, Node>()
  const targets = new Map<Alias, Node>()
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        const t = anchors.get(node.source)
        if (t) targets.set(node, t)
      } else if (node.anchor) anchors.set(node.anchor, node)
    },
  })
  return targets
}

export function guardDocument(doc: Document, lc: LineCounter, file: string): TourProblem[] {
  const targets = aliasTargets(doc)
  const extents = new Map<Node, Extent>()
  const inProgress = new Set<Node>()
  let aliases = 0
  let nodes = 0

  const at = (node: Node | null | undefined, path: Path, message: string): TourProblem => {
    const pos = node?.range ? lc.linePos(node.range[0]) : { line: 0, col: 0 }
    return { file, line: pos.line, column: pos.col, field: fieldName(path), message }
  }

  /** Size and depth of what a node stands for; the walk below bounds the recursion. */
  const extent = (node: unknown): Extent => {
    if (isAlias(node)) {
      const target = targets.get(node)
      return target ? extent(target) : { size: 1, depth: 0 }
    }
    if (!isMap(node) && !isSeq(node)) return { size: 1, depth: 0 }
    const known = extents.get(node)
    if (known) return known
    if (inProgress.has(node)) return CYCLE
    inProgress.add(node)
    let size = 1
    let depth = 0
    for (const item of node.items as unknown[]) {
      const parts = isMap(node) ? [(item as { key: unknown }).key, (item as { value: unknown }).value] : [item]
      for (const p of parts) {
        const e = extent(p)
        size += e.size
        depth = Math.max(depth, e.depth)
      }
      if (size > TOUR_LIMITS.nodes) break
    }
    inProgress.delete(node)
    const e = { size, depth: depth + 1 }
    extents.set(node, e)
    return e
  }

  /** Returns the first problem: past a resource limit, the rest of the document is not worth reading. */
  const walk = (node: unknown, path: Path, depth: number): TourProblem | null => {
    if (isAlias(node)) {
      if (++aliases > TOUR_LIMITS.aliases) return at(node, path, `more than ${TOUR_LIMITS.aliases} aliases`)
      const target = targets.get(node)
      if (!target) return at(node, path, `unknown alias *${node.source}: no anchor &${node.source} before it`)
      const e = extent(target)
      if (e === CYCLE || e.size === Infinity) return at(node, path, `alias *${node.source} is inside its own anchor`)
      nodes += e.size
      if (nodes > TOUR_LIMITS.nodes) return at(node, path, `alias *${node.source} expands the tour past ${TOUR_LIMITS.nodes} values (an alias bomb?)`)
      if (depth + e.depth > TOUR_LIMITS.depth) return at(node, path, `alias *${node.source} nests the tour more than ${TOUR_LIMITS.depth} levels deep`)
      return null
    }
    if (++nodes > TOUR_LIMITS.nodes) return at(node as Node, path, `more than ${TOUR_LIMITS.nodes} values`)
    if (!isMap(node) && !isSeq(node)) return null
    if (depth + 1 > TOUR_LIMITS.depth) return at(node, path, `nested more than ${TOUR_LIMITS.depth} levels deep`)
    if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) {
        const p = walk(node.items[i], [...path, i], depth + 1)
        if (p) return p
      }
      return null
    }
    const seen = new Map<string, Node>()
    for (const pair of node.items) {
      const key = pair.key
      if (!isScalar(key) || (key.value !== null && typeof key.value === 'object')) return at(key as Node, path, 'a key must be a plain word, not a collection or an alias')
      const name = String(key.value)
      const before = seen.get(name)
      if (before) {
        const line = before.range ? lc.linePos(before.range[0]).line : 0
        return at(key, [...path, name], `duplicate key "${name}" (first at line ${line})`)
      }
      seen.set(name, key)
      nodes++
      const p = walk(pair.value, [...path, name], depth + 1)
      if (p) return p
    }
    return null
  }

  const p = walk(doc.contents, [], 0)
  return p ? [p] : []
}

/** The field at a character offset: the path of the deepest key or item whose text holds it. */
export function fieldAt(doc: Document, offset: number): string {
  const path: (string | number)[] = []
  const holds = (n: unknown) => (isMap(n) || isSeq(n) || isScalar(n) || isAlias(n)) && !!n.range && n.range[0] <= offset && offset < n.range[2]
  let node: unknown = doc.contents
  for (let guard = 0; guard < TOUR_LIMITS.depth * 4; guard++) {
    let next: unknown = undefined
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '?'
        if (holds(pair.key)) return fieldName([...path, key])
        if (holds(pair.value)) {
          path.push(key)
          next = pair.value
          break
        }
      }
    } else if (isSeq(node)) {
      const i = node.items.findIndex(holds)
      if (i >= 0) {
        path.push(i)
        next = node.items[i]
      }
    }
    if (next === undefined) break
    node = next
  }
  return fieldName(path)
}

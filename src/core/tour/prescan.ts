// Checks on a tour's raw text before the YAML parser sees it. The `yaml` package recurses once
// per nesting level and slows down superlinearly on some shapes: 120 KB of `[` took it 3.5 s and
// 500 KB ran the process out of memory. So size, lines, values and nesting are bounded here, with a
// scan that is linear and never recurses.
import { TOUR_LIMITS, type TourProblem } from '../../shared/tour'

/** Nesting the scan lets through: generous, since it only estimates; the document walk applies TOUR_LIMITS.depth exactly. */
export const PARSER_DEPTH_GUARD = TOUR_LIMITS.depth * 4

export function prescan(text: string, file: string): TourProblem[] {
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > TOUR_LIMITS.fileBytes) return [{ file, line: 0, column: 0, field: '', message: `the file is ${bytes} bytes; a tour file may be at most ${TOUR_LIMITS.fileBytes} bytes` }]
  const problem = scanNesting(text)
  return problem ? [{ file, ...problem }] : []
}

type Found = { line: number; column: number; field: string; message: string }

const BLOCK_SCALAR_HEADER = /^[|>][-+0-9]*[ \t]*(#.*)?$/
const TOP_KEY = /^(?:"([^"]*)"|'([^']*)'|([^\s#:'"[\]{},][^:]*?))[ \t]*:(?:[ \t]|$)/

/** The first place where lines, values or nesting exceed the caps, with the top-level key it is under. */
function scanNesting(text: string): Found | null {
  let line = 0
  let topKey = ''
  let flow = 0
  // Entries, keys and flow separators: each starts at least one value.
  let tokens = 0
  let quote: '"' | "'" | null = null
  // Block indentation levels open on the current line; block scalar content lines are skipped.
  const indents: number[] = []
  let blockScalarAbove = -1
  for (let start = 0; start < text.length; ) {
    const nl = text.indexOf('\n', start)
    const end = nl === -1 ? text.length : nl
    const s = text.slice(start, end)
    start = end + 1
    line++
    if (line > TOUR_LIMITS.lines) return { line, column: 1, field: topKey, message: `more than ${TOUR_LIMITS.lines} lines` }
    let col = 0
    if (quote === null && flow === 0) {
      while (s[col] === ' ') col++
      const content = s.slice(col).trimEnd()
      if (blockScalarAbove >= 0 && (content === '' || col > blockScalarAbove)) continue
      blockScalarAbove = -1
      if (content === '' || content.startsWith('#')) continue
      if (col === 0) {
        const m = TOP_KEY.exec(content)
        if (m) topKey = m[1] ?? m[2] ?? m[3] ?? ''
      }
      while (indents.length > 0 && indents[indents.length - 1]! > col) indents.pop()
      if (indents.length === 0 || indents[indents.length - 1]! < col) indents.push(col)
    }
    let tokenStart = true
    let nodeCol = col
    for (let i = col; i < s.length; i++) {
      const c = s[i]!
      if (quote === '"') {
        if (c === '\\') i++
        else if (c === '"') quote = null
        continue
      }
      if (quote === "'") {
        if (c === "'" && s[i + 1] === "'") i++
        else if (c === "'") quote = null
        continue
      }
      if (c === ' ' || c === '\t') continue
      const next = s[i + 1]
      const spaceAfter = next === undefined || next === ' ' || next === '\t'
      if (c === '#' && (i === 0 || s[i - 1] === ' ' || s[i - 1] === '\t')) break
      if (tokenStart && (c === '&' || c === '!')) {
        // An anchor or a tag: the node it belongs to starts after it.
        while (i + 1 < s.length && !/[ \t]/.test(s[i + 1]!) && !(flow > 0 && /[,[\]{}]/.test(s[i + 1]!))) i++
      } else if (tokenStart && (c === '"' || c === "'")) {
        quote = c
        tokenStart = false
      } else if (tokenStart && (c === '[' || c === '{')) {
        flow++
        tokens++
      } else if ((c === ']' || c === '}') && flow > 0) {
        flow--
        tokenStart = false
      } else if (c === ',' && flow > 0) {
        tokenStart = true
        tokens++
      } else if (c === ':' && (spaceAfter || flow > 0)) {
        tokenStart = true
        tokens++
      } else if (tokenStart && flow === 0 && (c === '-' || c === '?') && spaceAfter) {
        // A compact nested entry (`- - x`, `- key: v`): one more block level on this line.
        nodeCol = i
        tokens++
        let j = i + 1
        while (s[j] === ' ') j++
        indents.push(j)
      } else if (tokenStart && flow === 0 && (c === '|' || c === '>') && BLOCK_SCALAR_HEADER.test(s.slice(i))) {
        blockScalarAbove = nodeCol
        break
      } else if (tokenStart) {
        if (flow === 0) nodeCol = i
        tokenStart = false
      }
      if (tokens > TOUR_LIMITS.nodes) return { line, column: i + 1, field: topKey, message: `more than ${TOUR_LIMITS.nodes} values` }
      if (indents.length + flow > PARSER_DEPTH_GUARD) {
        return { line, column: i + 1, field: topKey, message: `nested more than ${PARSER_DEPTH_GUARD} levels deep; a tour needs ${TOUR_LIMITS.depth} at most` }
      }
    }
  }
  return null
}

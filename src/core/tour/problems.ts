// A refused tour: every problem with file, line, column and field, found at any stage.
import { isAlias, isCollection, isNode, visit, type Document, type LineCounter } from 'yaml'
import { formatProblem, type TourProblem } from '../../shared/tour'
import { terminalSafe } from '../text/terminal-safe'

/** At most this many problems are kept: a 2000-host file must not produce a 2000-line answer. */
export const MAX_PROBLEMS = 50

export class TourError extends Error {
  readonly problems: TourProblem[]
  constructor(problems: TourProblem[]) {
    const kept = problems.length > MAX_PROBLEMS ? [...problems.slice(0, MAX_PROBLEMS), { ...problems[0]!, line: 0, column: 0, field: '', message: `${problems.length - MAX_PROBLEMS} more problems not shown` }] : problems
    super(kept.map(formatProblem).join('\n'))
    this.name = 'TourError'
    this.problems = kept
  }
}

export type Path = readonly (string | number)[]

export function fieldName(p: Path): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), '')
}

/** 1-based line and column of a character offset in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let start = 0
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++
    start = i + 1
  }
  return { line, column: offset - start + 1 }
}

export const EXCERPT_CHARS = 200

/** Line `line` (1-based) of `text`, cut to EXCERPT_CHARS, with control and bidi characters escaped: safe to print or show. */
export function sourceLine(text: string, lineStarts: readonly number[], line: number): string | undefined {
  const start = lineStarts[line - 1]
  if (start === undefined) return undefined
  const nl = text.indexOf('\n', start)
  const raw = text.slice(start, nl === -1 ? text.length : Math.min(nl, start + EXCERPT_CHARS + 1)).replace(/\r$/, '')
  return terminalSafe(raw.slice(0, EXCERPT_CHARS).trimEnd(), { oneLine: true })
}

/**
 * The flow collection (`{ ... }` or `[ ... ]`) that runs into a syntax error at `offset` unclosed:
 * yaml reports the line after the missing bracket, the slip is where the bracket opened.
 */
export function unclosedFlowStart(doc: Document, offset: number): number | null {
  let start: number | null = null
  visit(doc, {
    Node(_key, node) {
      if (isCollection(node) && node.flow && node.range && node.range[0] < offset && node.range[2] >= offset && (start === null || node.range[0] > start)) start = node.range[0]
    },
  })
  return start
}

/** Position of the deepest node along `p` that exists in the document. */
export function locate(doc: Document, lc: LineCounter, p: Path): { line: number; column: number } {
  for (let n = p.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true)
    if (isNode(node) && !isAlias(node) && node.range) {
      const pos = lc.linePos(node.range[0])
      return { line: pos.line, column: pos.col }
    }
  }
  return { line: 0, column: 0 }
}

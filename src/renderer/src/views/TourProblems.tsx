// A tour file's problems, once (never also as an error banner): the first in full with the line it
// points at when the loader quotes it, the rest below (a YAML syntax error's follow-ons mostly).
import type { TourProblem } from '../../../shared/tour'

const where = (p: TourProblem) => (p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file)

/** The loader may quote the offending lines (`excerpt`); older engines do not. */
function excerptOf(p: TourProblem): string | null {
  const e = (p as TourProblem & { excerpt?: unknown }).excerpt
  return typeof e === 'string' && e.trim() !== '' ? e : null
}

export function TourProblems({ problems, loadedFile }: { problems: TourProblem[]; loadedFile: string | null }) {
  const [first, ...rest] = problems
  if (!first) return null
  const excerpt = excerptOf(first)
  return (
    <section className="panel problems" role="alert" data-testid="tour-problems">
      <h2>
        The tour file has {problems.length === 1 ? 'a problem' : `${problems.length} problems`}
        {loadedFile && first.file !== loadedFile ? ` · still showing ${loadedFile}` : ''}
      </h2>
      <p className="problem-first">
        <code>{where(first)}</code> {first.field && <strong>{first.field}</strong>} {first.message}
      </p>
      {excerpt && (
        <pre className="problem-excerpt" data-testid="problem-excerpt">
          {excerpt}
        </pre>
      )}
      {rest.length > 0 && (
        <details open={rest.length <= 3}>
          <summary>{rest.length === 1 ? '1 more' : `${rest.length} more`} (fix the first one first: the others may follow from it)</summary>
          <ul>
            {rest.map((p, i) => (
              <li key={i}>
                <code>{where(p)}</code> {p.field && <strong>{p.field}</strong>} {p.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  )
}

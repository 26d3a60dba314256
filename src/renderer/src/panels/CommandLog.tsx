// The remote commands as they run and their output: what globehop really does on each host.
// Lines come from the engine store (the last 500; rsync progress redraws are folded in place there).
import { useEffect, useRef } from 'react'
import type { GlobehopApi } from '../../../shared/contract'
import { selectLog } from '../store/engine-store'
import { useEngineStore } from '../store/use-engine-store'

export function CommandLog({ api }: { api: GlobehopApi }) {
  const { lines, start } = useEngineStore(api, selectLog)
  const list = useRef<HTMLOListElement>(null)
  // Follow the newest line inside the list only (scrollIntoView would also scroll the host list away).
  useEffect(() => {
    const el = list.current
    if (el) el.scrollTop = el.scrollHeight
  }, [lines])
  return (
    <section className="panel log" aria-label="Remote commands">
      <h2>Commands</h2>
      <ol ref={list} data-testid="command-log">
        {lines.map((l, i) => (
          <li key={start + i} className={l.stream}>
            <span className="host">{l.host}</span>
            {l.stream === 'cmd' ? '$ ' : ''}
            {l.line}
          </li>
        ))}
      </ol>
    </section>
  )
}

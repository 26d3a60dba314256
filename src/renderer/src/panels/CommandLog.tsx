// The remote commands as they run and their output: what globehop really does on each host.
import { useEffect, useRef, useState } from 'react'
import type { EventPayload, GlobehopApi } from '../../../shared/contract'

const MAX_LINES = 300
/** rsync's --info=progress2 redraws (`  10,846,208  30%  10.01MB/s  0:00:02`): shown in place. */
const PROGRESS = /^\s*[\d,.]+[KMGT]?\s+\d{1,3}%/

export function CommandLog({ api }: { api: GlobehopApi }) {
  const [lines, setLines] = useState<(EventPayload<'log'> & { key: number })[]>([])
  const list = useRef<HTMLOListElement>(null)
  useEffect(() => {
    let key = 0
    return api.onEvent((e) => {
      if (e.name !== 'log') return
      const line = { ...e.payload, key: key++ }
      setLines((ls) => {
        const prev = ls.at(-1)
        if (prev && prev.host === line.host && PROGRESS.test(prev.line) && PROGRESS.test(line.line)) return [...ls.slice(0, -1), line]
        return ls.length >= MAX_LINES ? [...ls.slice(ls.length - MAX_LINES + 1), line] : [...ls, line]
      })
    })
  }, [api])
  // Follow the newest line inside the list only (scrollIntoView would also scroll the host list away).
  useEffect(() => {
    const el = list.current
    if (el) el.scrollTop = el.scrollHeight
  }, [lines])
  return (
    <section className="panel log" aria-label="Remote commands">
      <h2>Commands</h2>
      <ol ref={list} data-testid="command-log">
        {lines.map((l) => (
          <li key={l.key} className={l.stream}>
            <span className="host">{l.host}</span>
            {l.stream === 'cmd' ? '$ ' : ''}
            {l.line}
          </li>
        ))}
      </ol>
    </section>
  )
}

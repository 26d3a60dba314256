// Remote command output as asciicast v2 (what `asciinema play` replays): a header object, then
// `[seconds, "o", text]` lines. Every text goes through terminalSafe: a replay must not let a
// remote host's escape sequences reach the viewer's terminal.
import type { LogLine } from '../../shared/contract'
import { terminalSafe } from '../text/terminal-safe'

export const CAST_WIDTH = 120
export const CAST_HEIGHT = 40

export function castHeader(startedAt: number, tourName: string, host: string): string {
  const title = terminalSafe(`globehop ${tourName} on ${host}`, { oneLine: true })
  return JSON.stringify({ version: 2, width: CAST_WIDTH, height: CAST_HEIGHT, timestamp: Math.floor(startedAt / 1000), title })
}

/** One output event: a command as a `$ ` prompt line, output as is; CRLF because a terminal needs the CR. */
export function castEvent(seconds: number, log: Pick<LogLine, 'stream' | 'line'>): string {
  const text = terminalSafe(log.line, { oneLine: true })
  return JSON.stringify([Math.round(seconds * 1000) / 1000, 'o', `${log.stream === 'cmd' ? '$ ' : ''}${text}\r\n`])
}

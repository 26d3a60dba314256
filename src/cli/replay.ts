// `globehop replay FILE`: the app in a browser, driven by a recording instead of hosts. Nothing is
// sent anywhere; the screen says REPLAY with the recording's date. The replay starts when the
// first page opens (so the audience sees it from the start); K or the banner's button pauses.
import { parseArgs } from 'node:util'
import { guardProcess } from '../core/interrupt-guard'
import { RecordingError } from '../core/recording/reader'
import { ReplayEngine } from '../core/replay/replay-engine'
import { terminalSafe } from '../core/text/terminal-safe'
import { serve } from '../server/serve'
import { REPLAY_SPEED } from '../shared/contract'
import { recordedAtText, replayClockText, speedText } from '../shared/replay-text'
import { withPresenterView } from './app'
import { ensureRendererBuilt, openBrowser, RENDERER_DIR } from './browser-host'
import { UsageError } from './usage'

export interface ReplayArgs {
  file: string
  speed: number
  port: number
  presenter: boolean
  open: boolean
}

export function parseReplayArgs(argv: string[]): ReplayArgs {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { speed: { type: 'string' }, port: { type: 'string' }, presenter: { type: 'boolean' }, 'no-open': { type: 'boolean' } },
    })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const { values: v, positionals } = parsed
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'replay: missing FILE (a recording, .jsonl)' : `replay: one FILE expected, got: ${positionals.join(' ')}`)
  const speed = v.speed === undefined ? 1 : Number(v.speed)
  if (!Number.isFinite(speed) || speed < REPLAY_SPEED.min || speed > REPLAY_SPEED.max) throw new UsageError(`--speed: "${String(v.speed)}" is not a speed from ${REPLAY_SPEED.min} to ${REPLAY_SPEED.max}`)
  const port = v.port === undefined ? 0 : Number(v.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: "${String(v.port)}" is not a port number`)
  return { file: positionals[0]!, speed, port, presenter: v.presenter === true, open: v['no-open'] !== true }
}

export async function runReplay(argv: string[]): Promise<number> {
  const a = parseReplayArgs(argv)
  let engine: ReplayEngine
  try {
    engine = ReplayEngine.open(a.file, { speed: a.speed, start: 'first-page' })
  } catch (err) {
    // The reader's words name the file and the line (a newer format version says so).
    if (!(err instanceof RecordingError)) throw err
    console.error(`globehop replay: ${terminalSafe(err.message, { oneLine: true })}`)
    return 1
  }
  for (const n of engine.state().notices) console.error(`globehop replay: warning: ${terminalSafe(n, { oneLine: true })}`)
  const built = await ensureRendererBuilt()
  if (built !== 0) {
    await engine.close()
    return built
  }
  const server = await serve({ engine, rendererDir: RENDERER_DIR, port: a.port, token: process.env.GLOBEHOP_TOKEN })
  const s = engine.state()
  const url = a.presenter ? withPresenterView(server.url) : server.url
  console.log(
    `globehop: replaying ${terminalSafe(a.file, { oneLine: true })} (recorded ${recordedAtText(s.replay!.recordedAt)}, ${replayClockText(engine.durationMs)}) at ${speedText(a.speed)}`,
  )
  console.log(`globehop: open ${url}`)
  console.error('globehop: nothing is sent to any host; the replay starts when the page opens (K pauses)')
  if (a.open) openBrowser(url)
  const code = await new Promise<number>((resolve) => {
    guardProcess({ target: () => null, exit: resolve })
  })
  await server.close()
  await engine.close()
  return code
}

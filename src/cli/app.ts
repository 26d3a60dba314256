// `serve` and `open`: the two ways to show the app.
import path from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { Engine } from '../core/engine'
import { fallbackCandidates, fallbackDirs } from '../core/fallback/candidates'
import { StageEngine } from '../core/fallback/stage-engine'
import { guardProcess } from '../core/interrupt-guard'
import { GLOBEHOP_VERSION } from '../core/recording/version'
import { defaultShow } from '../core/tour/default'
import { serve } from '../server/serve'
import { ensureRendererBuilt, openBrowser, RENDERER_DIR, ROOT, runInherit } from './browser-host'
import { findElectronBinary, sandboxChoice } from './electron-binary'
import { UsageError } from './usage'

interface AppArgs {
  tour?: string
  port?: string
  host?: string
  open?: boolean
  connect?: boolean
  presenter?: boolean
  display?: string
}

function parse(argv: string[], serveOptions: boolean): AppArgs {
  const options: ParseArgsConfig['options'] = { tour: { type: 'string' }, connect: { type: 'boolean' }, presenter: { type: 'boolean' } }
  if (serveOptions) Object.assign(options!, { port: { type: 'string' }, host: { type: 'string' }, open: { type: 'boolean' } })
  else Object.assign(options!, { display: { type: 'string' } })
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options }).values as AppArgs
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

export async function runServe(argv: string[], notices: string[] = []): Promise<number> {
  const v = parse(argv, true)
  const show = v.tour === undefined ? defaultShow() : { tour: v.tour }
  if ('recording' in show) {
    // No tour, no lab: the shipped recording of a real lab tour, labelled REPLAY.
    console.error(`globehop: no tour given and no lab up: replaying ${show.recording} (give --tour FILE, or bring the lab up, for a live run)`)
    const { runReplay } = await import('./replay')
    return runReplay([show.recording, ...(v.port !== undefined ? ['--port', v.port] : []), ...(v.presenter ? ['--presenter'] : []), ...(v.open ? [] : ['--no-open'])])
  }
  const port = v.port === undefined ? 0 : Number(v.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: "${String(v.port)}" is not a port number`)
  const host = v.host ?? '127.0.0.1'
  const built = await ensureRendererBuilt()
  if (built !== 0) return built
  const engine = new Engine({ host: 'browser', version: GLOBEHOP_VERSION, notices, record: {} })
  const tourFile = show.tour
  await engine.loadTour(tourFile).catch((err: Error) => console.error(err.message))
  // R on stage: the newest good recording of this tour stands in for the live run (stage-engine.ts).
  const stage = new StageEngine(engine, { candidates: fallbackCandidates(fallbackDirs()) })
  const server = await serve({ engine: stage, rendererDir: RENDERER_DIR, host, port, token: process.env.GLOBEHOP_TOKEN })
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') console.error(`globehop: listening on ${host}: anyone with the URL's token can drive migrations`)
  const url = v.presenter ? withPresenterView(server.url) : server.url
  console.log(`globehop: serving ${tourFile}`)
  console.log(`globehop: open ${url}`)
  if (v.open) openBrowser(url)
  // Loading the tour sent nothing; connecting (SSH, probes to the floating IP) is the user's act.
  if (v.connect) {
    console.error('globehop: connecting to the tour\'s hosts (--connect)')
    engine.handle('connect', {}).catch((err: Error) => console.error(`globehop: connect: ${err.message}`))
  } else console.error('globehop: nothing is sent to the tour\'s hosts until you press Connect (or start with --connect)')
  // Ctrl-C, SIGTERM, a hang-up or a closed stdout: a frozen hop finishes (or rolls back) before
  // the host exits; the browser pages see it happen (interrupt-guard.ts).
  const code = await new Promise<number>((resolve) => {
    guardProcess({ target: () => engine.guardTarget(), exit: resolve })
  })
  await server.close()
  await stage.close()
  return code
}

export async function runOpen(argv: string[]): Promise<number> {
  // --no-sandbox is open's own opt-in (see sandboxChoice), taken out before the shared parse.
  const v = parse(argv.filter((a) => a !== '--no-sandbox'), false)
  const electron = findElectronBinary()
  const sandbox = sandboxChoice({ uid: process.getuid?.(), noSandbox: argv.includes('--no-sandbox'), env: process.env })
  if (v.display !== undefined && !/^\d+$/.test(v.display)) throw new UsageError(`--display: "${v.display}" is not a display number (0 is the first)`)
  if (!electron.ok || sandbox.refused) {
    const notice = electron.ok ? `${sandbox.refused}.` : `${electron.reason}: showing globehop in the browser instead.`
    console.error(`globehop: ${notice}`)
    if (v.display !== undefined) console.error('globehop: --display needs the Electron app; in the browser, move the window and press F')
    return runServe([...(v.tour ? ['--tour', v.tour] : []), '--open', ...(v.connect ? ['--connect'] : []), ...(v.presenter ? ['--presenter'] : [])], [notice])
  }
  const show = v.tour === undefined ? defaultShow() : { tour: v.tour }
  const args = [
    ROOT,
    ...(v.tour ? ['--tour', path.resolve(v.tour)] : []),
    ...('recording' in show ? ['--replay', show.recording] : []),
    ...(v.connect ? ['--connect'] : []),
    ...(v.presenter ? ['--presenter'] : []),
    ...(v.display !== undefined ? ['--display', v.display] : []),
  ]
  // With --no-sandbox the main process itself prints what it costs (whoever started it).
  return runInherit(electron.path, [...args, ...sandbox.args], ROOT)
}

/** The printed (and opened) address with the presenter view asked for: the query goes before the
 * #fragment that carries the token. */
export function withPresenterView(url: string): string {
  const u = new URL(url)
  u.searchParams.set('view', 'presenter')
  return u.href
}

// The `globehop` command: dispatches to one small module per subcommand.
import { GLOBEHOP_VERSION } from '../core/recording/version'
import { USAGE, UsageError } from './usage'

// Each subcommand loads only its own module (and what it imports): `validate` needs no SSH, no
// HTTP server and no engine, so it starts in a fraction of the time the whole CLI takes to load.
const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  demo: (argv) => import('./demo').then((m) => m.runDemo(argv)),
  open: (argv) => import('./app').then((m) => m.runOpen(argv)),
  serve: (argv) => import('./app').then((m) => m.runServe(argv)),
  validate: (argv) => import('./validate').then((m) => m.runValidate(argv)),
  preflight: (argv) => import('./pipeline').then((m) => m.runPreflightCli(argv)),
  migrate: (argv) => import('./pipeline').then((m) => m.runMigrateCli(argv)),
  tour: (argv) => import('./pipeline').then((m) => m.runTourCli(argv)),
  recover: (argv) => import('./recover').then((m) => m.runRecover(argv)),
  export: (argv) => import('./export').then((m) => m.runExport(argv)),
  replay: (argv) => import('./replay').then((m) => m.runReplay(argv)),
  lab: (argv) => import('./lab').then((m) => m.runLabCli(argv)),
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    ;(cmd === undefined ? console.error : console.log)(USAGE)
    return cmd === undefined ? 2 : 0
  }
  if (cmd === '--version' || cmd === '-V') {
    console.log(`globehop ${GLOBEHOP_VERSION}`)
    return 0
  }
  const handler = COMMANDS[cmd]
  if (!handler) {
    console.error(`globehop: unknown command "${cmd}"\n\n${USAGE}`)
    return 2
  }
  try {
    return await handler(rest)
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`globehop ${cmd}: ${err.message}\n\n${USAGE}`)
      return 2
    }
    console.error(`globehop ${cmd}: ${(err as Error).message}`)
    return 1
  }
}

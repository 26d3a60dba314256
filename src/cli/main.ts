// The `globehop` command: dispatches to one small module per subcommand.
import { GLOBEHOP_VERSION } from '../core/recording/version'
import { runOpen, runServe } from './app'
import { runDemo } from './demo'
import { runLabCli } from './lab'
import { runMigrateCli, runPreflightCli, runTourCli } from './pipeline'
import { runRecover } from './recover'
import { USAGE, UsageError } from './usage'
import { runValidate } from './validate'

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  demo: runDemo,
  open: runOpen,
  serve: (argv) => runServe(argv),
  validate: runValidate,
  preflight: runPreflightCli,
  migrate: runMigrateCli,
  tour: runTourCli,
  recover: runRecover,
  export: (argv) => import('./export').then((m) => m.runExport(argv)),
  replay: (argv) => import('./replay').then((m) => m.runReplay(argv)),
  lab: runLabCli,
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

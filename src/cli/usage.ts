export const USAGE = `globehop: live container migration around the world

usage:
  globehop demo [--no-open] [--presenter]
                                          bring the local lab up (root), open the app on its tour and connect
  globehop open [--tour FILE] [--connect] [--presenter [--display N]] [--no-sandbox]
                                          open the app (Electron, or the browser host where Electron is missing)
  globehop serve [--tour FILE] [--port N] [--host ADDR] [--open] [--connect] [--presenter]
                                          serve the app to a browser (127.0.0.1, token in the printed URL's #fragment)
  globehop validate FILE                  check a tour file; prints problems or "ok"
  globehop preflight FILE [--mode M] [--json]
  globehop migrate FILE --to HOST [--mode M] [--tracking criu|rsync] [--json] [--no-probe] [--no-record]
  globehop tour FILE [--auto] [--mode M] [--tracking criu|rsync] [--json] [--no-probe] [--no-record]
  globehop export RECORDING [--format csv|json|md] [--ping]
                                          a recording's hops as one row each, or its ping series as CSV
  globehop replay RECORDING [--speed N] [--port N] [--presenter] [--no-open]
                                          show a recording in the app, labelled REPLAY (nothing is sent to any host)
  globehop recover FILE [--dry-run] [--wait SECONDS]
                                          after a crash mid-hop: find what runs where, repair it
  globehop lab up|down|status|exec|link|client
                                          the built-in local lab (root, Linux); \`globehop lab\` lists them
  globehop --version                      globehop's version (package.json's)

modes: stop-and-copy, pre-copy, post-copy, pre+post, auto
open, serve: nothing is sent to the tour's hosts (SSH, probes) until you press Connect, or with --connect.
--presenter: the presenter view (the globe fills the screen; V switches views); with Electron full screen
  on display N (0 is the first; default the primary), kept awake while the app runs.
keys: → Space PageDown next hop · B or . black screen · F full screen · V view · T theme · C connect
  · P preflight · Esc Esc cancel · ? all keys
`

/** The usage text's entries for these subcommands (each with its description), for their own usage errors. */
export function usageFor(...commands: string[]): string {
  const entries: string[][] = []
  const start = USAGE.indexOf('usage:\n') + 'usage:\n'.length
  for (const line of USAGE.slice(start, USAGE.indexOf('\n\n', start)).split('\n')) {
    if (/^ {2}globehop /.test(line)) entries.push([line])
    else entries.at(-1)?.push(line)
  }
  const picked = entries.filter((e) => commands.some((c) => e[0]!.startsWith(`  globehop ${c} `)))
  return `usage:\n${picked.flat().join('\n')}`
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

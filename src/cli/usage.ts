export const USAGE = `globehop: live container migration around the world

usage:
  globehop demo [--no-open]               bring the local lab up (root) and open the app on its tour
  globehop open [--tour FILE]             open the app (Electron, or the browser host where Electron is missing)
  globehop serve [--tour FILE] [--port N] [--host ADDR] [--open]
                                          serve the app to a browser (127.0.0.1, token in the printed URL)
  globehop validate FILE                  check a tour file; prints problems or "ok"
  globehop preflight FILE [--mode M] [--json]
  globehop migrate FILE --to HOST [--mode M] [--json]
  globehop tour FILE [--auto] [--mode M] [--json]
  globehop lab up|down|status|exec|link|client
                                          the built-in local lab (root, Linux); \`globehop lab\` lists them

modes: stop-and-copy, pre-copy, post-copy, pre+post, auto
`

export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

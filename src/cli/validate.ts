import { formatProblem } from '../shared/tour'
import { loadTour, TourError } from '../core/tour/load'
import { terminalSafe } from '../core/text/terminal-safe'
import { UsageError } from './usage'

export async function runValidate(argv: string[]): Promise<number> {
  if (argv.length !== 1 || argv[0]!.startsWith('-')) throw new UsageError('validate takes exactly one tour file')
  try {
    const tour = await loadTour(argv[0]!)
    // Names and file paths come from the tour's author: never raw to the terminal.
    console.log(terminalSafe(`ok: ${tour.name}: ${tour.hosts.length} hosts, ${tour.hops.length - 1} hops (${tour.hops.join(' -> ')})`, { oneLine: true }))
    return 0
  } catch (err) {
    if (!(err instanceof TourError)) throw err
    for (const p of err.problems) console.error(terminalSafe(formatProblem(p), { oneLine: true }))
    return 1
  }
}

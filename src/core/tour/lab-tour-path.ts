// Where a running lab keeps its state and its tour. The engine's default tour is the lab's while
// the lab is up, so this one fact lives in core and the lab (which may import core, never the
// reverse) takes it from here.
import path from 'node:path'

/** The lab's runtime state: state.json, tour, keys copy, per-host overlay layers (tmpfs), logs. */
export function labRunDir(): string {
  return process.env.GLOBEHOP_LAB_RUN ?? '/run/globehop-lab'
}

/** The tour `globehop lab up` writes for its hosts. */
export const labTourPath = (): string => path.join(labRunDir(), 'lab.yaml')

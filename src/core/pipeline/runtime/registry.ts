// Every runtime globehop drives, by the name a tour gives in `container.runtime`.
import { RUNTIME_NAMES, type RuntimeName, type Tour } from '../../../shared/tour'
import { crun } from './crun'
import { podman } from './podman'
import { runc } from './runc'
import type { Runtime } from './types'

const RUNTIMES: { readonly [K in RuntimeName]: Runtime } = { runc, crun, podman }

export function runtimeNamed(name: RuntimeName): Runtime {
  return RUNTIMES[name]
}

/** The runtime of the tour's container. */
export function runtimeOf(tour: Pick<Tour, 'container'>): Runtime {
  return RUNTIMES[tour.container.runtime]
}

/** Every runtime, in the order the tour schema lists them. */
export const ALL_RUNTIMES: readonly Runtime[] = RUNTIME_NAMES.map((n) => RUNTIMES[n])

import { describe, expect, it } from 'vitest'
import type { EngineState } from '../../shared/contract'
import { matchingHop } from './matching-hop'

const HOPS = ['stuttgart', 'strasbourg', 'montreal', 'singapore', 'strasbourg']
const RECORDED = [
  { from: 'stuttgart', to: 'strasbourg' },
  { from: 'strasbourg', to: 'montreal' },
  { from: 'montreal', to: 'singapore' },
  { from: 'singapore', to: 'strasbourg' },
]
const live = (currentHost: string | null, nextHopIndex: number | null, hops = HOPS) =>
  ({ tour: { hops } as EngineState['tour'], currentHost, nextHopIndex }) as Pick<EngineState, 'tour' | 'currentHost' | 'nextHopIndex'>

describe('matchingHop', () => {
  it('the same hop, by where the game is and where it goes next', () => {
    expect(matchingHop(live('stuttgart', 1), RECORDED)).toEqual({ hop: 1, why: 'from its hop stuttgart -> strasbourg', exact: true })
    expect(matchingHop(live('montreal', 3), RECORDED)).toEqual({ hop: 3, why: 'from its hop montreal -> singapore', exact: true })
    // strasbourg is a destination twice: from singapore it is the fourth hop, not the first.
    expect(matchingHop(live('singapore', 4), RECORDED).hop).toBe(4)
  })

  it('else a hop to the same destination, else the same position, else the start', () => {
    expect(matchingHop(live('stuttgart', 2, ['stuttgart', 'stuttgart', 'montreal']), RECORDED)).toEqual({ hop: 2, why: 'from its hop to montreal' })
    expect(matchingHop(live('stuttgart', 2, ['stuttgart', 'x', 'tokyo']), RECORDED)).toEqual({ hop: 2, why: 'from its hop 2 (no recorded hop goes to tokyo)' })
    expect(matchingHop(live('singapore', 5, [...HOPS, 'tokyo']), RECORDED)).toEqual({ hop: 1, why: 'from the start (no recorded hop goes to tokyo)' })
    expect(matchingHop(live('strasbourg', null), RECORDED)).toEqual({ hop: 1, why: 'from the start (the live tour is over)' })
    expect(matchingHop(live('stuttgart', 1), [])).toEqual({ hop: 1, why: 'from the start' })
  })
})

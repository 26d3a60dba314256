// What to undo after a failed hop, decided only from how far the hop got. Order matters: the
// destination's copy goes first so two servers never run, then the IP, then the source.
import type { HopState } from './hop-context'

export type RollbackAction =
  /** Kill and remove whatever the restore left on the destination. */
  | 'stop-destination'
  /** Break the post-copy page server's wait so CRIU thaws the source. */
  | 'abort-page-server'
  /** Floating IP back to the source. */
  | 'ip-back'
  /** Source running: nothing; stopped: restore it from its local images. */
  | 'ensure-source'
  /** The game answers at the floating IP again. */
  | 'verify-source'

export type RollbackDecision =
  | { kind: 'none'; why: string }
  | { kind: 'impossible'; why: string }
  | { kind: 'rollback'; actions: RollbackAction[] }

export function decideRollback(s: HopState, from: string, to: string): RollbackDecision {
  if (s.served) return { kind: 'none', why: `${to} already serves the game` }
  if (s.pointOfNoReturn) {
    return {
      kind: 'impossible',
      why: `past post-copy's point of no return: the container runs on ${to} with memory only ${from}'s page server holds; pages keep flowing as long as ${from} is alive. If ${from} is only cut off, the game on ${to} resumes by itself when it answers again (the floating IP stays with ${to}); if ${from} is gone for good, the game's memory is lost: start the container afresh on ${to}`,
    }
  }
  if (!s.frozen) return { kind: 'none', why: `nothing was frozen: the container runs on ${from} as before` }
  const actions: RollbackAction[] = []
  if (s.dstRestoreStarted || s.lazyServing) actions.push('stop-destination')
  if (s.lazyServing) actions.push('abort-page-server')
  if (s.ipMoved) actions.push('ip-back')
  actions.push('ensure-source', 'verify-source')
  return { kind: 'rollback', actions }
}

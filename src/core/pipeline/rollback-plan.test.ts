import { describe, expect, it } from 'vitest'
import { initialHopState, type HopState } from './hop-context'
import { decideRollback } from './rollback-plan'

const s = (over: Partial<HopState>): HopState => ({ ...initialHopState(), ...over })

describe('rollback decisions', () => {
  it('nothing frozen: nothing to undo (cancel or refusal before the freeze)', () => {
    expect(decideRollback(s({}), 'a', 'b')).toEqual({ kind: 'none', why: 'nothing was frozen: the container runs on a as before' })
  })
  it('checkpoint failed: make sure the source runs (CRIU thaws it on failure) and answers', () => {
    expect(decideRollback(s({ frozen: true }), 'a', 'b')).toEqual({ kind: 'rollback', actions: ['ensure-source', 'verify-source'] })
  })
  it('transfer failed with the IP already moved: IP back, source restored from its images', () => {
    expect(decideRollback(s({ frozen: true, sourceDumped: true, ipMoved: true }), 'a', 'b')).toEqual({ kind: 'rollback', actions: ['ip-back', 'ensure-source', 'verify-source'] })
  })
  it('restore or verify failed: the destination copy goes first, so two servers never run', () => {
    const d = decideRollback(s({ frozen: true, sourceDumped: true, ipMoved: true, dstRestoreStarted: true, dstRunning: true }), 'a', 'b')
    expect(d).toEqual({ kind: 'rollback', actions: ['stop-destination', 'ip-back', 'ensure-source', 'verify-source'] })
  })
  it('post-copy before the restore: stop the lazy daemon and let the page server fail so the source thaws', () => {
    const d = decideRollback(s({ frozen: true, lazyServing: true, ipMoved: true }), 'a', 'b')
    expect(d).toEqual({ kind: 'rollback', actions: ['stop-destination', 'abort-page-server', 'ip-back', 'ensure-source', 'verify-source'] })
  })
  it("post-copy after the restore: past the point of no return, said in words", () => {
    const d = decideRollback(s({ frozen: true, lazyServing: true, ipMoved: true, dstRestoreStarted: true, dstRunning: true, pointOfNoReturn: true }), 'a', 'b')
    expect(d).toMatchObject({ kind: 'impossible', why: expect.stringMatching(/point of no return.*pages keep flowing as long as a is alive\. If a is only cut off, the game on b resumes by itself .*if a is gone for good, the game's memory is lost: start the container afresh on b$/) })
  })
  it('served: nothing to undo even if cleanup failed', () => {
    expect(decideRollback(s({ frozen: true, sourceDumped: true, ipMoved: true, dstRunning: true, served: true }), 'a', 'b')).toMatchObject({ kind: 'none' })
  })
})

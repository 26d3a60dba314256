// The REPLAY label: whenever the engine replays a recording, one plain line at the top of every
// view says so, with the recording's date, the speed and where it is, above every layer (a black
// screen included), with pause/resume (K or the button) and slower/faster. It draws nothing for a
// live engine; the app's root also carries data-replay="true" (replayRootAttrs).
import { useEffect, useState } from 'react'
import type { GlobehopApi, ReplayStatus } from '../../../shared/contract'
import { isTypingTarget } from '../keys/stage-keys'
import { selectState } from '../store/engine-store'
import { useEngineStore } from '../store/use-engine-store'
import { bannerText, isPauseKey, livePosition, stepSpeed } from './replay-banner-model'
import './replay-banner.css'

const selectReplay = (s: Parameters<typeof selectState>[0]): ReplayStatus | null => selectState(s)?.replay ?? null
/** The recording stands in for a live tour (stage fallback): the banner says so and offers the way back. */
const selectFallback = (s: Parameters<typeof selectState>[0]): boolean => selectState(s)?.fallback?.active ?? false

export function ReplayBanner({ api }: { api: GlobehopApi }) {
  const replay = useEngineStore(api, selectReplay, Object.is)
  const fallback = useEngineStore(api, selectFallback, Object.is)
  // The position moves on from each status the engine sends, at its speed, until the next one.
  const [tick, setTick] = useState<{ r: ReplayStatus; ms: number } | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    if (!replay || replay.paused) return
    const at = performance.now()
    const t = setInterval(() => setTick({ r: replay, ms: livePosition(replay, at, performance.now()) }), 250)
    return () => clearInterval(t)
  }, [replay])

  const send = (args: Parameters<GlobehopApi['replay']>[0]) => {
    setError(null)
    api.replay(args).catch((err: Error) => setError(err.message))
  }
  const toggle = () => replay && send({ action: replay.paused ? 'resume' : 'pause' })

  useEffect(() => {
    if (!replay) return
    const onKey = (e: KeyboardEvent) => {
      if (!isPauseKey({ key: e.key, repeat: e.repeat, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, typing: isTypingTarget(e.target) })) return
      e.preventDefault()
      api.replay({ action: replay.paused ? 'resume' : 'pause' }).catch((err: Error) => setError(err.message))
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [api, replay])

  if (!replay) return null
  const position = tick?.r === replay ? tick.ms : replay.positionMs
  const slower = stepSpeed(replay.speed, -1)
  const faster = stepSpeed(replay.speed, 1)
  return (
    <div className="replay-banner" data-testid="replay-banner" data-paused={replay.paused} data-fallback={fallback} role="status" aria-live="off" title={replay.file}>
      <span className="replay-text" data-testid="replay-text">
        {bannerText(replay, position)}
        {fallback && ' · standing in for the live tour'}
      </span>
      <span className="replay-controls">
        <button type="button" onClick={() => slower !== null && send({ action: 'speed', speed: slower })} disabled={slower === null} aria-label="Slower">
          −
        </button>
        <button type="button" className="replay-toggle" data-testid="replay-toggle" onClick={toggle}>
          {replay.paused ? 'Resume (K)' : 'Pause (K)'}
        </button>
        <button type="button" onClick={() => faster !== null && send({ action: 'speed', speed: faster })} disabled={faster === null} aria-label="Faster">
          +
        </button>
        <button type="button" onClick={() => send({ action: 'seek', toMs: 0 })} title="Play from the start">
          Start
        </button>
        {fallback && (
          <button type="button" data-testid="fallback-live" onClick={() => api.fallback({ to: 'live' }).catch((err: Error) => setError(err.message))} title="Preflight, then the live tour again">
            Live (R)
          </button>
        )}
      </span>
      {error && <span className="replay-error">{error}</span>}
    </div>
  )
}

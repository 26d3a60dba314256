// The globe as the show: the game travels between hosts as its image travels (hop-motion.ts),
// the camera frames each hop (camera-frame.ts); the three.js scene lives in globe-scene.ts.
import { useEffect, useMemo, useRef } from 'react'
import type { StepEvent, TourView } from '../../../shared/contract'
import { detectDetail } from './detail'
import { GlobeScene } from './globe-scene'
import { hopMotion } from './hop-motion'
import './globe.css'

export interface GlobeProps {
  tour: TourView | null
  /** Where the engine says the container runs now. */
  currentHost: string | null
  /** Step events of the hop in progress, or of the last hop, in order. */
  steps: StepEvent[]
  /** A hop is under way (EngineState.hopRunning). */
  hopRunning: boolean
  /** The next destination of the tour, if any. */
  nextHost: string | null
  theme: 'dark' | 'light'
  variant: 'normal' | 'presenter'
}

export function Globe({ tour, currentHost, steps, hopRunning, nextHost, theme, variant }: GlobeProps) {
  const mount = useRef<HTMLDivElement>(null)
  const scene = useRef<GlobeScene | null>(null)
  const motion = useMemo(() => hopMotion({ tour, currentHost, steps, hopRunning, nextHost }), [tour, currentHost, steps, hopRunning, nextHost])

  useEffect(() => {
    const s = new GlobeScene(mount.current!, detectDetail())
    scene.current = s
    return () => {
      s.dispose()
      scene.current = null
    }
  }, [])

  useEffect(() => {
    scene.current?.update({ tour, currentHost, motion, nextHost, hopRunning, theme, variant })
  }, [tour, currentHost, motion, nextHost, hopRunning, theme, variant])

  return <div ref={mount} className="globe" data-testid="globe" data-theme={theme} data-variant={variant} />
}

// Wires stage-keys.ts to the window: one keydown listener, the action handed to `on`.
import { useEffect, useRef } from 'react'
import { isTypingTarget, stageKeyAction, type StageAction } from './stage-keys'

export function useStageKeys(blackout: boolean, on: (a: StageAction) => void): void {
  // The latest handler without re-subscribing on every render.
  const handler = useRef(on)
  useEffect(() => {
    handler.current = on
  })
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = isTypingTarget(e.target)
      const action = stageKeyAction({ key: e.key, repeat: e.repeat, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, typing }, { blackout })
      // Space/PageDown must not scroll the page, nor "click" a button that kept the focus after a
      // mouse click (a clicker's next would press it again).
      if (action) e.preventDefault()
      if (action === 'leave-field') {
        ;(e.target as HTMLElement).blur()
        return
      }
      if (action) handler.current(action)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [blackout])
}

// Where the ping graph's window ends. Live: the engine's "now" while the prober runs (the window
// slides), else the newest sample (a stopped run stays in view). A paused replay holds the edge
// where the pause found it: its samples stop coming but the page's clock goes on, and the window
// must not scroll the recorded run out of view. On resume the replay moves its times to the page's
// clock again (src/core/replay/player.ts) and the edge follows the clock from there.

export interface WindowRightInput {
  /** Date.now() plus the engine-minus-page clock offset. */
  engineNow: number
  /** The prober runs (probe state other than 'off'). */
  probing: boolean
  /** Send time of the newest sample, null before the first. */
  newestAt: number | null
  /** state.replay?.paused: a replay stands still. */
  paused: boolean
  /** The edge held since the pause was seen (this function's last `held`), or null. */
  held: number | null
}

export function windowRight(i: WindowRightInput): { right: number; held: number | null } {
  const moving = i.probing ? i.engineNow : (i.newestAt ?? i.engineNow)
  if (!i.paused) return { right: moving, held: null }
  const right = i.held ?? moving
  return { right, held: right }
}

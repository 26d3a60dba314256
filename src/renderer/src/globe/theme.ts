// Globe colours per theme, chosen for washed-out projectors: no dark blue on black, no
// low-opacity strokes; the game's marker changes colour and pulses with the hop's phase.
import type { HopPhase } from './hop-motion'

export interface GlobePalette {
  background: number
  ocean: number
  rim: number
  coast: number
  border: number
  leg: number
  next: number
  travelled: number
  host: number
  server: number
  frozen: number
  down: number
  back: number
}

export const PALETTES: Record<'dark' | 'light', GlobePalette> = {
  dark: {
    background: 0x06080c,
    ocean: 0x2a3d52,
    rim: 0x9fb6cc,
    coast: 0xd4ecff,
    border: 0x8ea8c2,
    leg: 0xe0a23a,
    next: 0xffd27a,
    travelled: 0xfff35c,
    host: 0xf4f7fb,
    server: 0x3dff8a,
    frozen: 0x5ee6ff,
    down: 0xff5252,
    back: 0xffa726,
  },
  light: {
    background: 0xf4f6f9,
    ocean: 0xc5d5e6,
    rim: 0x3a526b,
    coast: 0x10263d,
    border: 0x56708b,
    leg: 0xb45309,
    next: 0x9a3412,
    travelled: 0xc2185b,
    host: 0x111827,
    server: 0x0a8f47,
    frozen: 0x0369a1,
    down: 0xd31f1f,
    back: 0xc2410c,
  },
}

/** The game marker's colour for a phase, and whether it pulses (something players feel). */
export function serverLook(p: GlobePalette, phase: HopPhase): { color: number; pulse: boolean } {
  switch (phase) {
    case 'frozen':
      return { color: p.frozen, pulse: true }
    case 'restoring':
    case 'outage':
      return { color: p.down, pulse: true }
    case 'rolling-back':
      return { color: p.back, pulse: true }
    case 'failed':
      return { color: p.down, pulse: false }
    default:
      return { color: p.server, pulse: false }
  }
}

// Helpers for tests that need the lab (the `lab` vitest project brings it up in global setup).
import { FLOATING_IP, GAME_PORT, labRequirements, labTourPath } from '../src/core/lab/index'
import { GameTestClient, type TestClientOptions } from '../src/core/lab/test-client'
import { resetGame } from '../src/core/lab/reset'
import { readState } from '../src/core/lab/state'
import { labIsUp } from '../src/core/lab/up'

export function labForTests(): { available: boolean; reason: string; tourPath: string } {
  const why = labRequirements()
  if (why) return { available: false, reason: why, tourPath: labTourPath() }
  if (!labIsUp(readState())) return { available: false, reason: 'the lab is not up (the lab project global setup did not run or failed)', tourPath: labTourPath() }
  return { available: true, reason: '', tourPath: labTourPath() }
}

/** Game on the tour's first host, floating IP owned by it, no game container elsewhere. */
export function labResetGame(): Promise<void> {
  return resetGame()
}

/** A scripted game client holding a player slot on the lab's game (at the floating IP); close() it. */
export async function connectTestClient(name: string, opts: TestClientOptions = {}): Promise<GameTestClient> {
  const c = new GameTestClient(opts)
  await c.connect(FLOATING_IP, GAME_PORT, name)
  return c
}

// What a UI host (the browser host, Electron's IPC) needs of an engine: the live Engine and the
// ReplayEngine both answer the same contract, so every host serves either.
import type { AnyEvent, CommandName, CommandResult } from '../shared/contract'

export interface EngineLike {
  /** Validates args, runs the command, validates the result; throws CommandError for the user to read. */
  handle<K extends CommandName>(name: K, rawArgs: unknown): Promise<CommandResult<K>>
  /** Every contract event; returns the unsubscribe function. */
  onEvent(listener: (event: AnyEvent) => void): () => void
  close(): Promise<void>
}

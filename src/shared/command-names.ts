// The command names alone, without zod, so the sandboxed preload stays a few hundred bytes.
// contract.ts checks at compile time that this list and its `commands` map agree.
export const COMMAND_NAMES = ['getState', 'getHistory', 'loadTour', 'connect', 'preflight', 'hop', 'tour', 'next', 'cancel', 'replay', 'recordings', 'deleteRecording', 'exportRun', 'fallback'] as const
export type CommandNameList = (typeof COMMAND_NAMES)[number]

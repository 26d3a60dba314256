// Plays a recording through the contract, so every UI host shows a recorded run with the same code
// as a live one (player.ts keeps the timeline). getState and getHistory answer from what was
// played so far, so a page opened mid-replay is in step. Nothing reaches any host: commands that
// would act are refused with what this is.
import type { z } from 'zod'
import { commands, type CommandName, type CommandResult, type EngineState, type RunHistory } from '../../shared/contract'
import { recordedAtText } from '../../shared/replay-text'
import { commandArgs, CommandError } from '../engine'
import type { EngineLike } from '../engine-like'
import { EventHub, type EventListener } from '../event-hub'
import { deleteRecording, listRecordings } from '../recording/catalog'
import { exportFile, type ExportKind } from '../recording/export-file'
import { recordingsDir } from '../recording/paths'
import { readRecording, type Recording } from '../recording/reader'
import { ReplayPlayer, type ReplayOptions as PlayerOptions } from './player'

export interface ReplayOptions extends PlayerOptions {
  /** Where the Recordings panel lists and deletes (default recordingsDir()). */
  recordingsDir?: string
}

type ReplayArgs = z.infer<(typeof commands)['replay']['args']>

const ACTING: ReadonlySet<CommandName> = new Set(['loadTour', 'connect', 'preflight', 'hop', 'tour', 'next'])

export class ReplayEngine implements EngineLike {
  private readonly hub = new EventHub('replay')
  private readonly player: ReplayPlayer
  private waitingForPage: boolean
  private readonly dir: string

  static open(file: string, opts: ReplayOptions = {}): ReplayEngine {
    return new ReplayEngine(readRecording(file), opts)
  }

  constructor(
    private readonly rec: Recording,
    opts: ReplayOptions = {},
  ) {
    this.player = new ReplayPlayer(rec, opts, (e) => this.hub.publish(e))
    this.waitingForPage = opts.start === 'first-page'
    this.dir = opts.recordingsDir ?? recordingsDir()
    if ((opts.start ?? 'now') === 'now') this.player.play()
  }

  get file(): string {
    return this.rec.file
  }

  get durationMs(): number {
    return this.player.durationMs
  }

  state(): EngineState {
    return this.player.state()
  }

  history(): RunHistory {
    return this.player.history()
  }

  /** Where the replay is now, ms from the recording's start. */
  position(): number {
    return this.player.position()
  }

  onEvent(listener: EventListener): () => void {
    return this.hub.onEvent(listener)
  }

  async handle<K extends CommandName>(name: K, rawArgs: unknown): Promise<CommandResult<K>> {
    return commands[name].result.parse(this.run(name, commandArgs(name, rawArgs))) as CommandResult<K>
  }

  private run(name: CommandName, args: Record<string, unknown>): unknown {
    if (ACTING.has(name)) {
      throw new CommandError('replay', `this is a replay of ${this.rec.file} recorded ${recordedAtText(this.rec.header.startedAt)}: nothing runs on any host`)
    }
    switch (name) {
      case 'getState':
        return this.player.state()
      case 'getHistory':
        if (this.waitingForPage) {
          this.waitingForPage = false
          this.player.play()
        }
        return this.player.history()
      case 'cancel':
        return { cancelled: false, detail: 'nothing runs: this is a replay' }
      case 'replay':
        this.control(args as ReplayArgs)
        return this.player.state()
      case 'recordings':
        return listRecordings(this.dir)
      case 'deleteRecording':
        // The file on screen stays: it is read whole already, but it is what the banner names.
        return deleteRecording(this.dir, args.name as string, this.rec.file)
      case 'exportRun':
        return exportFile(this.rec, args.kind as ExportKind)
    }
    throw new CommandError('unknown-command', `unknown command "${name}"`)
  }

  private control(a: ReplayArgs): void {
    const p = this.player
    this.waitingForPage = false
    switch (a.action) {
      case 'pause':
        return p.pause()
      case 'resume':
        // At the end, resume plays it again from the start.
        if (p.ended) p.seekTo(0, 0)
        return p.play()
      case 'seek':
        if (a.hop === undefined) return p.seekMs(a.toMs ?? 0)
        if (a.hop > p.hopCount) throw new CommandError('bad-args', `replay: hop ${a.hop}: the recording holds ${p.hopCount} hop(s)`)
        return p.seekHop(a.hop)
      case 'speed':
        return p.setSpeed(a.speed!)
    }
  }

  async close(): Promise<void> {
    this.player.stop()
    this.hub.clear()
  }
}

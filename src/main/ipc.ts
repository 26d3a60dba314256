// Wires the contract to Electron IPC: one channel per command, one channel for events.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron'
import { COMMAND_NAMES } from '../shared/command-names'
import { commandChannel, EVENT_CHANNEL } from '../shared/channels'
import { serializeError } from '../shared/wire'
import type { EngineLike } from '../core/engine-like'


/** Only our own renderer may call the engine (Electron security checklist: validate every IPC sender). */
export function wireIpc(engine: EngineLike, contents: WebContents, isTrustedUrl: (url: string) => boolean): () => void {
  for (const name of COMMAND_NAMES) {
    ipcMain.handle(commandChannel(name), async (event: IpcMainInvokeEvent, args: unknown) => {
      const url = event.senderFrame?.url ?? ''
      if (event.sender !== contents || !isTrustedUrl(url)) return { ok: false, error: { code: 'forbidden', message: `IPC from untrusted frame ${url}` } }
      try {
        return { ok: true, result: await engine.handle(name, args) }
      } catch (err) {
        return { ok: false, error: serializeError(err) }
      }
    })
  }
  const off = engine.onEvent((e) => {
    if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, e)
  })
  return () => {
    off()
    for (const name of COMMAND_NAMES) ipcMain.removeHandler(commandChannel(name))
  }
}

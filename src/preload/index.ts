// Exposes one function per contract command plus an event subscription, nothing else.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { commandChannel, EVENT_CHANNEL } from '../shared/channels'
import { COMMAND_NAMES } from '../shared/command-names'
import type { AnyEvent, GlobehopApi, WireError } from '../shared/contract'

type Reply = { ok: true; result: unknown } | { ok: false; error: WireError }

const api: Record<string, unknown> = {}
for (const name of COMMAND_NAMES) {
  api[name] = async (args: unknown) => {
    const reply = (await ipcRenderer.invoke(commandChannel(name), args ?? {})) as Reply
    if (reply.ok) return reply.result
    // Plain object errors keep their text across contextBridge; the renderer wraps them.
    throw Object.assign(new Error(reply.error.message), { code: reply.error.code })
  }
}
api.onEvent = (listener: (e: AnyEvent) => void) => {
  const handler = (_: IpcRendererEvent, e: AnyEvent) => listener(e)
  ipcRenderer.on(EVENT_CHANNEL, handler)
  return () => ipcRenderer.removeListener(EVENT_CHANNEL, handler)
}

contextBridge.exposeInMainWorld('globehop', api as GlobehopApi)

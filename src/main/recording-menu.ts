// The app menu as data: File > Open Recording… (CmdOrCtrl+O) beside Electron's usual Edit, View
// (reload, zoom, full screen: the F11 the F key points to) and Window menus. Pure: no electron
// import at run time, so unit tests read it.
import type { MenuItemConstructorOptions, OpenDialogOptions } from 'electron'

export const OPEN_RECORDING_LABEL = 'Open Recording…'
export const OPEN_RECORDING_ACCELERATOR = 'CmdOrCtrl+O'

export function appMenuTemplate(openRecording: () => void, platform: NodeJS.Platform): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin'
  return [
    ...(mac ? [{ role: 'appMenu' } as const] : []),
    {
      label: 'File',
      submenu: [{ label: OPEN_RECORDING_LABEL, accelerator: OPEN_RECORDING_ACCELERATOR, click: () => openRecording() }, { type: 'separator' }, mac ? { role: 'close' } : { role: 'quit' }],
    },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ]
}

/** The file dialog: one recording (.jsonl), starting in the recordings folder. */
export function openRecordingDialog(recordingsFolder: string): OpenDialogOptions {
  return {
    title: 'Open a globehop recording',
    buttonLabel: 'Replay',
    defaultPath: recordingsFolder,
    properties: ['openFile'],
    filters: [{ name: 'globehop recordings', extensions: ['jsonl'] }],
  }
}

// Opening a recording in the window: File > Open Recording… (CmdOrCtrl+O) and a .jsonl dropped on
// the window (policy.ts droppedRecording, from the navigation the drop causes) both end in `open`,
// which swaps what the window shows to a replay. A file that cannot be read says why in a dialog.
import { dialog, Menu, type BrowserWindow } from 'electron'
import { recordingsDir } from '../core/recording/paths'
import { appMenuTemplate, openRecordingDialog } from './recording-menu'

/** Sets the app menu; answers the function a drop calls with the dropped file. */
export function installRecordingOpener(win: BrowserWindow, open: (file: string) => Promise<void>): (file: string) => void {
  const openFile = (file: string) => {
    open(file).catch((err: Error) => dialog.showErrorBox('globehop: cannot open the recording', `${file}\n\n${err.message}`))
  }
  const ask = async () => {
    const r = await dialog.showOpenDialog(win, openRecordingDialog(recordingsDir()))
    if (!r.canceled && r.filePaths[0]) openFile(r.filePaths[0])
  }
  Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate(() => void ask(), process.platform)))
  return openFile
}

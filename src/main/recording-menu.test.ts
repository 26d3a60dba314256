import { describe, expect, it } from 'vitest'
import { appMenuTemplate, openRecordingDialog, OPEN_RECORDING_LABEL } from './recording-menu'

describe('the app menu', () => {
  it('File > Open Recording… on CmdOrCtrl+O opens the dialog; Edit, View (full screen) and Window stay', () => {
    let opened = 0
    const menu = appMenuTemplate(() => opened++, 'linux')
    const file = menu.find((m) => m.label === 'File')!
    const item = (file.submenu as { label?: string; accelerator?: string; click?: () => void }[]).find((i) => i.label === OPEN_RECORDING_LABEL)!
    expect(item.accelerator).toBe('CmdOrCtrl+O')
    item.click!()
    expect(opened).toBe(1)
    expect(menu.map((m) => m.role ?? m.label)).toEqual(['File', 'editMenu', 'viewMenu', 'windowMenu'])
    expect(appMenuTemplate(() => {}, 'darwin')[0]!.role).toBe('appMenu')
  })

  it('the dialog picks one .jsonl from the recordings folder', () => {
    expect(openRecordingDialog('/r')).toMatchObject({ defaultPath: '/r', properties: ['openFile'], filters: [{ extensions: ['jsonl'] }] })
  })
})

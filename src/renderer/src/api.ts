// The renderer's one door to the engine. In Electron the preload put it on window.globehop; in a
// plain browser the same contract runs over the browser host's WebSocket. Nothing else here knows.
import type { GlobehopApi } from '../../shared/contract'
import { WS_PATH } from '../../shared/wire'
import { createWsApi, takeToken } from './ws-api'

declare global {
  interface Window {
    globehop?: GlobehopApi
  }
}

export const api: GlobehopApi = window.globehop ?? createWsApi(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${WS_PATH}`, takeToken())

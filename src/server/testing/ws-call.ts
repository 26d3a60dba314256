// One contract command over a real WebSocket, answered by its result (the server tests share it).
import type WebSocket from 'ws'
import type { ServerMessage } from '../../shared/wire'

export function call(ws: WebSocket, id: number, command: string, args: unknown): Promise<ServerMessage & { type: 'result' }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString()) as ServerMessage
      if (msg.type === 'result' && msg.id === id) {
        ws.off('message', onMessage)
        resolve(msg)
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({ id, command, args }))
  })
}

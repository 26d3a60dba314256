// A UDP stand-in for the game server on loopback for unit tests: answers DarkPlaces getstatus
// (challenge echoed) while `answering()` says so, with bots whose frags grow over time.
import { createSocket, type Socket } from 'node:dgram'

export class FakeGame {
  private sock: Socket | null = null
  port = 0
  frags = 3
  constructor(private readonly answering: () => boolean) {}

  async start(): Promise<number> {
    const sock = createSocket('udp4')
    this.sock = sock
    sock.on('message', (msg, rinfo) => {
      const text = msg.subarray(4).toString('latin1')
      const m = /^getstatus (\S+)/.exec(text)
      if (!m || !this.answering()) return
      this.frags++
      const body = `statusResponse\n\\gamename\\Nexuiz\\mapname\\dieselpower\\clients\\2\\bots\\2\\sv_maxclients\\8\\challenge\\${m[1]}\n${this.frags} 0 "[BOT]Eureka"\n${this.frags - 2} 0 "[BOT]Dominator"\n`
      sock.send(Buffer.concat([Buffer.from([255, 255, 255, 255]), Buffer.from(body, 'latin1')]), rinfo.port, rinfo.address)
    })
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()))
    this.port = sock.address().port
    return this.port
  }

  stop(): void {
    this.sock?.close()
  }
}

// Nothing leaves the machine before the user acts: loading a tour sends no packet; Connect starts
// the prober. Real UDP: a listener stands where the tour's game would be.
import dgram from 'node:dgram'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import net, { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { resourcePath } from './tour/default'
import { Engine } from './engine'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A tour whose game is at 127.0.0.2:port and whose SSH hosts refuse at once (port 1). */
function tourAt(port: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gh-connect-'))
  const file = path.join(dir, 'tour.yaml')
  const host = (name: string, lat: number) => `  - { name: ${name}, label: ${name}, lat: ${lat}, lon: 0, ssh: { host: 127.0.0.1, port: 1 } }`
  writeFileSync(
    file,
    [
      'name: Connect test',
      'hosts:',
      host('a', 10),
      host('b', 20),
      'container: { id: game, bundle: /var/lib/globehop/bundles/game, gamePort: ' + port + ' }',
      'floatingIp: { address: 127.0.0.2, method: manual }',
      'hops: [a, b]',
      '',
    ].join('\n'),
  )
  return file
}

describe('engine: probing starts on Connect, not on load', () => {
  it('a loaded tour sends no probe until connect; then probes arrive at the floating IP', async () => {
    const game = dgram.createSocket('udp4')
    const received: string[] = []
    game.on('message', (m) => received.push(m.toString('latin1')))
    await new Promise<void>((r) => game.bind(0, '127.0.0.2', r))
    cleanups.push(() => new Promise<void>((r) => game.close(() => r())))

    const engine = new Engine({ host: 'browser', version: 'test' })
    cleanups.push(() => engine.close())
    await engine.loadTour(tourAt((game.address() as AddressInfo).port))
    // 20 Hz by default: a started prober would have sent ~15 probes by now.
    await sleep(800)
    expect(received).toEqual([])

    // SSH to port 1 is refused, but the user pressed Connect: the prober runs regardless.
    await expect(engine.handle('connect', {})).rejects.toMatchObject({ code: 'connect-failed' })
    await vi.waitFor(() => expect(received.filter((m) => m === '\xff\xff\xff\xffping').length).toBeGreaterThan(3), { timeout: 3000 })
  })

  it('loading the shipped world tour (documentation addresses) opens no socket and sends nothing', async () => {
    const sends = vi.spyOn(dgram.Socket.prototype, 'send')
    const connects = vi.spyOn(net.Socket.prototype, 'connect')
    cleanups.push(() => {
      sends.mockRestore()
      connects.mockRestore()
    })
    const engine = new Engine({ host: 'browser', version: 'test' })
    cleanups.push(() => engine.close())
    await engine.loadTour(resourcePath('tours', 'world.yaml'))
    expect(engine.state().tour?.floatingIp).toMatch(/^203\.0\.113\./)
    await engine.handle('getState', {})
    await sleep(500)
    expect(sends).not.toHaveBeenCalled()
    expect(connects).not.toHaveBeenCalled()
  })
})

describe('engine: Cancel ends a pending Connect at once', () => {
  it('hosts that accept TCP but never answer SSH: cancel returns at once, connect rejects "cancelled", hosts go back to idle', async () => {
    // A listener that takes the connection and says nothing: ssh2 would wait for its ready timeout.
    const held: net.Socket[] = []
    const mute = net.createServer((s) => held.push(s))
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r))
    cleanups.push(() => new Promise<void>((r) => (held.forEach((s) => s.destroy()), mute.close(() => r()))))
    const port = (mute.address() as AddressInfo).port
    const file = tourAt(9)
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll('port: 1 }', `port: ${port} }`))

    const engine = new Engine({ host: 'browser', version: 'test', probe: false })
    cleanups.push(() => engine.close())
    await engine.loadTour(file)
    const connecting = engine.handle('connect', {})
    const outcome = connecting.then(
      () => 'resolved',
      (e: { code?: string }) => e.code,
    )
    await vi.waitFor(() => expect(engine.state().tour!.hosts.every((h) => h.conn === 'connecting')).toBe(true), { timeout: 3000 })
    const t0 = Date.now()
    const r = await engine.handle('cancel', {})
    expect(r.cancelled).toBe(true)
    expect(r.detail).toMatch(/connect cancelled; a, b were still connecting/)
    expect(await outcome).toBe('cancelled')
    expect(Date.now() - t0).toBeLessThan(500)
    expect(engine.state().tour!.hosts.map((h) => [h.conn, h.connDetail])).toEqual([
      ['idle', 'connect cancelled'],
      ['idle', 'connect cancelled'],
    ])
    // Nothing left to cancel afterwards.
    expect((await engine.handle('cancel', {})).cancelled).toBe(false)
  })
})

import { describe, expect, it } from 'vitest'
import { Limiter } from './limiter'
import { LineSplitter } from './lines'

function split(chunks: (string | Buffer)[]): string[] {
  const out: string[] = []
  const s = new LineSplitter((l) => out.push(l))
  for (const c of chunks) s.push(c)
  s.end()
  return out
}

describe('LineSplitter', () => {
  it('splits on \\n, \\r\\n and bare \\r, across chunk boundaries', () => {
    expect(split(['a\nb', 'c\r\nd\re', '\r', '\nf'])).toEqual(['a', 'bc', 'd', 'e', 'f'])
    expect(split(['x\r', '\r\n'])).toEqual(['x', ''])
    expect(split(['\n\n'])).toEqual(['', ''])
    expect(split(['no newline'])).toEqual(['no newline'])
  })
  it('does not break multi-byte characters split between chunks', () => {
    const b = Buffer.from('日本\n')
    expect(split([b.subarray(0, 2), b.subarray(2, 4), b.subarray(4)])).toEqual(['日本'])
  })
})

describe('Limiter', () => {
  it('never lets more than max run and serves waiters in order', async () => {
    const lim = new Limiter(3)
    let running = 0
    let peak = 0
    const order: number[] = []
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const release = await lim.acquire()
        running++
        peak = Math.max(peak, running)
        order.push(i)
        await new Promise((r) => setTimeout(r, 5))
        running--
        release()
        release() // a second release is a no-op
      }),
    )
    expect(peak).toBe(3)
    expect(lim.stats).toEqual({ active: 0, queued: 0, peak: 3 })
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })
})

// Reads a tour file's text: a regular file under the size cap, checked before a byte is read
// (a 60 MB tour once took 53 s and 2.1 GB), and valid UTF-8, refused at the line holding the bad byte.
import { constants } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { parseDocument } from 'yaml'
import { TOUR_LIMITS, type TourProblem } from '../../shared/tour'
import { prescan } from './prescan'
import { lineColumn, TourError } from './problems'
import { fieldAt } from './yaml-guard'

const refuse = (file: string, message: string): TourError => new TourError([{ file, line: 0, column: 0, field: '', message }])

export async function readTourText(file: string): Promise<string> {
  const cap = TOUR_LIMITS.fileBytes
  let bytes: Buffer
  try {
    // stat first: open() on a FIFO would block, and /dev/zero reports size 0.
    const st = await stat(file)
    if (!st.isFile()) throw refuse(file, 'not a regular file')
    if (st.size > cap) throw refuse(file, `the file is ${st.size} bytes; a tour file may be at most ${cap} bytes`)
    const fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK)
    try {
      // The file may have grown since stat: never read more than one byte past the cap.
      const buf = Buffer.alloc(cap + 1)
      let n = 0
      for (let r = 1; r > 0 && n < buf.length; n += r) r = (await fh.read(buf, n, buf.length - n, null)).bytesRead
      if (n > cap) throw refuse(file, `the file grew past ${cap} bytes while it was read`)
      bytes = buf.subarray(0, n)
    } finally {
      await fh.close()
    }
  } catch (err) {
    if (err instanceof TourError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw refuse(file, code === 'ENOENT' ? 'file not found' : `cannot read: ${(err as Error).message}`)
  }
  return decodeUtf8(bytes, file)
}

export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw new TourError([invalidUtf8(bytes, file)])
  }
}

/** Where the first invalid sequence starts, and which field holds it (read from a lossy decoding). */
function invalidUtf8(bytes: Uint8Array, file: string): TourProblem {
  // The longest prefix that decodes (an unfinished sequence at its end is allowed in stream mode).
  let lo = 0
  let hi = bytes.length
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true })
      lo = mid
    } catch {
      hi = mid - 1
    }
  }
  const valid = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, lo), { stream: true })
  const { line, column } = lineColumn(valid, valid.length)
  const lossy = new TextDecoder('utf-8').decode(bytes)
  const field = prescan(lossy, file).length === 0 ? fieldAt(parseDocument(lossy, { uniqueKeys: false }), valid.length) : ''
  return { file, line, column, field, message: 'invalid UTF-8: a tour file must be UTF-8 text' }
}

// Splits a byte stream into text lines as it arrives. A line ends at `\n`, `\r\n` or a bare `\r`:
// progress bars (rsync --info=progress2) redraw with `\r`, and each redraw is worth a line.
import { StringDecoder } from 'node:string_decoder'

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8')
  private partial = ''
  // A `\r` ended the last line; a `\n` right after it belongs to the same terminator.
  private afterCR = false

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk)
    let start = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 10 /* \n */) {
        if (this.afterCR && i === start && this.partial === '') {
          start = i + 1
          this.afterCR = false
          continue
        }
        this.emit(text.slice(start, i))
        start = i + 1
        this.afterCR = false
      } else if (c === 13 /* \r */) {
        this.emit(text.slice(start, i))
        start = i + 1
        this.afterCR = true
      } else {
        this.afterCR = false
      }
    }
    this.partial += text.slice(start)
  }

  /** Flushes a last line that had no terminator. */
  end(): void {
    const rest = this.partial + this.decoder.end()
    this.partial = ''
    if (rest !== '') this.onLine(rest)
  }

  private emit(tail: string): void {
    const line = this.partial + tail
    this.partial = ''
    this.onLine(line)
  }
}

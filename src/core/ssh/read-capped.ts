// Reads the small local files the SSH layer trusts (private keys, known_hosts, ~/.ssh/config)
// with a size cap, after checking they are regular files. A tour names these paths: one saying
// `identityFile: /dev/zero` grew the process to 21.8 GB, and a FIFO or a device would block or
// stream forever. The check is made on the opened descriptor (fstat), so the file read is the
// file checked; O_NONBLOCK keeps the open itself from waiting for a FIFO's writer.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs'
import { open } from 'node:fs/promises'

export const MAX_KEY_FILE = 64 * 1024
export const MAX_KNOWN_HOSTS = 4 * 1024 * 1024
export const MAX_SSH_CONFIG = 1024 * 1024

/** A file that is there but not fit to read: not regular, or too big. `code` is like fs errors'. */
export class UnfitFileError extends Error {
  readonly code = 'EUNFIT'
}

const CHUNK = 64 * 1024
const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY

function check(st: Stats, label: string, what: string, file: string, max: number): void {
  if (!st.isFile()) throw new UnfitFileError(`${label}: ${what} ${file} is not a regular file`)
  if (st.size > max) throw new UnfitFileError(`${label}: ${what} ${file} is ${st.size} bytes, more than the ${max} allowed`)
}

function tooBig(label: string, what: string, file: string, max: number): UnfitFileError {
  return new UnfitFileError(`${label}: ${what} ${file} grew past the ${max} bytes allowed while being read`)
}

/**
 * The file's bytes, if it is a regular file of at most `max` bytes. `label` (the host) and
 * `what` ("identity file") start the refusal. fs errors (ENOENT, EACCES) pass through as they are.
 */
export async function readCapped(label: string, what: string, file: string, max: number): Promise<Buffer> {
  const fh = await open(file, FLAGS)
  try {
    check(await fh.stat(), label, what, file, max)
    const chunks: Buffer[] = []
    let n = 0
    for (;;) {
      const { bytesRead, buffer } = await fh.read(Buffer.alloc(CHUNK), 0, CHUNK, null)
      if (bytesRead === 0) break
      chunks.push(buffer.subarray(0, bytesRead))
      n += bytesRead
      // A file that grew past the cap since fstat is refused, not truncated.
      if (n > max) throw tooBig(label, what, file, max)
    }
    return Buffer.concat(chunks, n)
  } finally {
    await fh.close()
  }
}

/** readCapped for synchronous callers (loading ~/.ssh/config). */
export function readCappedSync(label: string, what: string, file: string, max: number): Buffer {
  const fd = openSync(file, FLAGS)
  try {
    check(fstatSync(fd), label, what, file, max)
    const chunks: Buffer[] = []
    let n = 0
    for (;;) {
      const buf = Buffer.alloc(CHUNK)
      const got = readSync(fd, buf, 0, CHUNK, null)
      if (got === 0) break
      chunks.push(buf.subarray(0, got))
      n += got
      if (n > max) throw tooBig(label, what, file, max)
    }
    return Buffer.concat(chunks, n)
  } finally {
    closeSync(fd)
  }
}

// Just enough protobuf wire format to read CRIU's small images: varints and skipping.
// Wire format: https://protobuf.dev/programming-guides/encoding/ (tag = field << 3 | wire type).

export interface ProtoField {
  field: number
  wireType: number
  /** Set for varint (0), fixed64 (1) and fixed32 (5) fields. */
  value?: bigint
  /** Set for length-delimited (2) fields: nested messages, strings, bytes. */
  bytes?: Buffer
}

export class ProtoError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ProtoError'
  }
}

function readVarint(buf: Buffer, pos: number, what: string): [bigint, number] {
  let result = 0n
  for (let i = 0; i < 10; i++) {
    if (pos + i >= buf.length) throw new ProtoError(`truncated varint in ${what} at byte ${pos}`)
    const b = buf[pos + i]!
    result |= BigInt(b & 0x7f) << BigInt(7 * i)
    if ((b & 0x80) === 0) return [result, pos + i + 1]
  }
  throw new ProtoError(`varint longer than 10 bytes in ${what} at byte ${pos}`)
}

/** Every field of one message, in order. `what` names the message in errors. */
export function readFields(buf: Buffer, what: string): ProtoField[] {
  const out: ProtoField[] = []
  let pos = 0
  while (pos < buf.length) {
    const [tag, afterTag] = readVarint(buf, pos, what)
    pos = afterTag
    const field = Number(tag >> 3n)
    const wireType = Number(tag & 7n)
    if (field === 0) throw new ProtoError(`field number 0 in ${what} at byte ${pos}`)
    switch (wireType) {
      case 0: {
        const [value, next] = readVarint(buf, pos, what)
        out.push({ field, wireType, value })
        pos = next
        break
      }
      case 1:
      case 5: {
        const n = wireType === 1 ? 8 : 4
        if (pos + n > buf.length) throw new ProtoError(`truncated fixed${n * 8} field ${field} in ${what}`)
        out.push({ field, wireType, value: n === 8 ? buf.readBigUInt64LE(pos) : BigInt(buf.readUInt32LE(pos)) })
        pos += n
        break
      }
      case 2: {
        const [len, start] = readVarint(buf, pos, what)
        const end = start + Number(len)
        if (end > buf.length) throw new ProtoError(`field ${field} in ${what} claims ${len} bytes but only ${buf.length - start} remain`)
        out.push({ field, wireType, bytes: buf.subarray(start, end) })
        pos = end
        break
      }
      default:
        // 3/4 are the long-deprecated groups; 6/7 do not exist. CRIU uses neither.
        throw new ProtoError(`unsupported wire type ${wireType} for field ${field} in ${what}`)
    }
  }
  return out
}

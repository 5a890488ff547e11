/**
 * Messages between instances, published on the receiving instance's Redis channel. Pipe data is
 * binary (`[0][link u32][binary u8][payload]`, the payload never copied, see publish.ts); everything else
 * is `[1][JSON]`, validated on arrival: a malformed message is dropped with a log line, never thrown.
 * Pure: bytes in, a typed message or null out.
 */
import * as v from 'valibot'

const DATA = 0
const CONTROL = 1

const Id = v.pipe(v.string(), v.maxLength(256))
const Ids = v.pipe(v.array(Id), v.maxLength(1024))
const Link = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff))

const ControlSchema = v.variant('k', [
  /** Introduce `from` to our local peer `to`. Published by Redis itself, from the JOIN script (scripts.ts). */
  v.object({ k: v.literal('intro'), to: Id, from: Id, docs: Ids }),
  /** Our peer `peer` was taken over by its token on another instance. */
  v.object({ k: v.literal('evict'), peer: Id }),
  /** Instance `from` holds the partner of our waiting side `key`; its end is link `link`. */
  v.object({ k: v.literal('pair'), from: Id, key: v.pipe(v.string(), v.maxLength(400)), link: Link }),
  /** Our link `link` is paired with link `peer` of instance `from`. */
  v.object({ k: v.literal('paired'), from: Id, link: Link, peer: Link }),
  /** Link `link`'s other end closed. */
  v.object({
    k: v.literal('close'),
    link: Link,
    code: v.number(),
    reason: v.pipe(v.string(), v.maxLength(123)),
  }),
  /** The other end of link `link` wrote `bytes` more to its socket: that many credits back. */
  v.object({ k: v.literal('ack'), link: Link, bytes: v.pipe(v.number(), v.minValue(0)) }),
])

export type Control = v.InferOutput<typeof ControlSchema>

export type BusMessage =
  { kind: 'data'; link: number; isBinary: boolean; payload: Buffer } | { kind: 'control'; control: Control }

/** Header of a data message, `[0][link u32][binary u8]`; the payload follows it (see publish.ts). */
export const DATA_HEADER_BYTES = 6

export function encodeDataHeader(link: number, isBinary: boolean, target: Buffer, offset: number): void {
  target[offset] = DATA
  target.writeUInt32BE(link, offset + 1)
  target[offset + 5] = isBinary ? 1 : 0
}

export function encodeControl(control: Control): Buffer {
  return Buffer.concat([Buffer.from([CONTROL]), Buffer.from(JSON.stringify(control))])
}

export function decodeBusMessage(message: Buffer): BusMessage | null {
  if (message.length === 0) return null
  if (message[0] === DATA) {
    if (message.length < 6) return null
    return {
      kind: 'data',
      link: message.readUInt32BE(1),
      isBinary: message[5] === 1,
      payload: message.subarray(6),
    }
  }
  if (message[0] !== CONTROL) return null
  let json: unknown
  try {
    json = JSON.parse(message.subarray(1).toString('utf8'))
  } catch {
    return null
  }
  const parsed = v.safeParse(ControlSchema, json)
  return parsed.success ? { kind: 'control', control: parsed.output } : null
}

/**
 * The direct link between two instances (direct.ts): a TCP connection that carries pipe frames one way,
 * from the instance that dialed to the one that listens, without passing through Redis.
 *
 * Handshake, mutual, by a secret both instances have from the environment (`CLUSTER_SECRET`):
 * 1. listener → dialer: `THD1` + 32-byte nonce N1;
 * 2. dialer → listener: [id length u8][dialer id][32-byte nonce N2][HMAC(secret, 'dial', N1, dialer, listener)];
 * 3. listener → dialer: HMAC(secret, 'accept', N2, listener, dialer).
 * Each proof names both instances and answers a fresh nonce, so it cannot be replayed to another
 * connection or reflected to another instance. Nothing else is read before step 2 checks out.
 *
 * Then, dialer → listener only, frames `[kind u8][link u32][length u32][payload]`: pipe data (binary or
 * text), a pipe's close (`[code u16][reason utf8]`) and credits back (`[bytes u32]`).
 * Pure: bytes in, typed values or a typed error out; no sockets here.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

export const MAGIC = Buffer.from('THD1', 'latin1')
export const NONCE_BYTES = 32
export const MAC_BYTES = 32
export const CHALLENGE_BYTES = MAGIC.length + NONCE_BYTES
/** The longest dial message: an instance id of up to 255 bytes. */
export const DIAL_MAX_BYTES = 1 + 255 + NONCE_BYTES + MAC_BYTES
export const HEADER_BYTES = 9

export const Kind = { Binary: 0, Text: 1, Close: 2, Ack: 3 } as const
export type Kind = (typeof Kind)[keyof typeof Kind]

function mac(secret: string, label: string, nonce: Buffer, first: string, second: string): Buffer {
  return createHmac('sha256', secret).update(label).update(nonce).update(`\0${first}\0${second}`).digest()
}

export function challenge(nonce: Buffer): Buffer {
  return Buffer.concat([MAGIC, nonce])
}

/** The dialer's answer to `challengeBytes`, for the instance it meant to reach. */
export function dial(
  secret: string,
  challengeBytes: Buffer,
  dialer: string,
  listener: string,
  nonce: Buffer,
): Buffer | null {
  if (challengeBytes.length !== CHALLENGE_BYTES || !challengeBytes.subarray(0, MAGIC.length).equals(MAGIC))
    return null
  const id = Buffer.from(dialer, 'utf8')
  if (id.length === 0 || id.length > 255) return null
  const proof = mac(secret, 'dial', challengeBytes.subarray(MAGIC.length), dialer, listener)
  return Buffer.concat([Buffer.from([id.length]), id, nonce, proof])
}

export type DialCheck =
  | { kind: 'more' }
  | { kind: 'refused'; reason: string }
  | { kind: 'accepted'; dialer: string; answer: Buffer; rest: Buffer }

/** The listener reads the dial message (`received` so far) against the nonce it sent. */
export function checkDial(secret: string, received: Buffer, nonce: Buffer, listener: string): DialCheck {
  if (received.length === 0) return { kind: 'more' }
  const idLength = received[0] as number
  if (idLength === 0) return { kind: 'refused', reason: 'empty instance id' }
  const total = 1 + idLength + NONCE_BYTES + MAC_BYTES
  if (received.length < total) return { kind: 'more' }
  const dialer = received.subarray(1, 1 + idLength).toString('utf8')
  const theirNonce = received.subarray(1 + idLength, 1 + idLength + NONCE_BYTES)
  const proof = received.subarray(1 + idLength + NONCE_BYTES, total)
  if (!timingSafeEqual(proof, mac(secret, 'dial', nonce, dialer, listener)))
    return { kind: 'refused', reason: 'wrong proof of the shared secret' }
  return {
    kind: 'accepted',
    dialer,
    answer: mac(secret, 'accept', theirNonce, listener, dialer),
    rest: received.subarray(total),
  }
}

/** The dialer checks the listener's answer: it knows the secret and is the instance it meant. */
export function checkAccept(
  secret: string,
  answer: Buffer,
  nonce: Buffer,
  dialer: string,
  listener: string,
): boolean {
  return (
    answer.length === MAC_BYTES && timingSafeEqual(answer, mac(secret, 'accept', nonce, listener, dialer))
  )
}

export function header(kind: Kind, link: number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(HEADER_BYTES)
  bytes[0] = kind
  bytes.writeUInt32BE(link, 1)
  bytes.writeUInt32BE(length, 5)
  return bytes
}

/** WebSocket close reasons are at most 123 bytes of UTF-8: cut at a character boundary to fit. */
export function fitReason(reason: string): string {
  if (Buffer.byteLength(reason, 'utf8') <= 123) return reason
  // By code points, so no surrogate pair is split. Reasons are short: ≤ 123 bytes as clients send them.
  const chars = Array.from(reason.slice(0, 124))
  let bytes = Buffer.byteLength(chars.join(''), 'utf8')
  while (bytes > 123) bytes -= Buffer.byteLength(chars.pop() as string, 'utf8')
  return chars.join('')
}

export function closePayload(code: number, reason: string): Buffer {
  const text = Buffer.from(fitReason(reason), 'utf8')
  const bytes = Buffer.allocUnsafe(2 + text.length)
  bytes.writeUInt16BE(code & 0xffff, 0)
  text.copy(bytes, 2)
  return bytes
}

export function ackPayload(bytes: number): Buffer {
  const payload = Buffer.allocUnsafe(4)
  payload.writeUInt32BE(Math.min(bytes, 0xffffffff), 0)
  return payload
}

/**
 * A binary frame may come in pieces, as its bytes arrive (`first` on the first, `fin` on the last), so
 * a large frame is passed on while it still arrives, without being copied into one buffer; a frame
 * read whole is one piece with both set. Text frames always come whole.
 */
export type DirectFrame =
  | { kind: 'data'; link: number; isBinary: boolean; payload: Buffer; first: boolean; fin: boolean }
  | { kind: 'close'; link: number; code: number; reason: string }
  | { kind: 'ack'; link: number; bytes: number }

/**
 * Cuts the byte stream into frames. A payload inside one chunk is a view of it. A binary payload spread
 * over chunks comes as one view per chunk (pieces: never copied); any other is copied once into its
 * own buffer. A frame longer than `maxPayload`, or of an unknown kind, is a protocol error: the
 * connection is not to be trusted further.
 */
export class FrameReader {
  readonly #maxPayload: number
  #head: Buffer = Buffer.alloc(0)
  /** The frame being assembled across chunks, once its header is known. */
  #pending: { kind: Kind; link: number; payload: Buffer; filled: number } | null = null
  /** The binary frame coming in pieces: its link, the bytes still to come, whether none came yet. */
  #streaming: { link: number; left: number; first: boolean } | null = null

  constructor(maxPayload: number) {
    this.#maxPayload = maxPayload
  }

  /** The frames completed by `chunk`, or the error that ends the connection. */
  push(chunk: Buffer): DirectFrame[] | { error: string } {
    const frames: DirectFrame[] = []
    let offset = 0
    while (offset < chunk.length) {
      const streaming = this.#streaming
      if (streaming !== null) {
        const taken = Math.min(streaming.left, chunk.length - offset)
        const payload = chunk.subarray(offset, offset + taken)
        offset += taken
        streaming.left -= taken
        const fin = streaming.left === 0
        frames.push({
          kind: 'data',
          link: streaming.link,
          isBinary: true,
          payload,
          first: streaming.first,
          fin,
        })
        streaming.first = false
        if (fin) this.#streaming = null
        continue
      }
      const pending = this.#pending
      if (pending !== null) {
        const taken = chunk.copy(pending.payload, pending.filled, offset)
        pending.filled += taken
        offset += taken
        if (pending.filled < pending.payload.length) break
        this.#pending = null
        const frame = toFrame(pending.kind, pending.link, pending.payload)
        if (frame === null) return { error: `malformed frame of kind ${pending.kind}` }
        frames.push(frame)
        continue
      }
      let head: Buffer
      if (this.#head.length > 0 || chunk.length - offset < HEADER_BYTES) {
        const need = HEADER_BYTES - this.#head.length
        const part = chunk.subarray(offset, offset + need)
        this.#head = Buffer.concat([this.#head, part])
        offset += part.length
        if (this.#head.length < HEADER_BYTES) break
        head = this.#head
        this.#head = Buffer.alloc(0)
      } else {
        head = chunk.subarray(offset, offset + HEADER_BYTES)
        offset += HEADER_BYTES
      }
      const kind = head[0] as Kind
      const link = head.readUInt32BE(1)
      const length = head.readUInt32BE(5)
      if (kind > Kind.Ack) return { error: `unknown frame kind ${String(kind)}` }
      if (length > this.#maxPayload) return { error: `a frame of ${length} bytes is over the limit` }
      if (chunk.length - offset >= length) {
        const frame = toFrame(kind, link, chunk.subarray(offset, offset + length))
        if (frame === null) return { error: `malformed frame of kind ${kind}` }
        frames.push(frame)
        offset += length
        continue
      }
      if (kind === Kind.Binary) this.#streaming = { link, left: length, first: true }
      else this.#pending = { kind, link, payload: Buffer.allocUnsafe(length), filled: 0 }
    }
    return frames
  }
}

function toFrame(kind: Kind, link: number, payload: Buffer): DirectFrame | null {
  switch (kind) {
    case Kind.Binary:
    case Kind.Text:
      return { kind: 'data', link, isBinary: kind === Kind.Binary, payload, first: true, fin: true }
    case Kind.Close:
      if (payload.length < 2 || payload.length > 2 + 123) return null
      return {
        kind: 'close',
        link,
        code: payload.readUInt16BE(0),
        reason: fitReason(payload.subarray(2).toString('utf8')),
      }
    case Kind.Ack:
      if (payload.length !== 4) return null
      return { kind: 'ack', link, bytes: payload.readUInt32BE(0) }
    default:
      return kind satisfies never
  }
}

/** `host:port` or `[v6]:port` (port 0 allowed: pick a free one); null when malformed. */
export function parseAddress(text: string): { host: string; port: number } | null {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text)
  if (match === null) return null
  const port = Number(match[3])
  if (port > 65_535) return null
  return { host: (match[1] ?? match[2]) as string, port }
}

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  CHALLENGE_BYTES,
  FrameReader,
  HEADER_BYTES,
  Kind,
  ackPayload,
  challenge,
  checkAccept,
  checkDial,
  closePayload,
  dial,
  fitReason,
  formatAddress,
  header,
  parseAddress,
  type DirectFrame,
} from '../src/cluster/direct-wire.ts'

const SECRET = 'a-secret-shared-by-the-cluster'

function encode(kind: Kind, link: number, payload: Buffer): Buffer {
  return Buffer.concat([header(kind, link, payload.length), payload])
}

describe('handshake', () => {
  const listenerNonce = randomBytes(32)
  const dialerNonce = randomBytes(32)

  function dialMessage(secret = SECRET, listener = 'listener'): Buffer {
    return dial(secret, challenge(listenerNonce), 'dialer', listener, dialerNonce) as Buffer
  }

  it('accepts the right secret both ways', () => {
    const check = checkDial(SECRET, dialMessage(), listenerNonce, 'listener')
    expect(check).toMatchObject({ kind: 'accepted', dialer: 'dialer' })
    if (check.kind !== 'accepted') throw new Error('not accepted')
    expect(checkAccept(SECRET, check.answer, dialerNonce, 'dialer', 'listener')).toBe(true)
    expect(check.rest.length).toBe(0)
  })

  it('waits for the whole dial message, byte by byte', () => {
    const message = dialMessage()
    for (let end = 0; end < message.length; end++)
      expect(checkDial(SECRET, message.subarray(0, end), listenerNonce, 'listener').kind).toBe('more')
    expect(checkDial(SECRET, message, listenerNonce, 'listener').kind).toBe('accepted')
  })

  it('refuses another secret, another listener, another nonce', () => {
    expect(
      checkDial(SECRET, dialMessage('a-different-secret-entirely'), listenerNonce, 'listener').kind,
    ).toBe('refused')
    expect(checkDial(SECRET, dialMessage(SECRET, 'someone-else'), listenerNonce, 'listener').kind).toBe(
      'refused',
    )
    expect(checkDial(SECRET, dialMessage(), randomBytes(32), 'listener').kind).toBe('refused')
    expect(checkDial(SECRET, Buffer.from([0]), listenerNonce, 'listener').kind).toBe('refused')
  })

  it('the dialer rejects an answer without the secret, or from another instance', () => {
    const check = checkDial(SECRET, dialMessage(), listenerNonce, 'listener')
    if (check.kind !== 'accepted') throw new Error('not accepted')
    expect(checkAccept(SECRET, check.answer, dialerNonce, 'dialer', 'impostor')).toBe(false)
    expect(checkAccept('a-different-secret-entirely', check.answer, dialerNonce, 'dialer', 'listener')).toBe(
      false,
    )
    expect(checkAccept(SECRET, check.answer.subarray(1), dialerNonce, 'dialer', 'listener')).toBe(false)
  })

  it('does not answer a challenge that is not one', () => {
    expect(dial(SECRET, Buffer.alloc(CHALLENGE_BYTES), 'dialer', 'listener', dialerNonce)).toBeNull()
    expect(dial(SECRET, challenge(listenerNonce).subarray(1), 'dialer', 'listener', dialerNonce)).toBeNull()
  })
})

describe('FrameReader', () => {
  const frames: DirectFrame[] = [
    { kind: 'data', link: 1, isBinary: true, payload: randomBytes(3000), first: true, fin: true },
    { kind: 'data', link: 2, isBinary: false, payload: Buffer.from('héllo 🎬'), first: true, fin: true },
    { kind: 'data', link: 3, isBinary: true, payload: Buffer.alloc(0), first: true, fin: true },
    { kind: 'close', link: 4, code: 4000, reason: 'bye — ok' },
    { kind: 'ack', link: 0xffffffff, bytes: 123_456 },
  ]
  const stream = Buffer.concat(
    frames.map((frame) => {
      switch (frame.kind) {
        case 'data':
          return encode(frame.isBinary ? Kind.Binary : Kind.Text, frame.link, frame.payload)
        case 'close':
          return encode(Kind.Close, frame.link, closePayload(frame.code, frame.reason))
        case 'ack':
          return encode(Kind.Ack, frame.link, ackPayload(frame.bytes))
      }
    }),
  )

  /** The frames of `input` cut in chunks of `size`, as the reader gives them. */
  function readCut(input: Buffer, size: number): DirectFrame[] {
    const reader = new FrameReader(1 << 20)
    const read: DirectFrame[] = []
    for (let offset = 0; offset < input.length; offset += size) {
      const result = reader.push(input.subarray(offset, offset + size))
      if (!Array.isArray(result)) throw new Error(result.error)
      read.push(...result)
    }
    return read
  }

  /** Pieces of one frame joined back into the frame. */
  function joinPieces(read: DirectFrame[]): DirectFrame[] {
    const joined: DirectFrame[] = []
    let parts: Buffer[] = []
    for (const frame of read) {
      if (frame.kind !== 'data' || (frame.first && frame.fin)) {
        expect(parts).toEqual([])
        joined.push(frame)
        continue
      }
      if (frame.first !== (parts.length === 0)) throw new Error('a piece out of place')
      parts.push(frame.payload)
      if (!frame.fin) continue
      joined.push({ ...frame, payload: Buffer.concat(parts), first: true })
      parts = []
    }
    expect(parts).toEqual([])
    return joined
  }

  it('reads frames in order, however the stream is cut', () => {
    for (const size of [1, 2, 5, 9, 10, 1000, stream.length])
      expect(joinPieces(readCut(stream, size))).toEqual(frames)
  })

  it('passes a binary frame spread over chunks on in views of them, a text frame whole', () => {
    const payload = randomBytes(5000)
    const binary = readCut(encode(Kind.Binary, 7, payload), 1024)
    expect(binary.length).toBe(5)
    expect(binary.map((frame) => frame.kind === 'data' && [frame.first, frame.fin])).toEqual([
      [true, false],
      [false, false],
      [false, false],
      [false, false],
      [false, true],
    ])
    expect(binary.map((frame) => (frame.kind === 'data' ? frame.payload.length : 0))).toEqual([
      1024 - HEADER_BYTES,
      1024,
      1024,
      1024,
      5000 - 4 * 1024 + HEADER_BYTES,
    ])
    expect(
      Buffer.concat(binary.map((frame) => (frame.kind === 'data' ? frame.payload : Buffer.alloc(0)))),
    ).toEqual(payload)
    const text = readCut(encode(Kind.Text, 7, Buffer.from('é'.repeat(2500))), 1024)
    expect(text).toEqual([
      {
        kind: 'data',
        link: 7,
        isBinary: false,
        payload: Buffer.from('é'.repeat(2500)),
        first: true,
        fin: true,
      },
    ])
  })

  it('does not copy a binary frame spread over chunks', () => {
    const chunks = [encode(Kind.Binary, 1, randomBytes(3000)).subarray(0, 2000), randomBytes(1009)]
    const reader = new FrameReader(1 << 20)
    const pieces = chunks.flatMap((chunk) => reader.push(chunk) as DirectFrame[])
    expect(pieces.map((frame) => frame.kind === 'data' && frame.payload.buffer)).toEqual(
      chunks.map((chunk) => chunk.buffer),
    )
  })

  it('refuses a frame over the limit, an unknown kind, a malformed close or ack', () => {
    expect(new FrameReader(10).push(encode(Kind.Binary, 1, Buffer.alloc(11)))).toEqual({
      error: 'a frame of 11 bytes is over the limit',
    })
    expect(new FrameReader(10).push(encode(9 as Kind, 1, Buffer.alloc(1)))).toHaveProperty('error')
    expect(new FrameReader(10).push(encode(Kind.Close, 1, Buffer.alloc(1)))).toHaveProperty('error')
    expect(new FrameReader(10).push(encode(Kind.Ack, 1, Buffer.alloc(3)))).toHaveProperty('error')
    expect(new FrameReader(10).push(Buffer.alloc(HEADER_BYTES - 1))).toEqual([])
  })
})

describe('fitReason', () => {
  it('cuts a close reason to 123 bytes of UTF-8 at a character boundary', () => {
    expect(fitReason('bye')).toBe('bye')
    const long = fitReason('é'.repeat(100))
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(123)
    expect(long).toBe('é'.repeat(61))
    const frame = closePayload(4000, '🎬'.repeat(60))
    expect(frame.length).toBeLessThanOrEqual(2 + 123)
    expect(new FrameReader(1000).push(encode(Kind.Close, 1, frame))).toEqual([
      { kind: 'close', link: 1, code: 4000, reason: '🎬'.repeat(30) },
    ])
    expect(new FrameReader(1000).push(encode(Kind.Close, 1, Buffer.alloc(2 + 124)))).toHaveProperty('error')
  })
})

describe('addresses', () => {
  it('parses host:port and [v6]:port, and formats them back', () => {
    expect(parseAddress('10.0.0.5:7000')).toEqual({ host: '10.0.0.5', port: 7000 })
    expect(parseAddress('[::1]:0')).toEqual({ host: '::1', port: 0 })
    expect(parseAddress('internal.example:7000')).toEqual({ host: 'internal.example', port: 7000 })
    for (const bad of ['10.0.0.5', ':7000', '::1:7000', 'host:70000', 'host:port', '1'])
      expect(parseAddress(bad)).toBeNull()
    expect(formatAddress('::1', 7000)).toBe('[::1]:7000')
    expect(formatAddress('10.0.0.5', 7000)).toBe('10.0.0.5:7000')
  })
})

import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { CloseCode } from '../src/errors.ts'
import {
  connectionUrl,
  joined,
  eventually,
  open,
  roundTrip,
  startServer,
  stopServers,
  type Client,
  type Harness,
} from './helpers.ts'

afterEach(stopServers)

async function pipe(h: Harness, doc = 'doc'): Promise<[Client, Client]> {
  await joined(h, doc, 'alice', 'bob')
  const alice = await open(connectionUrl(h, 'alice', 'bob', doc))
  await roundTrip(alice) // alice is held before bob arrives
  const bob = await open(connectionUrl(h, 'bob', 'alice', doc))
  await roundTrip(bob)
  return [alice, bob]
}

/** Frames chosen to catch re-encoding: invalid UTF-8 in binary, multi-byte text, empty frames. */
const FRAMES: Array<{ data: Buffer | string; binary: boolean }> = [
  { data: Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xed, 0xa0, 0x80]), binary: true },
  { data: 'héllo wörld — 日本語 🎬🍿', binary: false },
  { data: Buffer.from(JSON.stringify({ type: 'Join', join: ['x'] })), binary: true },
  { data: JSON.stringify({ type: 'Join', documentIds: ['x'] }), binary: false },
  { data: Buffer.alloc(0), binary: true },
  { data: '', binary: false },
  { data: randomBytes(64 * 1024), binary: true },
  { data: Buffer.from([0x82, 0xa4, 0x74, 0x79, 0x70, 0x65]), binary: true }, // truncated msgpack
]

function expectSame(received: { data: Buffer; isBinary: boolean }, sent: (typeof FRAMES)[number]): void {
  expect(received.isBinary).toBe(sent.binary)
  const expected = typeof sent.data === 'string' ? Buffer.from(sent.data, 'utf8') : sent.data
  expect(received.data.equals(expected)).toBe(true)
}

describe('pipes', () => {
  it('forwards frames byte for byte in both directions, text as text and binary as binary', async () => {
    const h = await startServer()
    const [alice, bob] = await pipe(h)
    for (const frame of FRAMES) await alice.send(frame.data, frame.binary)
    for (const frame of FRAMES) expectSame(await bob.next(), frame)
    for (const frame of FRAMES) await bob.send(frame.data, frame.binary)
    for (const frame of FRAMES) expectSame(await alice.next(), frame)
    const total = FRAMES.reduce((sum, f) => sum + Buffer.byteLength(f.data), 0)
    expect(h.server.stats()).toMatchObject({ pipesOpen: 1, pipesWaiting: 0, bytesPiped: 2 * total })
  })

  it('held frames too: sent before the partner arrives, delivered byte-exact, typed, in order', async () => {
    const h = await startServer()
    await joined(h, 'doc', 'alice', 'bob')
    const alice = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    for (const frame of FRAMES) await alice.send(frame.data, frame.binary)
    await roundTrip(alice)
    const total = FRAMES.reduce((sum, f) => sum + Buffer.byteLength(f.data), 0)
    expect(h.server.stats()).toMatchObject({ pipesWaiting: 1, heldFrames: FRAMES.length, heldBytes: total })
    const bob = await open(connectionUrl(h, 'bob', 'alice', 'doc'))
    for (const frame of FRAMES) expectSame(await bob.next(), frame)
    // and live frames after the held ones
    await alice.send('after', false)
    expect((await bob.next()).data.toString()).toBe('after')
    expect(h.server.stats()).toMatchObject({ pipesOpen: 1, pipesWaiting: 0, heldFrames: 0, heldBytes: 0 })
  })

  it('large frames pass intact', async () => {
    const h = await startServer()
    const [alice, bob] = await pipe(h)
    const big = randomBytes(3 * 1024 * 1024)
    await alice.send(big, true)
    const received = await bob.next()
    expect(received.data.equals(big)).toBe(true)
  })

  it('pipes only matching requests: same document, opposite directions', async () => {
    const h = await startServer()
    await joined(h, ['doc-1', 'doc-2'], 'alice', 'bob', 'carol')
    const alice = await open(connectionUrl(h, 'alice', 'bob', 'doc-1'))
    const bobOther = await open(connectionUrl(h, 'bob', 'alice', 'doc-2'))
    const carol = await open(connectionUrl(h, 'carol', 'alice', 'doc-1'))
    await Promise.all([roundTrip(alice), roundTrip(bobOther), roundTrip(carol)])
    expect(h.server.stats()).toMatchObject({ pipesOpen: 0, pipesWaiting: 3 })
    const bob = await open(connectionUrl(h, 'bob', 'alice', 'doc-1'))
    await roundTrip(bob)
    expect(h.server.stats()).toMatchObject({ pipesOpen: 1, pipesWaiting: 2 })
  })

  it('a repeated request replaces the waiting one (closed 4409), which is what gets piped', async () => {
    const h = await startServer()
    await joined(h, 'doc', 'alice', 'bob')
    const first = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    await first.send('from the first', false)
    await roundTrip(first)
    const retry = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    expect((await first.closed).code).toBe(CloseCode.Conflict)
    await retry.send('from the retry', false)
    const bob = await open(connectionUrl(h, 'bob', 'alice', 'doc'))
    expect((await bob.next()).data.toString()).toBe('from the retry')
    expect(h.server.stats().heldFrames).toBe(0)
  })

  it.each([
    ['alice (held first)', 0],
    ['bob (arrived second)', 1],
  ])('closing %s closes the other side, with its code and reason', async (_name, index) => {
    const h = await startServer()
    const sockets = await pipe(h)
    const closer = sockets[index]!
    const other = sockets[1 - index]!
    await closer.close(4000, 'bye')
    expect(await other.closed).toEqual({ code: 4000, reason: 'bye' })
    await eventually(() =>
      expect(h.server.stats()).toMatchObject({ pipesOpen: 0, connections: { connection: 0 } }),
    )
  })

  it('an abrupt drop (no close frame) closes the other side too', async () => {
    const h = await startServer()
    const [alice, bob] = await pipe(h)
    alice.ws.terminate()
    expect((await bob.closed).code).toBe(1000)
  })

  it('a held side that leaves before its partner is forgotten with its frames', async () => {
    const h = await startServer()
    await joined(h, 'doc', 'alice', 'bob')
    const alice = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    await alice.send('stale', false)
    await roundTrip(alice)
    await alice.close()
    const bob = await open(connectionUrl(h, 'bob', 'alice', 'doc'))
    await roundTrip(bob)
    expect(bob.pending).toHaveLength(0)
    expect(h.server.stats()).toMatchObject({ pipesOpen: 0, pipesWaiting: 1, heldFrames: 0, heldBytes: 0 })
  })
})

describe('held-frame bounds', () => {
  it('more frames than allowed: the held socket is closed 4413 with a reason', async () => {
    const h = await startServer({ held: { frames: 3 } })
    await joined(h, 'doc', 'alice', 'bob')
    const alice = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    for (let i = 0; i < 3; i++) await alice.send(`frame ${i}`, false)
    await roundTrip(alice)
    expect(alice.ws.readyState).toBe(alice.ws.OPEN)
    await alice.send('one too many', false)
    const closed = await alice.closed
    expect(closed.code).toBe(CloseCode.HeldTooMuch)
    expect(closed.reason).toMatch(/3 frames/)
    await eventually(() => expect(h.server.stats()).toMatchObject({ pipesWaiting: 0, heldFrames: 0 }))
  })

  it('more bytes than allowed: closed 4413 with a reason', async () => {
    const h = await startServer({ held: { bytes: 1000 } })
    await joined(h, 'doc', 'alice', 'bob')
    const alice = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    await alice.send(Buffer.alloc(1000), true)
    await roundTrip(alice)
    expect(alice.ws.readyState).toBe(alice.ws.OPEN)
    await alice.send(Buffer.alloc(1), true)
    const closed = await alice.closed
    expect(closed.code).toBe(CloseCode.HeldTooMuch)
    expect(closed.reason).toMatch(/1000 bytes/)
    await eventually(() => expect(h.server.stats()).toMatchObject({ heldFrames: 0, heldBytes: 0 }))
  })

  it('held frames older than allowed: closed 4408 with a reason', async () => {
    const h = await startServer({ held: { ageMs: 50 } })
    await joined(h, 'doc', 'alice', 'bob')
    const alice = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    await alice.send('waiting', false)
    const closed = await alice.closed
    expect(closed.code).toBe(CloseCode.HeldTooLong)
    expect(closed.reason).toMatch(/50 ms/)
    await eventually(() => expect(h.server.stats()).toMatchObject({ pipesWaiting: 0, heldFrames: 0 }))
  })

  it('the age timer stops once the partner arrives', async () => {
    const h = await startServer({ held: { ageMs: 50 } })
    await joined(h, 'doc', 'alice', 'bob')
    const alice = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    await alice.send('held', false)
    const bob = await open(connectionUrl(h, 'bob', 'alice', 'doc'))
    expect((await bob.next()).data.toString()).toBe('held')
    // Well past the age limit, the pipe still works.
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25))
      await alice.send(`ping ${i}`, false)
      expect((await bob.next()).data.toString()).toBe(`ping ${i}`)
    }
  })

  it('a waiting side that sends nothing is closed 4408 when no partner comes', async () => {
    const h = await startServer({ held: { ageMs: 50 } })
    await joined(h, 'doc', 'alice', 'bob')
    const alice = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    const closed = await alice.closed
    expect(closed.code).toBe(CloseCode.HeldTooLong)
    expect(closed.reason).toMatch(/no partner within 50 ms/)
    expect(h.server.stats().pipesWaiting).toBe(0)
  })

  it('a partner arriving within the age bound clears it', async () => {
    const h = await startServer({ held: { ageMs: 2_000 } })
    await joined(h, 'doc', 'alice', 'bob')
    const alice = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    const bob = await open(connectionUrl(h, 'bob', 'alice', 'doc'))
    await bob.send('hi', false)
    expect((await alice.next()).data.toString()).toBe('hi')
    expect(h.server.stats()).toMatchObject({ pipesWaiting: 0, pipesOpen: 1 })
  })
})

describe('backpressure', () => {
  it('a receiver that stops reading stops the server reading from the sender; nothing is lost', async () => {
    const h = await startServer({ pipeHighWaterMark: 256 * 1024 })
    const [alice, bob] = await pipe(h)
    bob.ws.pause() // bob reads nothing: his kernel buffers fill, then the server's queue to him
    const frame = 64 * 1024
    const count = 512 // 32 MiB: far more than loopback's kernel buffers hold
    for (let i = 0; i < count; i++) {
      const data = Buffer.alloc(frame, i % 256)
      alice.ws.send(data, { binary: true })
    }
    // The server stops reading alice: her own queue settles well above zero and stays there. Without
    // backpressure the server would read it all within moments (and hold it in memory for bob).
    let last = -1
    let steady = 0
    await eventually(() => {
      const now = alice.ws.bufferedAmount
      steady = now === last ? steady + 1 : 0
      last = now
      expect(now).toBeGreaterThan(8 * 1024 * 1024)
      expect(steady).toBeGreaterThanOrEqual(200) // unchanged for 200 polls (1 ms apart at least)
    }, 10_000)

    bob.ws.resume()
    let bytes = 0
    for (let i = 0; i < count; i++) {
      const { data, isBinary } = await bob.next()
      expect(isBinary).toBe(true)
      expect(data.length).toBe(frame)
      expect(data[0]).toBe(i % 256)
      bytes += data.length
    }
    expect(bytes).toBe(frame * count)
    await eventually(() => expect(alice.ws.bufferedAmount).toBe(0))
  })
})

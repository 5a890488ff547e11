/**
 * The range protocol end to end in memory: an owner's `RangeServer` and a member's `rangeSource` joined by a
 * pipe that delivers in order, asynchronously, and holds the writer back beyond a small buffer (as a data
 * channel's stream does), plus `preferTorrent`'s choice of source per span.
 */
import { describe, expect, it } from 'vitest'
import { expectWarning } from '../console.ts'
import { readAll, type ByteSource } from '../../src/lib/media/feed.ts'
import { RangeServer, readAnswers, type RangePeer } from '../../src/lib/torrent/range-server.ts'
import { OwnerRanges, rangeSource } from '../../src/lib/torrent/range-source.ts'
import { preferTorrent, SPAN_BYTES } from '../../src/lib/torrent/prefer-torrent.ts'
import { HOLD_MS, LINGER_MS, ReadPriority, SHARE_MS } from '../../src/lib/torrent/read-priority.ts'
import { ManualTimers } from '../manual-timers.ts'
import {
  ANSWER_BYTES,
  ANSWER_HEADER,
  encodeAnswer,
  encodeRequest,
  MAX_OUTSTANDING,
  MAX_REQUEST_BYTES,
  parseRangeAnswer,
  parseRangeRequest,
} from '../../src/lib/torrent/range-wire.ts'

type Listener = (...args: never[]) => void

/** One end of an in-memory connection: writes arrive at the other end in order, a task later. */
class PipeEnd implements RangePeer {
  other: PipeEnd | null = null
  readonly #listeners = new Map<string, Set<Listener>>()
  /** Bytes written and not yet delivered; the most seen at once. */
  queued = 0
  maxQueued = 0
  written: Uint8Array[] = []
  destroyed = false
  constructor(readonly capacity = 256 * 1024) {}

  write(chunk: Uint8Array): boolean {
    if (this.destroyed) return false
    const copy = chunk.slice()
    this.written.push(copy)
    this.queued += copy.length
    this.maxQueued = Math.max(this.maxQueued, this.queued)
    setTimeout(() => {
      this.queued -= copy.length
      if (!this.destroyed) this.other?.emit('data', copy)
      if (this.queued === 0) this.emit('drain')
    }, 0)
    return this.queued < this.capacity
  }

  on(event: string, listener: Listener): void {
    const set = this.#listeners.get(event) ?? new Set()
    set.add(listener)
    this.#listeners.set(event, set)
  }

  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.#listeners.get(event) ?? []) (listener as (...a: unknown[]) => void)(...args)
  }

  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    this.emit('close')
    this.other?.destroy()
  }
}

function pipe(capacity?: number): [PipeEnd, PipeEnd] {
  const a = new PipeEnd(capacity)
  const b = new PipeEnd(capacity)
  a.other = b
  b.other = a
  return [a, b]
}

const bytes = (length: number) => new Uint8Array(length).map((_, i) => (i * 7 + (i >> 11)) % 251)

/** Byte-for-byte equality (vitest's deep equality is slow on megabytes). */
function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length)
  expect(Buffer.compare(Buffer.from(actual), Buffer.from(expected))).toBe(0)
}

/** An owner serving `files` and a member's ranges over one pipe. */
function linked(files: Blob[], capacity?: number, priority: ReadPriority | null = null) {
  const [owner, member] = pipe(capacity)
  const server = new RangeServer(owner, files, 'member', priority)
  const ranges = new OwnerRanges()
  ranges.setLink(member, 'owner')
  return { owner, member, server, ranges }
}

const requestsIn = (end: PipeEnd) =>
  end.written.flatMap((raw) => {
    const parsed = parseRangeRequest(raw)
    return parsed.ok ? [parsed.value] : []
  })

/** A file that records where each of its reads starts (a read begins with its `slice`). */
function recordedFile(data: Uint8Array<ArrayBuffer>): { file: Blob; reads: number[] } {
  const blob = new Blob([data])
  const reads: number[] = []
  const file = {
    size: blob.size,
    slice: (start: number, end: number) => {
      reads.push(start)
      return blob.slice(start, end)
    },
  } as Blob
  return { file, reads }
}

/**
 * A server on a connection whose buffer is full at once and never drains (a member that does not take its
 * bytes): `written` resolves at its first write; `ask(id, start)` delivers a request for the mebibyte there.
 */
function stalledServer(files: Blob[], priority: ReadPriority | null = null) {
  const listeners: ((chunk: Uint8Array) => void)[] = []
  let wrote: () => void = () => {}
  const written = new Promise<void>((resolve) => (wrote = resolve))
  const peer = {
    write: () => {
      wrote()
      return false
    },
    on: (event: string, listener: (chunk: Uint8Array) => void) => {
      if (event === 'data') listeners.push(listener)
    },
    destroy: () => {},
  } as RangePeer
  const server = new RangeServer(peer, files, 'member', priority)
  const ask = (id: number, start: number) => {
    for (const listener of listeners)
      listener(encodeRequest({ t: 'get', id, file: 0, start, end: start + MAX_REQUEST_BYTES }))
  }
  return { server, written, ask }
}

describe("the owner's reads", () => {
  /** A file whose slice's stream gives `data` in chunks of `chunk` bytes, whatever the slice. */
  const streamed = (data: Uint8Array, chunk: number) =>
    ({
      size: 1 << 30,
      slice: () => ({
        stream: () =>
          new ReadableStream<Uint8Array>({
            start(controller) {
              for (let at = 0; at < data.length; at += chunk) controller.enqueue(data.slice(at, at + chunk))
              controller.close()
            },
          }),
      }),
    }) as unknown as Blob

  it('reads a request straight into its answers: one buffer, each part behind its header', async () => {
    const data = bytes(5 * ANSWER_BYTES)
    const start = 1234
    const end = start + 2 * ANSWER_BYTES + 777
    const answers = await readAnswers(new Blob([data]), { t: 'get', id: 4242, file: 0, start, end })
    expect(answers.map((a) => a.length)).toEqual([
      ANSWER_HEADER + ANSWER_BYTES,
      ANSWER_HEADER + ANSWER_BYTES,
      ANSWER_HEADER + 777,
    ])
    expect(new Set(answers.map((a) => a.buffer)).size).toBe(1)
    const bodies = answers.map((answer) => {
      const parsed = parseRangeAnswer(answer)
      if (!parsed.ok || parsed.value.t !== 'data') throw new Error('not a data answer')
      expect(parsed.value.id).toBe(4242)
      return parsed.value.bytes
    })
    expectBytes(Buffer.concat(bodies), data.subarray(start, end))
  })

  it('places a stream that comes in chunks of any size', async () => {
    const data = bytes(ANSWER_BYTES + 5000)
    for (const chunk of [1000, ANSWER_BYTES - 1, ANSWER_BYTES + 3, data.length]) {
      const answers = await readAnswers(streamed(data, chunk), {
        t: 'get',
        id: 1,
        file: 0,
        start: 0,
        end: data.length,
      })
      expectBytes(Buffer.concat(answers.map((a) => a.subarray(ANSWER_HEADER))), data)
    }
  })

  it('a file cut short, or one that gives more than its slice, fails the read', async () => {
    const request = { t: 'get', id: 1, file: 0, start: 0, end: 10_000 } as const
    await expect(readAnswers(streamed(bytes(9_000), 4096), request)).rejects.toThrow(
      'the file ended 1000 bytes short of the range',
    )
    await expect(readAnswers(streamed(bytes(10_001), 4096), request)).rejects.toThrow(
      'the file gave more bytes than its slice holds',
    )
  })
})

describe('reading a file from its owner', () => {
  it('brings every byte, in requests no larger than the bound, a few in flight', async () => {
    const data = bytes(3 * MAX_REQUEST_BYTES + 12345)
    const { member, ranges } = linked([new Blob([data])])
    const source = rangeSource(ranges, 0, data.length)
    expectBytes(await readAll(source, 0, data.length - 1), data)
    const gets = requestsIn(member).filter((r) => r.t === 'get')
    expect(gets).toHaveLength(4)
    for (const get of gets)
      expect(get.t === 'get' && get.end - get.start).toBeLessThanOrEqual(MAX_REQUEST_BYTES)
  })

  it('reads from an offset to an end (inclusive), from the second file', async () => {
    const first = bytes(1000)
    const second = bytes(200_000).reverse()
    const { ranges } = linked([new Blob([first]), new Blob([second])])
    const source = rangeSource(ranges, 1, second.length)
    expectBytes(await readAll(source, 5000, 150_000), second.subarray(5000, 150_001))
  })

  it("holds the file's other readers back while it reads the file, and a while after", async () => {
    const data = bytes(3 * MAX_REQUEST_BYTES)
    const timers = new ManualTimers()
    const priority = new ReadPriority(timers)
    const changes: boolean[] = []
    priority.onChange((urgent) => changes.push(urgent))
    const { ranges } = linked([new Blob([data])], undefined, priority)
    expectBytes(await readAll(rangeSource(ranges, 0, data.length), 0, data.length - 1), data)
    expect(changes).toEqual([true])
    timers.advance(LINGER_MS - 1)
    expect(priority.urgent).toBe(true)
    timers.advance(1)
    expect(changes).toEqual([true, false])
    await priority.idle()
  })

  it('lets the hashing read while an answer waits for the connection, and reads the next request meanwhile', async () => {
    const data = bytes(3 * MAX_REQUEST_BYTES)
    const timers = new ManualTimers()
    const priority = new ReadPriority(timers)
    // Resolves `ended` once the server's two reads of the file (one per request) have ended.
    let endedReads = 0
    let allEnded = () => {}
    const ended = new Promise<void>((resolve) => (allEnded = resolve))
    const begin = priority.begin.bind(priority)
    priority.begin = () => {
      const end = begin()
      return () => {
        end()
        if (++endedReads === 2) allEnded()
      }
    }
    const { file, reads } = recordedFile(data)
    const { server, written, ask } = stalledServer([file], priority)
    ask(1, 0)
    ask(2, MAX_REQUEST_BYTES)
    await written
    // The second request's read started while the first one's answer waits.
    expect(reads).toEqual([0, MAX_REQUEST_BYTES])
    await ended
    timers.advance(LINGER_MS)
    expect(priority.urgent).toBe(false)
    // However long the answer waits, the hashing is not held again: nothing is read meanwhile.
    timers.advance(HOLD_MS)
    timers.advance(SHARE_MS)
    expect(priority.urgent).toBe(false)
    server.close()
  })

  it('reads a request that comes while an answer is being sent, without waiting for its turn', async () => {
    const data = bytes(2 * MAX_REQUEST_BYTES)
    const { file, reads } = recordedFile(data)
    // The first answer is being sent for good.
    const { server, written, ask } = stalledServer([file])
    ask(1, 0)
    await written
    expect(reads).toEqual([0])
    // Reads start as the requests come (`slice` is called at once).
    ask(2, MAX_REQUEST_BYTES)
    expect(reads).toEqual([0, MAX_REQUEST_BYTES])
    // Only the next in line: a third waits for its turn.
    ask(3, 0)
    expect(reads).toEqual([0, MAX_REQUEST_BYTES])
    server.close()
  })

  it('writes an answer only while the connection takes it (backpressure)', async () => {
    const data = bytes(2 * MAX_REQUEST_BYTES)
    const { owner, ranges } = linked([new Blob([data])], 2 * ANSWER_BYTES)
    expectBytes(await readAll(rangeSource(ranges, 0, data.length), 0, data.length - 1), data)
    // The server waits for `drain` once the buffer is full: never more than one answer past it.
    expect(owner.maxQueued).toBeLessThanOrEqual(3 * (ANSWER_BYTES + 5))
  })

  it('a read stopped early cancels what it asked and the owner stops answering', async () => {
    const data = bytes(4 * MAX_REQUEST_BYTES)
    const { owner, member, ranges } = linked([new Blob([data])])
    const read = rangeSource(ranges, 0, data.length).read(0)
    const first = await read.next()
    expect(first.done).toBe(false)
    await read.return?.()
    const cancels = requestsIn(member).filter((r) => r.t === 'cancel')
    expect(cancels.length).toBeGreaterThan(0)
    // The owner answers in order: once a later read is answered, the cancels before it were acted on.
    expectBytes(await readAll(rangeSource(ranges, 0, data.length), 0, 9), data.subarray(0, 10))
    const sent = owner.written.reduce((sum, w) => sum + w.length, 0)
    expect(sent).toBeLessThan(data.length)
  })

  it('a read whose link closes asks again from where it was on the next link', async () => {
    const data = bytes(3 * MAX_REQUEST_BYTES)
    const blob = new Blob([data])
    const { member, ranges } = linked([blob])
    const read = rangeSource(ranges, 0, data.length).read(0)
    const parts: Uint8Array[] = []
    const first = await read.next()
    if (!first.done) parts.push(first.value)
    member.destroy()
    const [owner2, member2] = pipe()
    new RangeServer(owner2, [blob], 'member')
    ranges.setLink(member2, 'owner')
    for (let next = await read.next(); !next.done; next = await read.next()) parts.push(next.value)
    const got = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0))
    let at = 0
    for (const p of parts) got.set(p, (at += p.length) - p.length)
    expectBytes(got, data)
  })
})

describe('what the owner refuses', () => {
  /**
   * A hand-made requester: its requests reach the owner at once, in order, in this task; `refusals(n)` waits
   * for the owner's first `n` refusals.
   */
  function raw(files: Blob[]) {
    const [owner, member] = pipe()
    new RangeServer(owner, files, 'member')
    const answers: ReturnType<typeof parseRangeAnswer>[] = []
    let waiting: { count: number; resolve: () => void } | null = null
    const refusedSoFar = () => answers.filter((a) => a.ok && a.value.t === 'refused').length
    member.on('data', (chunk: Uint8Array) => {
      answers.push(parseRangeAnswer(chunk))
      if (waiting && refusedSoFar() >= waiting.count) waiting.resolve()
    })
    const send = (request: Uint8Array) => owner.emit('data', request)
    const refusals = (count: number) =>
      new Promise<void>((resolve) => {
        if (refusedSoFar() >= count) return resolve()
        waiting = { count, resolve }
      })
    return { send, answers, refusals }
  }

  it('more than MAX_OUTSTANDING requests at once', async () => {
    const { send, answers, refusals } = raw([new Blob([bytes(8 * MAX_REQUEST_BYTES)])])
    for (let id = 1; id <= MAX_OUTSTANDING + 1; id++)
      send(encodeRequest({ t: 'get', id, file: 0, start: 0, end: MAX_REQUEST_BYTES }))
    await refusals(1)
    const refused = answers.filter((a) => a.ok && a.value.t === 'refused')
    expect(refused).toEqual([
      { ok: true, value: { t: 'refused', id: MAX_OUTSTANDING + 1, reason: 'too many requests' } },
    ])
  })

  it('a range past the end of the file, and a file it does not have', async () => {
    const { send, answers, refusals } = raw([new Blob([bytes(100)])])
    send(encodeRequest({ t: 'get', id: 1, file: 0, start: 50, end: 101 }))
    send(encodeRequest({ t: 'get', id: 2, file: 1, start: 0, end: 10 }))
    await refusals(2)
    expect(answers.map((a) => a.ok && a.value)).toEqual([
      { t: 'refused', id: 1, reason: 'past the end of the file' },
      { t: 'refused', id: 2, reason: 'no such file' },
    ])
  })

  it('drops a malformed request with a log line', async () => {
    const { send, answers, refusals } = raw([new Blob([bytes(100)])])
    send(new TextEncoder().encode('{"t":"get","id":1,"file":0,"start":0,"end":99999999}'))
    expectWarning(/ranges: ignored a request from member/)
    // A good request after it is answered, and nothing else is.
    send(encodeRequest({ t: 'get', id: 2, file: 1, start: 0, end: 10 }))
    await refusals(1)
    expect(answers.map((a) => a.ok && a.value)).toEqual([{ t: 'refused', id: 2, reason: 'no such file' }])
  })
})

describe('what the member takes from its link', () => {
  it('ignores answers to requests it never made, and fails a request answered with more than it asked', async () => {
    const [fake, member] = pipe()
    const ranges = new OwnerRanges()
    ranges.setLink(member, 'owner')
    fake.on('data', (raw: Uint8Array) => {
      const parsed = parseRangeRequest(raw)
      if (!parsed.ok || parsed.value.t !== 'get') return
      const { id, end, start } = parsed.value
      fake.write(encodeAnswer({ t: 'data', id: id + 100, bytes: new Uint8Array(10) }))
      fake.write(encodeAnswer({ t: 'data', id, bytes: new Uint8Array(end - start + 1) }))
    })
    const read = rangeSource(ranges, 0, 1000).read(0)
    await expect(read.next()).rejects.toThrow(/more bytes than asked/)
    expectWarning(/ranges: dropped an answer from owner: more bytes than asked/)
  })
})

describe('preferring the torrent', () => {
  /** A source of `data` that records which spans it served and holds verified what `has` says. */
  function source(
    data: Uint8Array,
    has: (start: number, end: number) => boolean,
    served: string[],
    name: string,
  ): ByteSource {
    return {
      length: data.length,
      has,
      read: async function* (start: number, end = data.length - 1) {
        served.push(`${name} ${start}`)
        yield data.slice(start, end + 1)
      },
    }
  }

  it('reads from the owner until the torrent comes, then from the torrent where it has the span', async () => {
    const data = bytes(3 * SPAN_BYTES)
    const served: string[] = []
    let reachable = true
    const switching = preferTorrent(
      source(data, () => false, served, 'owner'),
      () => reachable,
    )
    expectBytes(await readAll(switching, 0, data.length - 1), data)
    expect(served).toEqual(['owner 0', `owner ${SPAN_BYTES}`, `owner ${2 * SPAN_BYTES}`])
    reachable = false
    expect(switching.ownerServes()).toBe(true) // no torrent yet: reads wait for the owner's next link
    reachable = true
    served.length = 0
    // The torrent holds the first span only.
    switching.useTorrent(source(data, (start) => start < SPAN_BYTES, served, 'torrent'))
    expectBytes(await readAll(switching, 100, data.length - 1), data.subarray(100))
    expect(served).toEqual(['torrent 100', `owner ${SPAN_BYTES}`, `owner ${2 * SPAN_BYTES}`])
    expect(switching.ownerServes()).toBe(true)
    served.length = 0
    reachable = false
    expect(switching.ownerServes()).toBe(false)
    expectBytes(
      await readAll(switching, SPAN_BYTES, 2 * SPAN_BYTES - 1),
      data.subarray(SPAN_BYTES, 2 * SPAN_BYTES),
    )
    expect(served).toEqual([`torrent ${SPAN_BYTES}`])
  })

  it('gives the torrent what the owner sends once it is there, as whole pieces, and nothing read from the torrent', async () => {
    const data = bytes(3 * SPAN_BYTES)
    const served: string[] = []
    const switching = preferTorrent(
      source(data, () => false, served, 'owner'),
      () => true,
    )
    const pieceLength = SPAN_BYTES / 2
    const taken: number[] = []
    const taker = {
      layout: { pieceLength, fileOffset: 0, length: data.length },
      has: () => false,
      take: (index: number, piece: Uint8Array) => {
        expectBytes(piece, data.subarray(index * pieceLength, (index + 1) * pieceLength))
        taken.push(index)
      },
    }
    await readAll(switching, 0, SPAN_BYTES - 1) // before the torrent: nothing to give it
    expect(taken).toEqual([])
    // The torrent holds the middle span; the read starts inside piece 0.
    const middle = (start: number) => start >= SPAN_BYTES && start < 2 * SPAN_BYTES
    switching.useTorrent(source(data, middle, served, 'torrent'), taker)
    served.length = 0
    expectBytes(await readAll(switching, 100, data.length - 1), data.subarray(100))
    expect(served).toEqual(['owner 100', `torrent ${SPAN_BYTES}`, `owner ${2 * SPAN_BYTES}`])
    expect(taken).toEqual([1, 4, 5])
  })
})

describe('a film read before anyone plays it (warm)', () => {
  // A read that has all its bytes cancels what is left of its last request: only the gets count here.
  const getsIn = (end: PipeEnd) => requestsIn(end).filter((r) => r.t === 'get')

  it('hands the held spans to the reads that start in them, and asks only for the rest', async () => {
    const data = bytes(3 * MAX_REQUEST_BYTES + 5000)
    const { member, ranges } = linked([new Blob([data])])
    const tail = data.length - 700_000
    await ranges.warm(0, tail, data.length)
    await ranges.warm(0, 0, MAX_REQUEST_BYTES)
    const warmed = getsIn(member).length
    expect(warmed).toBe(2)
    const source = rangeSource(ranges, 0, data.length, tail)
    // The tail, all held: no request.
    expectBytes(await readAll(source, tail, data.length - 1), data.subarray(tail))
    expect(getsIn(member)).toHaveLength(warmed)
    // From 1000 on: the held head's rest, then the owner's bytes from where it ends.
    expectBytes(await readAll(source, 1000, tail - 1), data.subarray(1000, tail))
    const later = getsIn(member).slice(warmed)
    expect(later[0]).toMatchObject({ t: 'get', start: MAX_REQUEST_BYTES })
    // Each span goes to one read; a second read asks the owner, and nothing more is warmed once reading began.
    await ranges.warm(0, 2 * MAX_REQUEST_BYTES, 3 * MAX_REQUEST_BYTES)
    const before = getsIn(member).length
    expectBytes(await readAll(source, 0, 99), data.subarray(0, 100))
    expect(getsIn(member).slice(before)).toEqual([expect.objectContaining({ t: 'get', start: 0, end: 100 })])
  })

  it('a read that stops inside a span leaves the rest of it to the read that goes on from there', async () => {
    const data = bytes(300_000)
    const { member, ranges } = linked([new Blob([data])])
    await ranges.warm(0, 0, data.length)
    const source = rangeSource(ranges, 0, data.length)
    expectBytes(await readAll(source, 0, 99_999), data.subarray(0, 100_000))
    expectBytes(await readAll(source, 100_000, data.length - 1), data.subarray(100_000))
    expect(getsIn(member)).toHaveLength(1)
    expect(ranges.held.take(0, 0, data.length)).toBeNull()
  })

  it('a read that comes while the held span is on its way waits for it, and its rest is asked for at once', async () => {
    const data = bytes(2 * MAX_REQUEST_BYTES)
    const { member, ranges } = linked([new Blob([data])])
    const warm = ranges.warm(0, 0, MAX_REQUEST_BYTES)
    const read = readAll(rangeSource(ranges, 0, data.length), 0, data.length - 1)
    expectBytes(await read, data)
    await warm
    expect(getsIn(member).map((r) => r.t === 'get' && r.start)).toEqual([0, MAX_REQUEST_BYTES])
  })

  it('a span the owner refused is read again by the read that takes it', async () => {
    const data = bytes(1000)
    const { member, ranges } = linked([new Blob([data])])
    // Past the end of the file: the owner refuses it, and the span holds nothing.
    await ranges.warm(0, 0, 2000)
    expectBytes(await readAll(rangeSource(ranges, 0, data.length), 0, 999), data.subarray(0, 1000))
    expect(getsIn(member).map((r) => r.t === 'get' && [r.start, r.end])).toEqual([
      [0, 2000],
      [0, 1000],
    ])
  })

  it('holds nothing after the link to the owner is closed', async () => {
    const { member, ranges } = linked([new Blob([bytes(1000)])])
    ranges.close()
    await ranges.warm(0, 0, 1000)
    expect(getsIn(member)).toEqual([])
    expect(ranges.held.take(0, 0, 1000)).toBeNull()
  })
})

import { describe, expect, it } from 'vitest'
import {
  BLOCK_BYTES,
  inFlightBudget,
  pathDelay,
  joinBlocks,
  requestRun,
  RUN_BYTES,
  splitAnswer,
  type Block,
  type BlockCallback,
  type RunWire,
} from '../../src/lib/torrent/block-runs.ts'

type Answer = { err: Error | null; chunk: Uint8Array | null }

function block(offset: number, length = BLOCK_BYTES, answers: Answer[] = []): Block {
  return { offset, length, done: (err, chunk) => answers.push({ err, chunk }) }
}

const spans = (runs: ReturnType<typeof joinBlocks>) => runs.map((r) => [r.offset, r.length, r.blocks.length])

describe('joinBlocks', () => {
  it('joins adjacent blocks, in offset order, up to a run each', () => {
    const blocks = [3, 0, 1, 2].map((i) => block(i * BLOCK_BYTES))
    expect(spans(joinBlocks(blocks))).toEqual([[0, 4 * BLOCK_BYTES, 4]])
    const ten = Array.from({ length: 10 }, (_, i) => block(i * BLOCK_BYTES))
    expect(spans(joinBlocks(ten))).toEqual([
      [0, RUN_BYTES, 8],
      [RUN_BYTES, 2 * BLOCK_BYTES, 2],
    ])
  })

  it('starts a new run at a gap (blocks given back by another wire) and takes a short last block', () => {
    const blocks = [block(0), block(2 * BLOCK_BYTES), block(3 * BLOCK_BYTES, 1000)]
    expect(spans(joinBlocks(blocks))).toEqual([
      [0, BLOCK_BYTES, 1],
      [2 * BLOCK_BYTES, BLOCK_BYTES + 1000, 2],
    ])
  })
})

describe('splitAnswer', () => {
  it('hands each block its bytes of the run', () => {
    const answers: Answer[] = []
    const [run] = joinBlocks([block(BLOCK_BYTES, BLOCK_BYTES, answers), block(2 * BLOCK_BYTES, 10, answers)])
    const chunk = Uint8Array.from({ length: BLOCK_BYTES + 10 }, (_, i) => i % 256)
    splitAnswer(run!, null, chunk)
    expect(answers.map((a) => [a.err, a.chunk?.length, a.chunk?.[0]])).toEqual([
      [null, BLOCK_BYTES, 0],
      [null, 10, BLOCK_BYTES % 256],
    ])
  })

  it('fails every block of a run that failed or came short', () => {
    const answers: Answer[] = []
    const [run] = joinBlocks([block(0, BLOCK_BYTES, answers), block(BLOCK_BYTES, BLOCK_BYTES, answers)])
    splitAnswer(run!, new Error('peer is choking'), null)
    splitAnswer(run!, null, new Uint8Array(BLOCK_BYTES))
    expect(answers.map((a) => [a.err?.message.slice(0, 10), a.chunk])).toEqual([
      ['peer is ch', null],
      ['peer is ch', null],
      ['a run of 3', null],
      ['a run of 3', null],
    ])
  })
})

describe('inFlightBudget', () => {
  it('is a quarter of a second at the wire’s speed and two blocks more, one run at least', () => {
    expect(inFlightBudget(0)).toBe(RUN_BYTES)
    expect(inFlightBudget(Number.NaN)).toBe(RUN_BYTES)
    expect(inFlightBudget(4 * 1024 * 1024)).toBe(2 * BLOCK_BYTES + 1024 * 1024)
  })

  it('covers twice a far wire’s delay, up to WebTorrent’s second', () => {
    const speed = 4 * 1024 * 1024
    expect(inFlightBudget(speed, 0.05)).toBe(inFlightBudget(speed)) // near: a quarter second is more
    expect(inFlightBudget(speed, 0.3)).toBe(
      2 * BLOCK_BYTES + Math.ceil((0.6 * speed) / BLOCK_BYTES) * BLOCK_BYTES,
    )
    expect(inFlightBudget(speed, 3)).toBe(2 * BLOCK_BYTES + speed)
    expect(inFlightBudget(speed, Number.NaN)).toBe(inFlightBudget(speed))
  })
})

/** A wire that records what it was asked for; WebTorrent's step reserves the piece's next block. */
function fakeWire(speed: number, inFlight: number[] = []) {
  const sent: [number, number, number][] = []
  const callbacks: BlockCallback[] = []
  const wire: RunWire = {
    requests: inFlight.map((length) => ({ length })),
    downloadSpeed: () => speed,
    request(index, offset, length, cb) {
      sent.push([index, offset, length])
      callbacks.push(cb)
    },
  }
  return { wire, sent, callbacks }
}

function piece(blocks: number) {
  let next = 0
  const reserved: number[] = []
  const step = (wire: RunWire, index: number) => {
    if (next >= blocks) return false
    reserved.push(next)
    wire.request(index, next * BLOCK_BYTES, BLOCK_BYTES, () => {})
    next++
    return true
  }
  return { step, reserved }
}

describe('requestRun', () => {
  it('sends the blocks WebTorrent reserves as one request of a run at most, and puts the wire back', () => {
    const { wire, sent } = fakeWire(0)
    const request = wire.request
    const { step, reserved } = piece(64)
    expect(requestRun(wire, 7, false, step)).toBe(true)
    expect(reserved).toHaveLength(8)
    expect(sent).toEqual([[7, 0, RUN_BYTES]])
    expect(wire.request).toBe(request)
  })

  it('reserves nothing once the wire has its budget asked for, but for an urgent piece; says when nothing was left', () => {
    const busy = fakeWire(0, [RUN_BYTES])
    const { step, reserved } = piece(64)
    expect(requestRun(busy.wire, 1, false, step)).toBe(false)
    expect(reserved).toEqual([])
    expect(requestRun(busy.wire, 1, false, step, true)).toBe(true) // a piece a stream waits for
    expect(busy.sent).toEqual([[1, 0, RUN_BYTES]])
    const idle = fakeWire(0)
    expect(requestRun(idle.wire, 1, false, piece(0).step)).toBe(false)
    expect(idle.sent).toEqual([])
  })

  it('refuses a full wire for the rest of the task without reading its speed again', async () => {
    let reads = 0
    const requests = [{ length: RUN_BYTES }]
    const wire: RunWire = {
      requests,
      downloadSpeed: () => (reads++, 0),
      request: () => {},
    }
    const { step, reserved } = piece(64)
    // WebTorrent offers a full wire every piece of the film in one pass.
    for (let index = 0; index < 1000; index++) expect(requestRun(wire, index, false, step)).toBe(false)
    expect(reads).toBe(1)
    expect(reserved).toEqual([])
    // A piece a stream waits for still goes.
    expect(requestRun(wire, 5, false, step, true)).toBe(true)
    // The answers that free the budget come in later tasks: then the wire is asked again.
    requests.length = 0
    await Promise.resolve()
    expect(requestRun(wire, 6, false, step)).toBe(true)
    expect(reads).toBe(2)
  })

  it('times the answer to a run asked of an idle wire, not those asked behind others', () => {
    let now = 0
    const clock = () => now
    const { wire, callbacks } = fakeWire(0)
    const { step } = piece(64)
    requestRun(wire, 2, false, step, false, clock) // idle: timed
    now = 300
    callbacks[0]!(null, new Uint8Array(RUN_BYTES))
    expect(pathDelay(wire).seconds).toBeCloseTo(0.3)

    const queued = fakeWire(0, [BLOCK_BYTES])
    requestRun(queued.wire, 2, false, piece(64).step, true, clock) // asked behind another: not timed
    now = 5000
    queued.callbacks[0]!(null, new Uint8Array(RUN_BYTES))
    expect(pathDelay(queued.wire).seconds).toBe(0)

    // A shorter answer later is the path's delay; a failed one is not an answer.
    requestRun(wire, 3, false, piece(64).step, false, clock)
    now = 5120
    callbacks[1]!(null, new Uint8Array(RUN_BYTES))
    expect(pathDelay(wire).seconds).toBeCloseTo(0.12)
    requestRun(wire, 4, false, piece(64).step, false, clock)
    callbacks[2]!(new Error('choked'), null)
    expect(pathDelay(wire).seconds).toBeCloseTo(0.12)
  })
})

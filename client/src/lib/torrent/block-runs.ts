/**
 * Larger requests between room members. WebTorrent asks a peer for a piece 16 KiB at a time: per 16 KiB, a
 * request message, an answer's header and body, each a data-channel message and a task on both busy pages,
 * and the sender's store read. Every room member runs this client, whose WebTorrent serves requests of up to
 * 128 KiB (it drops a peer asking for more), so a room wire asks for up to eight adjacent blocks in one
 * request (a run); WebTorrent still reserves, receives and verifies them block by block, so its bookkeeping
 * (hotswaps, cancellations, a failed request) works as before. Strangers from trackers keep 16 KiB requests.
 *
 * The bytes a room wire has asked for and not yet received are `PIPELINE_S` at the wire's speed (or twice its
 * answers' delay, for a far member) and two blocks more, at least one run: a quarter of WebTorrent's own
 * pipeline on a near wire, so what a page has asked for does not hold a room command or a seek's pieces up to a
 * second behind it. A piece a stream waits for (WebTorrent's critical pieces: the one at the play
 * head or a seek's target, and the next) is asked for past that budget, at once, from every room wire that
 * has it (torrent/client.ts): it does not wait for the requests already out to drain.
 * Figures: docs/streaming.md, "Throughput between members".
 */

export const BLOCK_BYTES = 16 * 1024
/** The largest request WebTorrent serves. */
export const RUN_BYTES = 128 * 1024

/** WebTorrent's callback for one block: the block's bytes, or why they will not come. */
export type BlockCallback = (err: Error | null, chunk: Uint8Array | null) => void

/** One reserved block of a piece, as WebTorrent asked for it. */
export interface Block {
  offset: number
  length: number
  done: BlockCallback
}

/** Adjacent blocks of one piece asked for in one request. */
export interface Run {
  offset: number
  length: number
  blocks: Block[]
}

/** Joins blocks (any order) into runs of adjacent blocks of at most `maxBytes` each, in offset order. */
export function joinBlocks(blocks: readonly Block[], maxBytes = RUN_BYTES): Run[] {
  const runs: Run[] = []
  for (const block of [...blocks].sort((a, b) => a.offset - b.offset)) {
    const last = runs.at(-1)
    if (last && last.offset + last.length === block.offset && last.length + block.length <= maxBytes) {
      last.length += block.length
      last.blocks.push(block)
    } else {
      runs.push({ offset: block.offset, length: block.length, blocks: [block] })
    }
  }
  return runs
}

/** Hands each block of a run its part of the answer, or the run's failure (a short answer is one). */
export function splitAnswer(run: Run, err: Error | null, chunk: Uint8Array | null): void {
  const failure =
    err ?? (chunk?.length === run.length ? null : new Error(`a run of ${run.length} bytes came short`))
  for (const block of run.blocks) {
    if (failure || !chunk) block.done(failure, null)
    else block.done(null, chunk.subarray(block.offset - run.offset, block.offset - run.offset + block.length))
  }
}

/**
 * Seconds of a room wire's speed it may have asked for and not received. What is asked for arrives as tasks
 * in the page's one queue, ahead of everything the page receives after it (a room command, a sync ping), so a
 * page that handles the blocks no faster than they come keeps about this much backlog. A far member needs more
 * to keep the wire busy: the budget covers twice the wire's own delay (`pathDelay`) when that is longer.
 */
export const PIPELINE_S = 0.25
/** The most, whatever the delay: WebTorrent's own pipeline. */
export const MAX_PIPELINE_S = 1

/**
 * The bytes a wire at `bytesPerSecond`, `delayS` seconds from its answers, may have asked for and not
 * received: `PIPELINE_S` or twice the delay (up to `MAX_PIPELINE_S`) at its speed, two blocks more, one run at
 * least.
 */
export function inFlightBudget(bytesPerSecond: number, delayS = 0): number {
  const speed = Number.isFinite(bytesPerSecond) && bytesPerSecond > 0 ? bytesPerSecond : 0
  const delay = Number.isFinite(delayS) && delayS > 0 ? delayS : 0
  const seconds = Math.min(MAX_PIPELINE_S, Math.max(PIPELINE_S, 2 * delay))
  return Math.max(RUN_BYTES, 2 * BLOCK_BYTES + Math.ceil((speed * seconds) / BLOCK_BYTES) * BLOCK_BYTES)
}

/**
 * The shortest time one wire took to answer a run asked for while nothing else was asked of it: the path's own
 * delay (the round trip and the sender's read). Runs asked behind others wait in the queue the budget itself
 * makes, so they are not counted: counting them, the budget would grow with its own queue.
 */
export class AnswerDelay {
  #least = Infinity

  /** One answer to a run asked for on an idle wire, after `ms`. */
  sample(ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) this.#least = Math.min(this.#least, ms)
  }

  /** Seconds; 0 before any answer. */
  get seconds(): number {
    return Number.isFinite(this.#least) ? this.#least / 1000 : 0
  }
}

const delays = new WeakMap<object, AnswerDelay>()

/** The answer delay of `wire` (created on first use; it lives as long as the wire). */
export function pathDelay(wire: object): AnswerDelay {
  let delay = delays.get(wire)
  if (!delay) {
    delay = new AnswerDelay()
    delays.set(wire, delay)
  }
  return delay
}

/** The wire fields a run uses (bittorrent-protocol's public API). */
export interface RunWire {
  request: (index: number, offset: number, length: number, cb: BlockCallback) => unknown
  requests: readonly { length: number }[]
  downloadSpeed: () => number
}

/** WebTorrent's own step: reserves one block of piece `index` and asks `wire` for it; false when it can't. */
export type RequestBlock = (wire: RunWire, index: number, hotswap: boolean) => boolean

/**
 * Wires found with their budget's worth asked for, until the current task's microtasks are done. WebTorrent
 * fills a wire by offering it every piece of every selection in turn (`_updateWire`), and stops only once the
 * wire holds its own pipeline's count of requests, which a wire asking for runs never reaches: so once the
 * budget is full, every further piece of a 1 GB film (a thousand and more) is offered and refused, each refusal
 * reading the wire's speed, after every answer. Measured on a leecher streaming a film: ~60 % of its main thread
 * (docs/streaming.md, "Throughput between members"). Answers, which free the budget, come as tasks of their
 * own, so within one task a full wire stays full, and the refusals after the first cost a set lookup.
 */
const full = new Set<object>()
let fullClearQueued = false

function markFull(wire: object): void {
  full.add(wire)
  if (fullClearQueued) return
  fullClearQueued = true
  queueMicrotask(() => {
    full.clear()
    fullClearQueued = false
  })
}

/** Whether `wire` has its budget's worth asked for; a full wire is remembered as such for the rest of the task. */
export function budgetFull(wire: RunWire): boolean {
  if (full.has(wire)) return true
  const asked = wire.requests.reduce((sum, r) => sum + r.length, 0)
  if (asked < inFlightBudget(wire.downloadSpeed(), pathDelay(wire).seconds)) return false
  markFull(wire)
  return true
}

/**
 * Asks `wire` for a run of piece `index`: lets WebTorrent reserve up to a run's worth of blocks (`requestBlock`,
 * its `_request`) while its requests are collected instead of sent, then sends them joined. False, as
 * WebTorrent's would be, when nothing was reserved or the wire has its budget's worth asked for already
 * (`urgent`: a piece a stream waits for, asked for whatever the budget).
 */
export function requestRun(
  wire: RunWire,
  index: number,
  hotswap: boolean,
  requestBlock: RequestBlock,
  urgent = false,
  now: () => number = () => performance.now(),
): boolean {
  if (!urgent && budgetFull(wire)) return false
  const idle = wire.requests.length === 0
  const delay = pathDelay(wire)
  const blocks: Block[] = []
  const own = Object.hasOwn(wire, 'request')
  const send = wire.request
  wire.request = (_index, offset, length, done) => blocks.push({ offset, length, done })
  try {
    let bytes = 0
    while (bytes < RUN_BYTES && requestBlock(wire, index, hotswap))
      bytes = blocks.reduce((s, b) => s + b.length, 0)
  } finally {
    if (own) wire.request = send
    else delete (wire as Partial<RunWire>).request
  }
  const sentAt = now()
  joinBlocks(blocks).forEach((run, i) => {
    // The first run asked of an idle wire waits behind nothing: its answer times the path.
    const timed = i === 0 && idle
    send.call(wire, index, run.offset, run.length, (err, chunk) => {
      if (timed && !err) delay.sample(now() - sentAt)
      splitAnswer(run, err, chunk)
    })
  })
  return blocks.length > 0
}

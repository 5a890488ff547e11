/**
 * Fewer, larger data-channel messages for a stream written to a WebRTC peer (a torrent wire). The wire is a
 * byte stream, so where its messages are cut does not matter to the peer; but WebTorrent's wire writes every
 * piece message as two chunks (a 13-byte header, then the 16 KiB block) and every request and `have` as a
 * chunk of its own, and each chunk sent alone is one data-channel message: one task on the receiving page's
 * main thread, one pass through simple-peer's and the wire's stream machinery, and SCTP's per-message work in
 * both browsers. On pages that also play video on a shared CPU, that per-message cost is what holds a
 * download below what the channel carries.
 *
 * `SendBatch` gathers the chunks written in one go (the microtasks of one task: WebTorrent answers a burst of
 * requests, or sends a burst of requests, from one event) and sends them as one message of up to
 * `SEND_BATCH_MAX_BYTES`, in order. It waits for no timer: a batch goes out once a few microtasks pass with
 * nothing new written, still within the task that wrote it, or at once when it is full.
 */

/**
 * The largest message a batch makes. 64 KiB is within what every WebRTC implementation accepts (the SDP's
 * `max-message-size` is 64 KiB or more) and small enough that the receiving wire's reassembly copies stay
 * cheap; a single chunk larger than this goes as it is.
 */
export const SEND_BATCH_MAX_BYTES = 64 * 1024

/**
 * How many microtasks in a row without a write end a batch: a stream pipeline (streamx, under simple-peer and
 * the wire) hands on each chunk a few microtasks after the one before, and this stays within the same task.
 */
const IDLE_MICROTASKS = 8

export class SendBatch {
  readonly #send: (bytes: Uint8Array) => void
  readonly #maxBytes: number
  #chunks: Uint8Array[] = []
  #bytes = 0
  /** Bumped by every write: a flush waits until a microtask passes without one. */
  #writes = 0
  #scheduled = false

  /** `send` puts one message on the channel (and deals with a channel that refuses it). */
  constructor(send: (bytes: Uint8Array) => void, maxBytes = SEND_BATCH_MAX_BYTES) {
    this.#send = send
    this.#maxBytes = maxBytes
  }

  /** Bytes written and not yet sent. */
  get pendingBytes(): number {
    return this.#bytes
  }

  /** Adds a chunk to the batch; sends the batch first when the chunk would overfill it. */
  write(chunk: Uint8Array): void {
    if (this.#bytes > 0 && this.#bytes + chunk.length > this.#maxBytes) this.flush()
    this.#chunks.push(chunk)
    this.#bytes += chunk.length
    this.#writes++
    if (this.#bytes >= this.#maxBytes) return this.flush()
    if (!this.#scheduled) this.#schedule(this.#writes)
  }

  /** Sends what is gathered now, as one message. */
  flush(): void {
    if (this.#bytes === 0) return
    const chunks = this.#chunks
    const bytes = this.#bytes
    this.#chunks = []
    this.#bytes = 0
    this.#send(chunks.length === 1 ? chunks[0]! : join(chunks, bytes))
  }

  /** Drops what is gathered (the peer is gone). */
  clear(): void {
    this.#chunks = []
    this.#bytes = 0
  }

  /** Flushes once IDLE_MICROTASKS microtasks in a row passed with nothing written. */
  #schedule(seen: number, idle = 0): void {
    this.#scheduled = true
    queueMicrotask(() => {
      if (this.#writes !== seen) return this.#schedule(this.#writes)
      if (idle + 1 < IDLE_MICROTASKS) return this.#schedule(seen, idle + 1)
      this.#scheduled = false
      this.flush()
    })
  }
}

function join(chunks: readonly Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

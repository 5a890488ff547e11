/**
 * Where an MSE stream's bytes go (media/mse.ts): a MediaSource with one SourceBuffer, owned by a dedicated
 * worker where the browser can (`WorkerSink`, media/worker-sink.ts) or by the page (`PageSink`).
 *
 * Chromium parses an append 128 KiB at a time, each step a task on the thread that owns the MediaSource. On a
 * page busy with a torrent's messages every step waits its turn behind them: a 1 MiB append took 0.2–1.5 s to
 * end while a film's seek waited for it (docs/streaming.md, "Appends off the page's thread"). A worker's
 * thread has nothing else queued.
 */

export type SinkState = 'closed' | 'open' | 'ended'

export interface MediaSink {
  /** The element plays `url` (as `src`); empty when `mount` attaches the source instead. */
  readonly url: string
  /** Attaches the source to the element (`srcObject`), now or once the worker handed it over. */
  mount?(element: HTMLMediaElement): void
  /** Resolves once the element opened the source (`sourceopen`); rejects if it never can (its worker failed). */
  readonly opened: Promise<void>
  readonly readyState: SinkState
  /** Adds the one SourceBuffer; rejects as `addSourceBuffer` throws. */
  addSourceBuffer(mimeType: string): Promise<void>
  setDuration(seconds: number): void
  /**
   * Resolves once the SourceBuffer took the bytes (`updateend`). Rejects with the `DOMException` that
   * `appendBuffer` threw (`QuotaExceededError`: full), or an `Error` when the buffer failed to take them.
   *
   * `owned`: nothing else holds `bytes` or the buffer under them (an MP4's fragments, made for this append).
   * A sink in a worker then moves the buffer there instead of copying it, which empties `bytes` here; after a
   * failed append the worker hands the bytes back, so appending the same `bytes` again appends them.
   */
  append(bytes: Uint8Array, owned?: boolean): Promise<void>
  remove(start: number, end: number): Promise<void>
  /** Resolves once no append or removal is in progress. */
  idle(): Promise<void>
  /** Resets the parser for a new run of media (`abort()`); only while open and idle. */
  abort(): void
  endOfStream(): void
  /** `listener` runs once the element lets go of the source (`sourceclose`). */
  onClose(listener: () => void): void
  /** Frees what backs the source (its URL, its worker). */
  destroy(): void
}

/**
 * Resolves once `buffer` has no append or removal in progress (at once when it has none, else at its
 * `updateend`); rejects when its `error` says it failed to take a chunk. On the page (`PageSink`) and in the
 * worker (media/sink-worker.ts) alike.
 */
export function settled(buffer: SourceBuffer): Promise<void> {
  if (!buffer.updating) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const done = () => {
      buffer.removeEventListener('updateend', done)
      buffer.removeEventListener('error', failed)
      resolve()
    }
    const failed = () => {
      done()
      reject(new Error('the SourceBuffer failed to take a chunk'))
    }
    buffer.addEventListener('updateend', done)
    buffer.addEventListener('error', failed)
  })
}

/** A MediaSource on the page's own thread: where no worker can own one, or `theatron:mse-thread` = `page`. */
export class PageSink implements MediaSink {
  readonly url: string
  readonly opened: Promise<void>
  readonly #mediaSource = new MediaSource()
  #buffer: SourceBuffer | null = null

  constructor() {
    this.url = URL.createObjectURL(this.#mediaSource)
    this.opened = new Promise((resolve) =>
      this.#mediaSource.addEventListener('sourceopen', () => resolve(), { once: true }),
    )
  }

  get readyState(): SinkState {
    return this.#mediaSource.readyState
  }

  addSourceBuffer(mimeType: string): Promise<void> {
    this.#buffer = this.#mediaSource.addSourceBuffer(mimeType)
    return Promise.resolve()
  }

  setDuration(seconds: number): void {
    this.#mediaSource.duration = seconds
  }

  async append(bytes: Uint8Array): Promise<void> {
    const buffer = this.#buffer
    if (!buffer) return
    await this.idle()
    buffer.appendBuffer(bytes as Uint8Array<ArrayBuffer>)
    await this.idle()
  }

  async remove(start: number, end: number): Promise<void> {
    const buffer = this.#buffer
    if (!buffer) return
    await this.idle()
    buffer.remove(start, end)
    await this.idle()
  }

  idle(): Promise<void> {
    return this.#buffer ? settled(this.#buffer) : Promise.resolve()
  }

  abort(): void {
    if (this.#mediaSource.readyState === 'open') this.#buffer?.abort()
  }

  endOfStream(): void {
    if (this.#mediaSource.readyState === 'open') this.#mediaSource.endOfStream()
  }

  onClose(listener: () => void): void {
    this.#mediaSource.addEventListener('sourceclose', listener, { once: true })
  }

  destroy(): void {
    URL.revokeObjectURL(this.url)
  }
}

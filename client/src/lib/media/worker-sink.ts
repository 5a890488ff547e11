/**
 * The page's side of an MSE stream whose MediaSource a dedicated worker owns (media/sink-worker.ts, the wire in
 * media/sink-wire.ts): operations go to the worker and resolve when it answers; the element gets the source's
 * handle as its `srcObject`. One worker per stream, started ahead of need: a spare waits for the next stream.
 */
import * as v from 'valibot'
import { twoWaySetting } from '../config.ts'
import { PageSink, type MediaSink, type SinkState } from './sink.ts'
import { errorOf, SinkReport, type SinkRequest } from './sink-wire.ts'

/** After a stream took the spare worker, the next spare starts this much later (not in the stream's start). */
const SPARE_AFTER_MS = 1_000
/** A destroyed sink's worker ends when the element lets go of its source, or after this long at most. */
const LINGER_MS = 10_000

export type MseThread = 'worker' | 'page'

/**
 * `theatron:mse-thread` / VITE_MSE_THREAD: `worker` (the default) appends in a worker where the browser can
 * (`MediaSource.canConstructInDedicatedWorker`); `page` appends on the page's thread, as browsers without it do.
 */
export function mseThread(storage: Pick<Storage, 'getItem'>): MseThread {
  return twoWaySetting(storage, 'mse-thread', import.meta.env.VITE_MSE_THREAD, ['worker', 'page'])
}

/** A sink on the thread the setting and the browser allow. */
export function createSink(): MediaSink {
  const canWork = typeof Worker !== 'undefined' && MediaSource.canConstructInDedicatedWorker === true
  return canWork && mseThread(localStorage) === 'worker' ? new WorkerSink(takeWorker()) : new PageSink()
}

/** A started worker and what it reported before anyone listened: its messages, or that it failed. */
export interface StartedWorker {
  worker: Worker
  early: MessageEvent<unknown>[]
  failed?: string
}

let spare: StartedWorker | null = null

function startWorker(): StartedWorker {
  const worker = new Worker(new URL('./sink-worker.ts', import.meta.url), { type: 'module' })
  const started: StartedWorker = { worker, early: [] }
  worker.onmessage = (event) => started.early.push(event)
  worker.onerror = (event) => {
    event.preventDefault()
    started.failed = event.message
  }
  return started
}

function takeWorker(): StartedWorker {
  const taken = spare ?? startWorker()
  spare = null
  setTimeout(() => (spare ??= startWorker()), SPARE_AFTER_MS)
  return taken
}

/** An operation asked of the worker; `appended`: the caller's bytes, for an append. */
type Pending = { resolve: () => void; reject: (err: Error) => void; appended: Uint8Array | null }

export class WorkerSink implements MediaSink {
  readonly url = ''
  readonly opened: Promise<void>
  #state: SinkState = 'closed'
  readonly #worker: Worker
  #handle: MediaSourceHandle | null = null
  #element: HTMLMediaElement | null = null
  #nextId = 0
  readonly #pending = new Map<number, Pending>()
  /** The bytes of a failed append, given back by the worker, under the caller's array that sent them. */
  readonly #returned = new WeakMap<Uint8Array, Uint8Array<ArrayBuffer>>()
  /** The last operation asked for, settled either way: what `idle` waits for. */
  #last: Promise<void> = Promise.resolve()
  readonly #closeListeners: (() => void)[] = []
  #markOpened: () => void = () => {}
  #failOpen: (err: Error) => void = () => {}
  #destroyed = false

  constructor({ worker, early, failed }: StartedWorker) {
    this.#worker = worker
    this.opened = new Promise((resolve, reject) => {
      this.#markOpened = resolve
      this.#failOpen = reject
    })
    // A worker that fails before its source opens fails the stream's start (it then plays another way).
    this.opened.catch(() => {})
    worker.onmessage = (event) => this.#receive(event.data)
    worker.onerror = (event) => {
      event.preventDefault()
      this.#failed(event.message)
    }
    for (const event of early) this.#receive(event.data)
    if (failed !== undefined) this.#failed(failed)
  }

  get readyState(): SinkState {
    return this.#state
  }

  mount(element: HTMLMediaElement): void {
    this.#element = element
    if (this.#handle) attach(element, this.#handle)
  }

  addSourceBuffer(mimeType: string): Promise<void> {
    return this.#call({ type: 'add', id: this.#id(), mimeType })
  }

  setDuration(seconds: number): void {
    this.#post({ type: 'duration', seconds })
  }

  append(bytes: Uint8Array, owned = false): Promise<void> {
    // Bytes the caller keeps (a piece the store holds) go as a copy; either way the buffer is moved, not cloned.
    const back = this.#returned.get(bytes)
    this.#returned.delete(bytes)
    const given = back ?? (owned ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice())
    if (this.#state === 'ended') this.#state = 'open' // an append reopens an ended source
    return this.#call({ type: 'append', id: this.#id(), bytes: given }, [given.buffer], bytes)
  }

  remove(start: number, end: number): Promise<void> {
    return this.#call({ type: 'remove', id: this.#id(), start, end })
  }

  idle(): Promise<void> {
    return this.#last
  }

  abort(): void {
    if (this.#state === 'open') this.#post({ type: 'abort' })
  }

  endOfStream(): void {
    if (this.#state !== 'open') return
    this.#state = 'ended'
    this.#post({ type: 'end' })
  }

  onClose(listener: () => void): void {
    this.#closeListeners.push(listener)
  }

  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#fail(new Error('the media source is gone'))
    // The element may still hold the source: the worker ends once it lets go, so no error shows meanwhile.
    if (this.#state === 'closed') this.#worker.terminate()
    else setTimeout(() => this.#worker.terminate(), LINGER_MS)
  }

  #id(): number {
    return this.#nextId++
  }

  #post(request: SinkRequest, transfer: Transferable[] = []): void {
    if (!this.#destroyed) this.#worker.postMessage(request, transfer)
  }

  #call(
    request: SinkRequest & { id: number },
    transfer: Transferable[] = [],
    appended: Uint8Array | null = null,
  ): Promise<void> {
    if (this.#destroyed) return Promise.reject(new Error('the media source is gone'))
    const answered = new Promise<void>((resolve, reject) =>
      this.#pending.set(request.id, { resolve, reject, appended }),
    )
    this.#last = answered.catch(() => {})
    this.#post(request, transfer)
    return answered
  }

  #receive(data: unknown): void {
    const parsed = v.safeParse(SinkReport, data)
    if (!parsed.success) return console.warn('mse: ignored a malformed report from the media worker')
    const report = parsed.output
    switch (report.type) {
      case 'handle':
        this.#handle = report.handle
        if (this.#element && !this.#destroyed) attach(this.#element, report.handle)
        return
      case 'open':
        this.#state = 'open'
        this.#markOpened()
        return
      case 'close':
        this.#state = 'closed'
        if (this.#destroyed) this.#worker.terminate()
        for (const listener of this.#closeListeners.splice(0)) listener()
        return
      case 'done': {
        const pending = this.#pending.get(report.id)
        this.#pending.delete(report.id)
        if (pending?.appended && report.bytes) this.#returned.set(pending.appended, report.bytes)
        if (report.failure) pending?.reject(errorOf(report.failure))
        else pending?.resolve()
        return
      }
    }
  }

  #failed(message: string): void {
    const err = new Error(`the media worker failed: ${message}`)
    this.#failOpen(err)
    this.#fail(err)
  }

  #fail(err: Error): void {
    for (const pending of this.#pending.values()) pending.reject(err)
    this.#pending.clear()
  }
}

/** `srcObject` takes a MediaSourceHandle (TypeScript's DOM library types it for streams only). */
function attach(element: HTMLMediaElement, handle: MediaSourceHandle): void {
  ;(element as unknown as { srcObject: MediaSourceHandle }).srcObject = handle
}

/**
 * A piece's SHA-1 taken in a worker without a copy of its bytes: they move to the worker and back
 * (transferred), and the worker digests them with hash-wasm's SHA-1 (torrent/piece-check-worker.ts).
 * WebCrypto's `digest` first copies its input on the calling thread; for a film's 1 MiB pieces that copy is a
 * fresh mebibyte each, ~3.5 ms of the page's thread on the machine of docs/benchmarks.md ("Fresh memory in
 * the pages"). Where no worker can run (unit tests, a worker that failed to start), the page digests with
 * WebCrypto as before.
 */
import { webCryptoSha1 } from './sha1.ts'

/** Bytes and their SHA-1; `bytes` are the caller's, back from wherever they were digested. */
export interface Checked {
  digest: Uint8Array
  bytes: Uint8Array<ArrayBuffer>
}

/** Digests `bytes`; the caller uses the returned `bytes` from then on (the given ones may have moved away). */
export type PieceCheck = (bytes: Uint8Array<ArrayBuffer>) => Promise<Checked>

export const checkInPage: PieceCheck = async (bytes) => ({ digest: await webCryptoSha1(bytes), bytes })

/** Page → worker. */
export interface CheckRequest {
  id: number
  bytes: Uint8Array<ArrayBuffer>
}

/** Worker → page: the bytes always come back, with their digest or why there is none. */
export type CheckAnswer =
  | { id: number; bytes: Uint8Array<ArrayBuffer>; digest: Uint8Array }
  | { id: number; bytes: Uint8Array<ArrayBuffer>; error: string }

/** The part of a `Worker` the checker uses. */
export interface CheckWorker {
  onmessage: ((event: MessageEvent<CheckAnswer>) => void) | null
  onerror: ((event: ErrorEvent) => void) | null
  postMessage(request: CheckRequest, transfer: Transferable[]): void
}

type Pending = { resolve: (checked: Checked) => void; reject: (err: Error) => void }

/**
 * Checks pieces in one worker, started at the first piece. A worker that fails fails what it holds (those
 * pieces are left to the torrent) and every later piece is digested on the page.
 */
export class PieceChecker {
  readonly #start: () => CheckWorker | null
  #worker: CheckWorker | null | undefined
  readonly #pending = new Map<number, Pending>()
  #nextId = 0

  constructor(start: () => CheckWorker | null) {
    this.#start = start
  }

  readonly check: PieceCheck = (bytes) => {
    const worker = this.#started()
    if (!worker) return checkInPage(bytes)
    const id = this.#nextId++
    const checked = new Promise<Checked>((resolve, reject) => this.#pending.set(id, { resolve, reject }))
    worker.postMessage({ id, bytes }, [bytes.buffer])
    return checked
  }

  #started(): CheckWorker | null {
    if (this.#worker !== undefined) return this.#worker
    const worker = this.#start()
    this.#worker = worker
    if (!worker) return null
    worker.onmessage = ({ data }) => this.#answered(data)
    worker.onerror = (event) => {
      event.preventDefault()
      this.#worker = null
      const err = new Error(`the piece-check worker failed: ${event.message}`)
      for (const pending of this.#pending.values()) pending.reject(err)
      this.#pending.clear()
    }
    return worker
  }

  #answered(answer: CheckAnswer): void {
    const pending = this.#pending.get(answer.id)
    this.#pending.delete(answer.id)
    if (!pending) return
    if ('digest' in answer) pending.resolve({ digest: answer.digest, bytes: answer.bytes })
    else pending.reject(new Error(`the piece could not be digested: ${answer.error}`))
  }
}

/** The page's checker: a module worker where the browser has one. */
export const pieceChecker = new PieceChecker(() =>
  typeof Worker === 'undefined'
    ? null
    : (new Worker(new URL('./piece-check-worker.ts', import.meta.url), { type: 'module' }) as CheckWorker),
)

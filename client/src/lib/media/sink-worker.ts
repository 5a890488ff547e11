/**
 * A dedicated worker that owns the MediaSource of one MSE stream (media/worker-sink.ts). It hands the page the
 * source's handle for the element's `srcObject`, then runs the page's operations on its SourceBuffer one
 * after another, answering each by its id. Chromium parses what is appended in steps on this thread, where
 * nothing else waits.
 */
import * as v from 'valibot'
import { settled } from './sink.ts'
import { failureOf, SinkRequest, type SinkReport } from './sink-wire.ts'

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<unknown>) => void) | null
  postMessage(report: SinkReport, transfer?: Transferable[]): void
}

const mediaSource = new MediaSource()
let buffer: SourceBuffer | null = null
/** Each operation starts once the one before it ended. */
let queue: Promise<void> = Promise.resolve()

// A worker's MediaSource has a handle (TypeScript's DOM library declares it for workers only).
const { handle } = mediaSource as MediaSource & { readonly handle: MediaSourceHandle }
scope.postMessage({ type: 'handle', handle }, [handle])
mediaSource.addEventListener('sourceopen', () => scope.postMessage({ type: 'open' }))
mediaSource.addEventListener('sourceclose', () => scope.postMessage({ type: 'close' }))

scope.onmessage = ({ data }) => {
  const parsed = v.safeParse(SinkRequest, data)
  if (parsed.success) run(parsed.output)
  else console.warn('mse worker: ignored a malformed request')
}

function run(request: SinkRequest): void {
  switch (request.type) {
    case 'add':
      return answer(request.id, () => {
        buffer = mediaSource.addSourceBuffer(request.mimeType)
      })
    case 'duration':
      return later(() => {
        mediaSource.duration = request.seconds
      })
    case 'append':
      return answer(
        request.id,
        () => {
          const target = opened()
          target.appendBuffer(request.bytes as Uint8Array<ArrayBuffer>)
          return settled(target)
        },
        request.bytes,
      )
    case 'remove':
      return answer(request.id, () => {
        const target = opened()
        target.remove(request.start, request.end)
        return settled(target)
      })
    case 'abort':
      return later(() => {
        if (mediaSource.readyState === 'open') buffer?.abort()
      })
    case 'end':
      return later(() => {
        if (mediaSource.readyState === 'open' && !buffer?.updating) mediaSource.endOfStream()
      })
  }
}

/**
 * Runs `operation` after those before it, then answers `id`: done, or what it threw. A failed append's bytes
 * (`appended`) go back with the answer: the page appends them again once there is room.
 */
function answer(id: number, operation: () => void | Promise<void>, appended?: Uint8Array<ArrayBuffer>): void {
  queue = queue.then(operation).then(
    () => scope.postMessage({ type: 'done', id }),
    (err: unknown) =>
      appended
        ? scope.postMessage({ type: 'done', id, failure: failureOf(err), bytes: appended }, [appended.buffer])
        : scope.postMessage({ type: 'done', id, failure: failureOf(err) }),
  )
}

/** Runs `operation` after those before it; nothing waits for it, so a failure is only logged. */
function later(operation: () => void): void {
  queue = queue.then(operation).catch((err: unknown) => console.warn('mse worker:', err))
}

function opened(): SourceBuffer {
  if (!buffer) throw new DOMException('no SourceBuffer yet', 'InvalidStateError')
  return buffer
}

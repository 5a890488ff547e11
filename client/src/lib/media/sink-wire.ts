/**
 * The wire between a page and its MSE worker (media/sink-worker.ts, media/worker-sink.ts): the page asks for
 * the MediaSource's operations, the worker answers each by its `id` and reports the source's state. Both
 * sides check what they receive.
 */
import * as v from 'valibot'

const id = v.pipe(v.number(), v.integer(), v.minValue(0))
const seconds = v.pipe(v.number(), v.finite(), v.minValue(0))

/** Page → worker. */
export const SinkRequest = v.variant('type', [
  v.object({ type: v.literal('add'), id, mimeType: v.pipe(v.string(), v.maxLength(256)) }),
  v.object({ type: v.literal('duration'), seconds }),
  v.object({ type: v.literal('append'), id, bytes: v.instance(Uint8Array) }),
  v.object({ type: v.literal('remove'), id, start: seconds, end: seconds }),
  v.object({ type: v.literal('abort') }),
  v.object({ type: v.literal('end') }),
])
export type SinkRequest = v.InferOutput<typeof SinkRequest>

const failure = v.object({
  name: v.pipe(v.string(), v.maxLength(100)),
  message: v.pipe(v.string(), v.maxLength(1000)),
})
export type SinkFailure = v.InferOutput<typeof failure>

/** Worker → page. `handle`: the MediaSource's handle, for the element's `srcObject`. */
export const SinkReport = v.variant('type', [
  v.object({ type: v.literal('handle'), handle: v.custom<MediaSourceHandle>(isHandle) }),
  v.object({ type: v.literal('open') }),
  v.object({ type: v.literal('close') }),
  // `bytes`: a failed append's bytes, handed back (media/worker-sink.ts).
  v.object({
    type: v.literal('done'),
    id,
    failure: v.optional(failure),
    bytes: v.optional(v.instance(Uint8Array)),
  }),
])
export type SinkReport = v.InferOutput<typeof SinkReport>

function isHandle(value: unknown): boolean {
  return typeof MediaSourceHandle !== 'undefined' && value instanceof MediaSourceHandle
}

/** What a thrown value says, for the page to throw again as the same kind of error. */
export function failureOf(err: unknown): SinkFailure {
  if (err instanceof Error) return { name: err.name, message: err.message.slice(0, 1000) }
  return { name: 'Error', message: String(err).slice(0, 1000) }
}

/** The error a page throws for a failure the worker reported: a `DOMException` as `appendBuffer` throws one. */
export function errorOf(failure: SinkFailure): Error {
  return failure.name === 'Error'
    ? new Error(failure.message)
    : new DOMException(failure.message, failure.name)
}

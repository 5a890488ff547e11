/**
 * Streaming failures as stable codes plus a sentence a person understands. WebTorrent reports errors as
 * plain `Error`s with English messages; `toStreamError` is the one place that reads those messages.
 */

export type StreamErrorCode =
  | 'invalid-source'
  | 'no-playable-file'
  | 'waiting-for-peers'
  | 'storage-full'
  | 'no-service-worker'
  | 'not-found'
  | 'destroyed'
  | 'torrent-failed'
  | 'unsupported-codec'

const MESSAGES: Record<StreamErrorCode, string> = {
  'invalid-source': 'That link or file isn’t a torrent that can be opened.',
  'no-playable-file': 'This torrent has no video or audio file this browser can play.',
  'waiting-for-peers': 'Waiting for peers… nobody sharing this video is reachable yet.',
  'storage-full':
    'The browser ran out of storage space for this video. Remove something from the playlist or free some disk space.',
  'no-service-worker':
    'Streaming needs a secure page (HTTPS or localhost) where service workers are allowed; this page has none.',
  'not-found': 'That video isn’t loaded any more.',
  destroyed: 'The player was closed.',
  'torrent-failed': 'Something went wrong with this torrent.',
  'unsupported-codec': 'This video uses a codec this browser cannot play.',
}

/** A failure with a stable `code` and a `message` written for the person watching. */
export class StreamError extends Error {
  override name = 'StreamError'
  readonly code: StreamErrorCode

  /** `message`: a more precise sentence than the code's own (which codec, for `unsupported-codec`). */
  constructor(code: StreamErrorCode, cause?: unknown, message?: string) {
    super(message ?? MESSAGES[code], cause === undefined ? undefined : { cause })
    this.code = code
  }
}

/** Maps anything thrown or emitted by WebTorrent, the service worker or storage to a StreamError. */
export function toStreamError(err: unknown): StreamError {
  if (err instanceof StreamError) return err
  const name = err instanceof Error || err instanceof DOMException ? err.name : ''
  const text = err instanceof Error || err instanceof DOMException ? err.message : String(err)
  if (name === 'QuotaExceededError' || /quota|no space|disk is full/i.test(text)) {
    return new StreamError('storage-full', err)
  }
  if (/invalid torrent identifier|invalid magnet|info ?hash/i.test(text))
    return new StreamError('invalid-source', err)
  if (/service ?worker|worker registration|worker isn't activated/i.test(text)) {
    return new StreamError('no-service-worker', err)
  }
  if (/(client|torrent) is destroyed/i.test(text)) return new StreamError('destroyed', err)
  return new StreamError('torrent-failed', err)
}

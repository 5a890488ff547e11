/**
 * Fewer, larger chunks for the service worker's stream.
 *
 * WebTorrent's service worker pulls a file one chunk at a time: each pull is a message to the page, whose
 * answer is the next chunk of the file iterator, one piece (16 KiB for small torrents). While a video starts,
 * the page's main thread is busy and each round trip waits there for tens of ms: the first 150 KB of a WebM
 * take eight round trips, although every piece is already verified. `coalesce` answers a pull with the next
 * chunk and, when the pieces after it are already verified, them too, in one chunk of up to `maxBytes`. It
 * never waits for a piece that is not there: only the first chunk of each answer may wait for the network;
 * the rest only read what the store has.
 */
import { concat } from '../media/bytes.ts'

/** Where the iterated range lies in the torrent, and which pieces are verified. */
export interface RangeLayout {
  /** Byte offset of the range's first byte in the torrent (file offset + range start). */
  start: number
  /** Byte offset of the range's last byte in the torrent (inclusive). */
  end: number
  pieceLength: number
  /** Whether a piece is verified (in the store): reading it waits for no peer. */
  has(piece: number): boolean
}

/** The cap on one coalesced chunk: a structured-clone copy to the worker, and what it holds at most. */
const COALESCE_MAX_BYTES = 512 * 1024

export function coalesce(
  inner: AsyncIterator<Uint8Array>,
  layout: RangeLayout,
  maxBytes = COALESCE_MAX_BYTES,
): AsyncIterableIterator<Uint8Array> {
  let position = layout.start
  let done = false

  const pull = async (): Promise<Uint8Array | null> => {
    const result = await inner.next()
    if (result.done || !result.value) {
      done = true
      return null
    }
    position += result.value.byteLength
    return result.value
  }

  const nextIsThere = (total: number): boolean =>
    !done &&
    total < maxBytes &&
    position <= layout.end &&
    layout.has(Math.floor(position / layout.pieceLength))

  return {
    [Symbol.asyncIterator]() {
      return this
    },
    async next(): Promise<IteratorResult<Uint8Array>> {
      if (done) return { done: true, value: undefined }
      const first = await pull()
      if (!first) return { done: true, value: undefined }
      const parts = [first]
      let total = first.byteLength
      while (nextIsThere(total)) {
        const part = await pull()
        if (!part) break
        parts.push(part)
        total += part.byteLength
      }
      return { done: false, value: concat(parts, total) }
    },
    async return(): Promise<IteratorResult<Uint8Array>> {
      done = true
      await inner.return?.()
      return { done: true, value: undefined }
    },
  }
}

/**
 * The byte range a media request asks for (`Range: bytes=N-` or `bytes=N-M`), clamped to the file;
 * null for anything else (no header, suffix ranges, several ranges), which is then served unchanged.
 */
export function requestedRange(
  header: string | undefined,
  fileLength: number,
): { start: number; end: number } | null {
  if (header === undefined) return fileLength > 0 ? { start: 0, end: fileLength - 1 } : null
  const match = /^bytes=(\d+)-(\d*)$/.exec(header.trim())
  if (!match) return null
  const start = Number(match[1])
  const end = match[2] === '' ? fileLength - 1 : Math.min(Number(match[2]), fileLength - 1)
  return start <= end ? { start, end } : null
}

/** What a WebTorrent file hands to its `iterator` listeners (its stream server asks before serving). */
export interface IteratorEvent {
  iterator: AsyncIterator<Uint8Array>
  req: { headers: Record<string, string | undefined> }
}

/** The part of a WebTorrent file and torrent that `coalesceStreams` reads (typed structurally). */
export interface StreamedFile {
  offset: number
  length: number
  on(
    event: 'iterator',
    listener: (event: IteratorEvent, use: (target: AsyncIterable<Uint8Array>) => void) => void,
  ): unknown
}
export interface PieceTable {
  pieceLength: number
  bitfield?: { get(index: number): boolean } | null
}

const hooked = new WeakSet<StreamedFile>()

/**
 * Serve every stream of `file` through `coalesce`, using WebTorrent's own hook: a file emits `iterator`
 * before its stream server reads it, and a listener may hand back another iterable. Once per file.
 */
export function coalesceStreams(file: StreamedFile, torrent: PieceTable): void {
  if (hooked.has(file)) return
  hooked.add(file)
  file.on('iterator', ({ iterator, req }, use) => {
    const range = requestedRange(req.headers.range || undefined, file.length)
    if (!range || !(torrent.pieceLength > 0)) return
    use(
      coalesce(iterator, {
        start: file.offset + range.start,
        end: file.offset + range.end,
        pieceLength: torrent.pieceLength,
        has: (piece) => torrent.bitfield?.get(piece) === true,
      }),
    )
  })
}

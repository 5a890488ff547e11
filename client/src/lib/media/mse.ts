/**
 * A WebM file of a torrent fed to a `<video>` through Media Source Extensions: the page appends the torrent's
 * verified bytes to a SourceBuffer itself, instead of the element fetching them through WebTorrent's service
 * worker (a message hop through the worker and back into this busy page per chunk, and Range requests).
 *
 * - Starts at once: the MediaSource opens while the first piece is on its way; the first bytes give the
 *   codecs (media/webm.ts), the SourceBuffer opens with them, and every chunk is appended as it is verified.
 * - Seeks: a seek to a time that is not buffered fetches from the cluster holding it, found in the file's
 *   Cues (read once, at the first such seek); without Cues the bytes keep coming in order.
 * - Bounded: it appends at most `AHEAD_S` seconds past the playhead; Chromium evicts what is far behind, and
 *   when an append still does not fit, the played part is removed first.
 * - Falls back: a file whose head this module can't read, whose codecs MSE refuses, or whose head the
 *   SourceBuffer won't take, is handed back (`fallback`) to be played the ordinary way.
 */
import { bufferedAhead, rangeEnd } from './buffered.ts'
import { concat } from './bytes.ts'
import type { PlayheadView } from './target.ts'
import { clusterFor, elementLength, ID, parseCues, parseHead, type CuePoint, type WebmHead } from './webm.ts'

/** How far past the playhead it appends before waiting for playback to move. */
export const AHEAD_S = 60
/** When an append doesn't fit, the played part up to this far behind the playhead is removed. */
export const BEHIND_KEEP_S = 10
/**
 * A seek whose cluster starts at most this many bytes after where the running read is, all of them already
 * downloaded, waits for that read (appending them takes milliseconds) instead of starting another.
 */
export const NEAR_BYTES = 1024 * 1024
/** A buffered range ending this close to the media's end reaches it: nothing is left to read. */
const END_S = 0.05

/** The bytes of one file: `read(start, end)` yields [start, end] (end inclusive; the file's end by default). */
export interface ByteSource {
  length: number
  read(start: number, end?: number): AsyncIterator<Uint8Array>
  /** Whether every byte of [start, end) is downloaded and verified: reading it waits for no peer. */
  has(start: number, end: number): boolean
}

/**
 * Whether a seek into the cluster [clusterStart, clusterEnd) can wait for the read that is at `position`:
 * it is inside that cluster already, or a little before it with everything up to it downloaded. Otherwise
 * the read restarts at the cluster, which also tells the torrent to fetch those pieces first: waiting for a
 * read that still has to download what lies before the cluster can cost a late joiner seconds on a slow link.
 */
export function readReachesSoon(
  position: number,
  clusterStart: number,
  clusterEnd: number,
  has: (start: number, end: number) => boolean,
): boolean {
  if (position >= clusterStart) return position < clusterEnd
  return clusterStart - position <= NEAR_BYTES && has(position, clusterStart)
}

/**
 * Where the read must go on from so that what plays next comes (`MseStream#readOn`): the cluster holding the
 * end of the buffered range the playhead is in (or the playhead, in none), or null when nothing is left to
 * read there or the running read is there already or gets there without waiting for peers.
 */
export function readOnFrom(
  media: Pick<PlayheadView, 'buffered' | 'currentTime' | 'duration'>,
  cues: readonly CuePoint[],
  read: { pumping: boolean; position: number },
  source: Pick<ByteSource, 'length' | 'has'>,
): CuePoint | null {
  const seconds = rangeEnd(media.buffered, media.currentTime) ?? media.currentTime
  if (Number.isFinite(media.duration) && seconds >= media.duration - END_S) return null
  const cluster = clusterFor(cues, seconds)
  if (!cluster) return null
  const clusterEnd = cues.find((cue) => cue.offset > cluster.offset)?.offset ?? source.length
  const has = (start: number, end: number) => source.has(start, end)
  // A read that has just handed over the whole cluster goes on with the next: it is the one we want too.
  const there =
    read.position === clusterEnd || readReachesSoon(read.position, cluster.offset, clusterEnd, has)
  return read.pumping && there ? null : cluster
}

/** Whether to try MSE for a file of this name in this browser. */
export function mseCandidate(name: string): boolean {
  return /\.webm$/i.test(name) && typeof MediaSource !== 'undefined'
}

type HeadRead = { ok: true; head: WebmHead; bytes: Uint8Array } | { ok: false; reason: string }

export class MseStream {
  readonly url: string
  readonly #media: PlayheadView
  readonly #source: ByteSource
  readonly #fallback: (reason: string) => void
  readonly #mediaSource = new MediaSource()
  #buffer: SourceBuffer | null = null
  #head: WebmHead | null = null
  #cues: Promise<CuePoint[] | null> | null = null
  /** Each pump has a generation; a seek or destroy starts a new one and the old pump stops. */
  #generation = 0
  #iterator: AsyncIterator<Uint8Array> | null = null
  /** The file offset of the next byte the current pump appends. */
  #position = 0
  #pumping = false
  #destroyed = false
  readonly #wakers = new Set<() => void>()

  readonly #unsubscribe: (() => void)[]

  /** `media`: the playhead this stream feeds; its owner attaches `url` to the element. */
  constructor(media: PlayheadView, source: ByteSource, fallback: (reason: string) => void) {
    this.#media = media
    this.#source = source
    this.#fallback = fallback
    this.url = URL.createObjectURL(this.#mediaSource)
    this.#unsubscribe = [
      media.on('seeking', this.#onSeeking),
      media.on('waiting', this.#onWaiting),
      media.on('timeupdate', this.#wake),
    ]
    this.#mediaSource.addEventListener('sourceclose', this.#onClose)
    void this.#start()
  }

  /** Stops reading and appending, and frees the MediaSource's URL. */
  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#stopPump()
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
    this.#mediaSource.removeEventListener('sourceclose', this.#onClose)
    URL.revokeObjectURL(this.url)
  }

  // ── start ──────────────────────────────────────────────────────────────────────────────────────────────

  async #start(): Promise<void> {
    const opened = new Promise<void>((resolve) =>
      this.#mediaSource.addEventListener('sourceopen', () => resolve(), { once: true }),
    )
    const generation = ++this.#generation
    const iterator = this.#source.read(0)
    this.#iterator = iterator
    let head: WebmHead
    try {
      const start = await this.#readHead(iterator)
      if (generation !== this.#generation) return
      if (!start.ok) return this.#giveUp(start.reason)
      head = start.head
      if (!MediaSource.isTypeSupported(head.mimeType))
        return this.#giveUp(`this browser's Media Source Extensions can't play ${head.mimeType}`)
      await opened
      if (generation !== this.#generation) return
      this.#buffer = this.#mediaSource.addSourceBuffer(head.mimeType)
      this.#position = 0
      await this.#append(start.bytes, generation)
      if (generation !== this.#generation) return
      this.#position = start.bytes.byteLength
    } catch (err) {
      // Nothing played yet (the head was refused, the SourceBuffer would not open): the worker may still.
      if (generation === this.#generation) this.#giveUp(err instanceof Error ? err.message : String(err))
      return
    }
    // Seeks are acted on from here: a restart before the head is in would append clusters to nothing.
    this.#head = head
    if (this.#media.seeking) this.#onSeeking()
    await this.#pump(generation, iterator).catch((err: unknown) => this.#stopped(err, generation))
  }

  /** Reads the file's first bytes until they hold its head; the reason when they can't. */
  async #readHead(iterator: AsyncIterator<Uint8Array>): Promise<HeadRead> {
    const parts: Uint8Array[] = []
    for (;;) {
      const next = await iterator.next()
      if (next.done) return { ok: false, reason: 'the file ended before its head did' }
      parts.push(next.value)
      const bytes = concat(parts)
      const result = parseHead(bytes)
      if (result.kind === 'head') return { ok: true, head: result.head, bytes }
      if (result.kind === 'unsupported') return { ok: false, reason: result.reason }
    }
  }

  #giveUp(reason: string): void {
    if (this.#destroyed) return
    this.destroy()
    this.#fallback(reason)
  }

  // ── pumping ────────────────────────────────────────────────────────────────────────────────────────────

  async #pump(generation: number, iterator: AsyncIterator<Uint8Array>): Promise<void> {
    this.#pumping = true
    try {
      for (;;) {
        await this.#roomAhead(generation)
        if (generation !== this.#generation) return
        const next = await iterator.next()
        if (generation !== this.#generation) return
        if (next.done) {
          await this.#idle()
          if (generation === this.#generation && this.#mediaSource.readyState === 'open')
            this.#mediaSource.endOfStream()
          return
        }
        await this.#append(next.value, generation)
        this.#position += next.value.byteLength
      }
    } finally {
      if (generation === this.#generation) this.#pumping = false
    }
  }

  /** Waits while more than AHEAD_S seconds past the playhead are buffered. */
  async #roomAhead(generation: number): Promise<void> {
    while (
      generation === this.#generation &&
      bufferedAhead(this.#media.buffered, this.#media.currentTime) > AHEAD_S
    )
      await this.#nextWake()
  }

  async #append(bytes: Uint8Array, generation: number): Promise<void> {
    const buffer = this.#buffer
    if (!buffer) return
    for (let attempt = 0; ; attempt++) {
      await this.#idle()
      if (generation !== this.#generation || this.#mediaSource.readyState === 'closed') return
      try {
        buffer.appendBuffer(bytes as Uint8Array<ArrayBuffer>)
      } catch (err) {
        if (!(err instanceof DOMException && err.name === 'QuotaExceededError')) throw err
        // Full: drop what was played, then wait for playback to move before trying again.
        if (attempt === 0) await this.#removePlayed()
        else await this.#nextWake()
        continue
      }
      await this.#idle()
      return
    }
  }

  async #removePlayed(): Promise<void> {
    const buffer = this.#buffer
    const end = this.#media.currentTime - BEHIND_KEEP_S
    if (!buffer || end <= 0) return
    await this.#idle()
    buffer.remove(0, end)
    await this.#idle()
  }

  /** Resolves when the SourceBuffer has no append or removal in progress. */
  #idle(): Promise<void> {
    const buffer = this.#buffer
    if (!buffer?.updating) return Promise.resolve()
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

  #nextWake(): Promise<void> {
    return new Promise((resolve) => this.#wakers.add(resolve))
  }

  readonly #wake = (): void => {
    const wakers = [...this.#wakers]
    this.#wakers.clear()
    for (const wake of wakers) wake()
  }

  #stopPump(): void {
    this.#generation++
    this.#pumping = false
    const iterator = this.#iterator
    this.#iterator = null
    void iterator?.return?.()?.catch(() => {})
    this.#wake()
  }

  /** A pump that failed: the element reports its own errors (decode, …); a torn-down one is expected. */
  #stopped(err: unknown, generation: number): void {
    if (generation !== this.#generation || this.#destroyed) return
    if (this.#mediaSource.readyState === 'closed') return
    console.warn('stream: media source stopped', err)
  }

  // ── seeking ────────────────────────────────────────────────────────────────────────────────────────────

  readonly #onSeeking = (): void => {
    this.#wake()
    this.#readOnFromPlayhead()
  }

  /** The element waits for data where it is: the read must be bringing it (no read may be running). */
  readonly #onWaiting = (): void => this.#readOnFromPlayhead()

  #readOnFromPlayhead(): void {
    if (!this.#head) return
    void this.#readOn().catch((err: unknown) => this.#stopped(err, this.#generation))
  }

  /**
   * Makes the read bring what plays next: the bytes from the end of the buffered range that holds the playhead,
   * or from the playhead when no range does. A range may end short of the next one — a read cut short by a
   * seek leaves such a piece behind (a late joiner's read from 0, cut by its seek into the room); a later seek
   * back into that piece, with nothing reading on, would wait at its end for good — so a seek or a wait reads
   * on from the cluster there, unless the running read is there or gets there without waiting for peers.
   */
  async #readOn(): Promise<void> {
    const cues = await this.#loadCues()
    if (!cues || this.#destroyed) return
    const read = { pumping: this.#pumping, position: this.#position }
    const cluster = readOnFrom(this.#media, cues, read, this.#source)
    if (!cluster) return
    this.#stopPump()
    const generation = this.#generation
    await this.#idle()
    if (generation !== this.#generation || this.#mediaSource.readyState === 'closed') return
    // A new run of clusters: the parser must not take them for the rest of the interrupted one.
    if (this.#mediaSource.readyState === 'open') this.#buffer?.abort()
    const iterator = this.#source.read(cluster.offset)
    this.#iterator = iterator
    this.#position = cluster.offset
    await this.#pump(generation, iterator).catch((err: unknown) => this.#stopped(err, generation))
  }

  /** The file's cue points (read once), or null when it has none we can find. */
  #loadCues(): Promise<CuePoint[] | null> {
    this.#cues ??= this.#readCues().catch((err: unknown) => {
      console.warn('stream: no cues, seeking reads on from where it is', err)
      return null
    })
    return this.#cues
  }

  async #readCues(): Promise<CuePoint[] | null> {
    const head = this.#head
    if (!head || head.cuesAt === null) return null
    const start = head.cuesAt
    const first = await readAll(this.#source, start, Math.min(this.#source.length - 1, start + 15))
    const length = elementLength(first, ID.Cues)
    if (length === null) return null
    const bytes = await readAll(this.#source, start, Math.min(this.#source.length - 1, start + length - 1))
    return parseCues(bytes, head)
  }

  readonly #onClose = (): void => {
    // The element let go of this source (a new src, or none): nothing more to append.
    this.destroy()
  }
}

async function readAll(source: ByteSource, start: number, end: number): Promise<Uint8Array> {
  const iterator = source.read(start, end)
  const parts: Uint8Array[] = []
  for (;;) {
    const next = await iterator.next()
    if (next.done) return concat(parts)
    parts.push(next.value)
  }
}

/**
 * A video file of a torrent fed to a `<video>` through Media Source Extensions: the page appends the torrent's
 * verified bytes to a SourceBuffer itself, instead of the element fetching them through WebTorrent's service
 * worker (a message hop through the worker and back into this busy page per chunk, and Range requests).
 *
 * - Two containers: a WebM's own bytes are appended (media/mse-webm.ts); an MP4 is fragmented on the fly, its
 *   index read first from the head or, when it sits at the end, from the tail (media/mse-mp4.ts). The first
 *   bytes tell which.
 * - Starts at once: the MediaSource opens while the first piece is on its way; the head gives the codecs, the
 *   SourceBuffer opens with them, and every chunk is appended as it is verified.
 * - Seeks: a seek to a time that is not buffered restarts the read where that time's data starts (a WebM's
 *   cluster, an MP4's sync samples), unless the running read gets there without waiting for peers.
 * - Off the page's thread: the MediaSource lives in a worker where the browser can (media/sink.ts), so
 *   Chromium's parse of each append does not wait behind the page's other work.
 * - Bounded: it appends at most `AHEAD_S` seconds past the playhead; Chromium evicts what is far behind, and
 *   when an append still does not fit, the played part is removed first.
 * - Falls back: a file whose head this module can't read, whose codecs MSE refuses, or whose head the
 *   SourceBuffer won't take, is handed back (`fallback`) to be played the ordinary way — unless the element
 *   can't play its codecs either: then the fallback carries the sentence naming them (`unplayable`).
 */
import { bufferedAhead } from './buffered.ts'
import { concat } from './bytes.ts'
import { unplayableCodecs } from './codecs.ts'
import { nextToPlay, type ByteSource, type Feed, type Opened } from './feed.ts'
import { isMp4 } from './mp4.ts'
import { openMp4, prefetchTail, type TailPrefetch } from './mse-mp4.ts'
import { openWebm } from './mse-webm.ts'
import type { MediaSink } from './sink.ts'
import type { AttachedSource, PlayheadView } from './target.ts'
import { createSink } from './worker-sink.ts'
import { trace } from '../trace.ts'

export { NEAR_BYTES, readReachesSoon, type ByteSource } from './feed.ts'
export { readOnFrom } from './mse-webm.ts'
export { mp4Name, tailIndexOf, warmUpMp4 } from './mse-mp4.ts'

/** How far past the playhead it appends before waiting for playback to move. */
export const AHEAD_S = 60
/**
 * How far past the playhead the first read has appended when the feed reads what seeks need (`Feed.prepare`):
 * twice the background download's mark for giving way (torrent/background.ts), so the player is safe.
 */
export const PREPARE_AHEAD_S = 10
/** When an append doesn't fit, the played part up to this far behind the playhead is removed. */
export const BEHIND_KEEP_S = 10

/** Whether to try MSE for a file of this name in this browser. */
export function mseCandidate(name: string): boolean {
  return /\.(webm|mp4|m4v)$/i.test(name) && typeof MediaSource !== 'undefined'
}

/** Why MSE gave a file up; `unplayable`: the sentence for people when the element can't play it either. */
export interface Fallback {
  reason: string
  unplayable: string | null
}

/** `canPlayType` of the element that would play the file instead. */
export type CanPlay = (type: string) => CanPlayTypeResult

export class MseStream {
  readonly #media: PlayheadView
  readonly #source: ByteSource
  readonly #fallback: (fallback: Fallback) => void
  readonly #canPlay: CanPlay
  /** The MediaSource and its SourceBuffer, in a worker where the browser can (media/sink.ts). */
  readonly #sink: MediaSink
  /** Whether the SourceBuffer was added. */
  #buffering = false
  /** The container's feed, once the head is in (seeks are acted on from then). */
  #feed: Feed | null = null
  /** Whether the feed was asked to read what seeks need (`Feed.prepare`). */
  #prepared = false
  /** Each pump has a generation; a seek or destroy starts a new one and the old pump stops. */
  #generation = 0
  #iterator: AsyncIterator<Uint8Array> | null = null
  /** The file offset of the next byte the current pump appends. */
  #position = 0
  #pumping = false
  #destroyed = false
  readonly #wakers = new Set<() => void>()

  readonly #unsubscribe: (() => void)[]

  /**
   * `media`: the playhead this stream feeds; its owner attaches `url` (or `mount`s the source) to the element.
   * `canPlay`: whether the element could play a type from a plain URL (a detached `<video>`'s by default).
   */
  constructor(
    media: PlayheadView,
    source: ByteSource,
    fallback: (fallback: Fallback) => void,
    canPlay: CanPlay = (type) => document.createElement('video').canPlayType(type),
    sink: MediaSink = createSink(),
  ) {
    this.#media = media
    this.#source = source
    this.#fallback = fallback
    this.#canPlay = canPlay
    this.#sink = sink
    this.#unsubscribe = [
      media.on('seek', this.#onSeeking),
      media.on('seeking', this.#onSeeking),
      media.on('waiting', this.#onWaiting),
      media.on('timeupdate', this.#wake),
    ]
    sink.onClose(this.#onClose)
    void this.#start()
  }

  /**
   * This stream as the element's source: its URL, or (a worker's MediaSource) the handle the element takes as
   * its `srcObject`. `release` runs once the element has let go of it.
   */
  attachable(release: () => void): AttachedSource {
    const sink = this.#sink
    const mount = sink.mount?.bind(sink)
    const keyframeAtOrAfter = (seconds: number) => this.keyframeAtOrAfter(seconds)
    const source = { url: sink.url, kind: 'mse' as const, release, keyframeAtOrAfter }
    return mount ? { ...source, mount } : source
  }

  /** The first keyframe at or after `seconds`, once the container's index says (`Feed.keyframeAtOrAfter`). */
  keyframeAtOrAfter(seconds: number): number | null {
    return this.#feed?.keyframeAtOrAfter?.(seconds) ?? null
  }

  /** Stops reading and appending, and frees the MediaSource (its URL, or its worker). */
  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#stopPump()
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
    this.#sink.destroy()
  }

  // ── start ──────────────────────────────────────────────────────────────────────────────────────────────

  async #start(): Promise<void> {
    const generation = ++this.#generation
    trace('mse:start')
    // Asked for before the head, so that the owner answers it first.
    const tail = prefetchTail(this.#source)
    let iterator = this.#source.read(0)
    this.#iterator = iterator
    let primed: Promise<IteratorResult<Uint8Array>> | null = null
    let feed: Feed
    try {
      const start = await this.#open(iterator, tail).finally(() => tail?.cancel())
      if (generation !== this.#generation) {
        if (start.ok) void start.readAgain?.iterator.return?.()?.catch(() => {})
        return
      }
      if (!start.ok) return this.#giveUp(start.reason)
      if (start.readAgain) {
        iterator = start.readAgain.iterator
        this.#iterator = iterator
        primed = start.readAgain.next
      }
      feed = start.feed
      trace('mse:opened', { mimeType: feed.mimeType, position: start.position })
      if (!MediaSource.isTypeSupported(feed.mimeType)) {
        const plays = (type: string) => MediaSource.isTypeSupported(type) || this.#canPlay(type) !== ''
        const unplayable = unplayableCodecs(feed.codecs, plays)
        return this.#giveUp(`this browser's Media Source Extensions can't play ${feed.mimeType}`, unplayable)
      }
      await this.#sink.opened
      if (generation !== this.#generation) return
      trace('mse:sourceopen')
      await this.#sink.addSourceBuffer(feed.mimeType)
      this.#buffering = true
      if (generation !== this.#generation) return
      // Fragments made on the fly carry no length: the element's seek bar has it from the index.
      if (feed.duration !== null) this.#sink.setDuration(feed.duration)
      this.#position = 0
      await this.#appendAll(start.first, generation, false)
      if (generation !== this.#generation) return
      trace('mse:first-appended', { parts: start.first.length })
      this.#position = start.position
    } catch (err) {
      // Nothing played yet (the head was refused, the SourceBuffer would not open): the worker may still.
      if (generation === this.#generation) this.#giveUp(err instanceof Error ? err.message : String(err))
      return
    }
    // Seeks are acted on from here: a restart before the head is in would append media to nothing.
    this.#feed = feed
    if (this.#media.seeking) this.#onSeeking()
    await this.#pump(generation, iterator, primed).catch((err: unknown) => this.#stopped(err, generation))
  }

  /** Reads the first bytes and opens the feed of the container they start (`tail`: asked for on a hint). */
  async #open(iterator: AsyncIterator<Uint8Array>, tail: TailPrefetch | null): Promise<Opened> {
    const first = await iterator.next()
    if (first.done) return { ok: false, reason: 'the file is empty' }
    trace('mse:first-bytes', { bytes: first.value.byteLength })
    return isMp4(first.value)
      ? openMp4(iterator, first.value, this.#source, tail)
      : openWebm(iterator, first.value, this.#source)
  }

  #giveUp(reason: string, unplayable: string | null = null): void {
    if (this.#destroyed) return
    this.destroy()
    this.#fallback({ reason, unplayable })
  }

  // ── pumping ────────────────────────────────────────────────────────────────────────────────────────────

  /** Appends what `iterator` reads (`primed`: its first `next`, already asked for) until it ends or stops. */
  async #pump(
    generation: number,
    iterator: AsyncIterator<Uint8Array>,
    primed: Promise<IteratorResult<Uint8Array>> | null = null,
  ): Promise<void> {
    this.#pumping = true
    try {
      for (;;) {
        await this.#roomAhead(generation)
        if (generation !== this.#generation) return
        const next = await (primed ?? iterator.next())
        primed = null
        if (generation !== this.#generation) return
        trace('mse:chunk', { position: this.#position, bytes: next.value?.byteLength ?? 0 })
        if (next.done) {
          await this.#sink.idle()
          if (generation === this.#generation) this.#sink.endOfStream()
          return
        }
        const feed = this.#feed
        const parts = feed ? feed.take(next.value, this.#position) : [next.value]
        await this.#appendAll(parts, generation, feed?.built === true)
        if (generation !== this.#generation) return
        this.#position += next.value.byteLength
        if (feed && !this.#prepared && this.#ahead() >= PREPARE_AHEAD_S) {
          this.#prepared = true
          feed.prepare?.()
        }
      }
    } finally {
      if (generation === this.#generation) this.#pumping = false
    }
  }

  /** Waits while more than AHEAD_S seconds past the playhead are buffered. */
  async #roomAhead(generation: number): Promise<void> {
    while (generation === this.#generation && this.#ahead() > AHEAD_S) {
      trace('mse:ahead', { t: this.#media.currentTime })
      await this.#nextWake()
    }
  }

  /** Seconds buffered past the playhead, in the range that holds it. */
  #ahead(): number {
    return bufferedAhead(this.#media.buffered, this.#media.currentTime)
  }

  /**
   * A chunk's parts (an MP4 fragment's `moof` and `mdat`, or several fragments) in one append: each append
   * waits for its `updateend`, a task on the busy page (and a hop back from the worker's thread). `built`:
   * the parts were made for this append (`Feed.built`), so the sink may take them over, as it may the array
   * that joins several.
   */
  async #appendAll(parts: readonly Uint8Array[], generation: number, built: boolean): Promise<void> {
    if (parts.length > 0) await this.#append(concat(parts), generation, built || parts.length > 1)
  }

  async #append(bytes: Uint8Array, generation: number, owned: boolean): Promise<void> {
    if (!this.#buffering) return
    // An owned append moved to a worker leaves `bytes` empty here.
    const size = bytes.byteLength
    for (let attempt = 0; ; attempt++) {
      await this.#sink.idle()
      if (generation !== this.#generation || this.#sink.readyState === 'closed') return
      try {
        const since = performance.now()
        await this.#sink.append(bytes, owned)
        trace('mse:appended', { ms: Math.round(performance.now() - since), bytes: size })
      } catch (err) {
        if (!(err instanceof DOMException && err.name === 'QuotaExceededError')) throw err
        trace('mse:full', { attempt, t: this.#media.currentTime, bytes: size })
        // Full: drop what was played, then wait for playback to move before trying again.
        if (attempt === 0) await this.#removePlayed()
        else await this.#nextWake()
        continue
      }
      return
    }
  }

  async #removePlayed(): Promise<void> {
    const end = this.#media.currentTime - BEHIND_KEEP_S
    if (!this.#buffering || end <= 0) return
    await this.#sink.remove(0, end)
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
    if (this.#sink.readyState === 'closed') return
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
    if (!this.#feed) return
    void this.#readOn().catch((err: unknown) => this.#stopped(err, this.#generation))
  }

  /**
   * Makes the read bring what plays next: the bytes from the end of the buffered range that holds the playhead,
   * or from the playhead when no range does. A range may end short of the next one — a read cut short by a
   * seek leaves such a piece behind (a late joiner's read from 0, cut by its seek into the room); a later seek
   * back into that piece, with nothing reading on, would wait at its end for good — so a seek or a wait reads
   * on from there, unless the running read is there or gets there without waiting for peers.
   */
  async #readOn(): Promise<void> {
    const feed = this.#feed
    const seconds = nextToPlay(this.#media)
    if (!feed || seconds === null || this.#destroyed) return
    const restart = await feed.restartFor(seconds, { pumping: this.#pumping, position: this.#position })
    trace('mse:read-on', { seconds, restart: restart?.offset ?? -1, position: this.#position })
    if (!restart || this.#destroyed) return
    this.#stopPump()
    const generation = this.#generation
    await this.#sink.idle()
    if (generation !== this.#generation || this.#sink.readyState === 'closed') return
    // A new run of media: the parser must not take it for the rest of the interrupted one.
    this.#sink.abort()
    restart.apply()
    const iterator = this.#source.read(restart.offset)
    this.#iterator = iterator
    this.#position = restart.offset
    await this.#pump(generation, iterator).catch((err: unknown) => this.#stopped(err, generation))
  }

  readonly #onClose = (): void => {
    // The element let go of this source (a new src, or none): nothing more to append.
    this.destroy()
  }
}

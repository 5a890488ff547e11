/**
 * The text subtitle tracks inside the played Matroska file, offered next to the other subtitles while the film
 * streams. The file's bytes are read in order, a window at a time, as they become downloaded and verified
 * (`ByteSource.has`): this reader never asks peers for a byte, so it takes nothing from the player's own
 * read, whichever path plays the file (service worker, Media Source Extensions, or the dropped file itself).
 * Each window goes through media/matroska-subtitles.ts; its cues land in a `CueList` per track, which the
 * player's `<track>` element shows (`showCues`) as they come.
 *
 * A file without text tracks is left after its Tracks element; a damaged one is left with a log line.
 */
import type { ByteSource } from './feed.ts'
import {
  MatroskaSubtitleReader,
  type EmbeddedCue,
  type EmbeddedTrack,
  type MatroskaEvent,
} from './matroska-subtitles.ts'

/** Read this much at a time, once all of it is verified. */
export const WINDOW_BYTES = 1024 * 1024
/** A file whose Tracks element has not come by here is not one to read on. */
const MAX_BYTES_BEFORE_TRACKS = 8 * 1024 * 1024
/** A film has a few thousand cues per track; more is not subtitles, and is dropped. */
export const MAX_CUES_PER_TRACK = 50_000

/** Whether a file of this name is Matroska, whose subtitle tracks are worth reading. */
export function isMatroskaName(name: string): boolean {
  return /\.(mkv|mk3d|mka|webm)$/i.test(name)
}

export type Cue = Pick<EmbeddedCue, 'start' | 'end' | 'text'>

/** A track's cues as they arrive; listeners hear each new one. */
export class CueList {
  readonly #cues: Cue[] = []
  readonly #listeners = new Set<(cue: Cue) => void>()

  get cues(): readonly Cue[] {
    return this.#cues
  }

  add(cue: Cue): void {
    if (this.#cues.length >= MAX_CUES_PER_TRACK) return
    this.#cues.push(cue)
    for (const listener of this.#listeners) listener(cue)
  }

  subscribe(listener: (cue: Cue) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}

export interface EmbeddedSubtitleTrack extends EmbeddedTrack {
  cues: CueList
}

export interface EmbeddedOptions {
  source: Pick<ByteSource, 'length' | 'read' | 'has'>
  /** Calls `wake` whenever more of the file may have been verified; returns the unsubscription. */
  onChange: (wake: () => void) => () => void
  /** The file's text tracks, once known (only when it has some). */
  onTracks: (tracks: EmbeddedSubtitleTrack[]) => void
  /** Bytes read at a time (WINDOW_BYTES). */
  windowBytes?: number
}

/** Reads one file's subtitle tracks until the file ends, the reading fails, or `stop`. */
export class EmbeddedSubtitles {
  readonly #options: EmbeddedOptions
  readonly #reader = new MatroskaSubtitleReader()
  readonly #lists = new Map<number, CueList>()
  #stopped = false
  #wake: (() => void) | null = null
  readonly #unsubscribe: () => void
  /** Resolves when the reading is over (for tests and teardown). */
  readonly done: Promise<void>

  constructor(options: EmbeddedOptions) {
    this.#options = options
    this.#unsubscribe = options.onChange(() => this.#wakeUp())
    this.done = this.#run().then(
      () => this.stop(),
      (err: unknown) => {
        // A read that fails after `stop` is the torrent going away with the item: nothing to tell.
        if (!this.#stopped) console.warn('subtitles: stopped reading the subtitle tracks', err)
        this.stop()
      },
    )
  }

  stop(): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#unsubscribe()
    this.#wakeUp()
  }

  #wakeUp(): void {
    const wake = this.#wake
    this.#wake = null
    wake?.()
  }

  async #run(): Promise<void> {
    const { source, windowBytes = WINDOW_BYTES } = this.#options
    let position = 0
    while (!this.#stopped && position < source.length) {
      const end = Math.min(source.length, position + windowBytes)
      if (!source.has(position, end)) {
        await new Promise<void>((resolve) => (this.#wake = resolve))
        continue
      }
      const iterator = source.read(position, end - 1)
      try {
        for (;;) {
          const next = await iterator.next()
          if (next.done || this.#stopped) break
          if (!this.#take(next.value)) return
        }
      } finally {
        if (this.#stopped) void iterator.return?.()?.catch(() => {})
      }
      position = end
      const tracks = this.#reader.tracks
      if (tracks?.length === 0) return
      if (tracks === null && position >= MAX_BYTES_BEFORE_TRACKS) {
        console.warn('subtitles: no Tracks element near the start of the file; its subtitles are not read')
        return
      }
    }
  }

  /** Hands a chunk to the reader; false when the file can't be read on. */
  #take(chunk: Uint8Array): boolean {
    const result = this.#reader.push(chunk)
    if (!result.ok) {
      console.warn(`subtitles: the file's subtitle tracks can't be read: ${result.error.message}`)
      return false
    }
    for (const event of result.events) this.#event(event)
    return true
  }

  #event(event: MatroskaEvent): void {
    if (event.kind === 'tracks') {
      if (event.tracks.length === 0) return
      const tracks = event.tracks.map((track) => {
        const cues = new CueList()
        this.#lists.set(track.number, cues)
        return { ...track, cues }
      })
      this.#options.onTracks(tracks)
      return
    }
    const { track, start, end, text } = event.cue
    this.#lists.get(track)?.add({ start, end, text })
  }
}

/**
 * For a `<track>` element (a Svelte attachment): shows `list`'s cues on its TextTrack as they come. The
 * element's source is an empty WebVTT file; cues are added once it has loaded (a load replaces its cues), and
 * again at every later load.
 */
export function showCues(list: CueList): (element: HTMLTrackElement) => () => void {
  return (element) => {
    let loaded = element.readyState === HTMLTrackElement.LOADED
    const fill = () => {
      const track = element.track
      for (const cue of [...(track.cues ?? [])]) track.removeCue(cue)
      for (const cue of list.cues) track.addCue(new VTTCue(cue.start, cue.end, cue.text))
    }
    const onLoad = () => {
      loaded = true
      fill()
    }
    element.addEventListener('load', onLoad)
    if (loaded) fill()
    const unsubscribe = list.subscribe((cue) => {
      if (loaded) element.track.addCue(new VTTCue(cue.start, cue.end, cue.text))
    })
    return () => {
      unsubscribe()
      element.removeEventListener('load', onLoad)
    }
  }
}

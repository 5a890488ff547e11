import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  EmbeddedSubtitles,
  isMatroskaName,
  type EmbeddedSubtitleTrack,
} from '../../src/lib/media/embedded-subtitles.ts'
import type { ByteSource } from '../../src/lib/media/feed.ts'
import { expectWarning } from '../console.ts'

/** Made by e2e/scripts/make-subtitled-mkv.ts: VP9, Opus, then SRT (en), ASS (fr) and WebVTT (de) tracks. */
const FIXTURE = new Uint8Array(readFileSync(new URL('./fixtures/subtitled.mkv', import.meta.url)))

/**
 * A file downloading in order: bytes up to `verified` are there. Every read is recorded, and a read of a
 * byte not verified fails the test (the reader must never make peers fetch for it).
 */
class Downloading implements ByteSource {
  verified = 0
  readonly reads: [number, number][] = []
  readonly #wakes = new Set<() => void>()
  readonly #readers: ((range: [number, number]) => void)[] = []
  readonly #bytes: Uint8Array

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes
  }

  get length(): number {
    return this.#bytes.length
  }

  has(start: number, end: number): boolean {
    return end <= this.verified || end <= start
  }

  read(start: number, end = this.length - 1): AsyncIterator<Uint8Array> {
    expect(end).toBeLessThan(this.verified)
    this.reads.push([start, end])
    for (const reader of this.#readers.splice(0)) reader([start, end])
    const bytes = this.#bytes
    return (async function* () {
      for (let at = start; at <= end; at += 1000) yield bytes.slice(at, Math.min(end + 1, at + 1000))
    })()
  }

  onChange = (wake: () => void): (() => void) => {
    this.#wakes.add(wake)
    return () => this.#wakes.delete(wake)
  }

  /** The next read's range. */
  nextRead(): Promise<[number, number]> {
    return new Promise((resolve) => this.#readers.push(resolve))
  }

  /** More bytes arrived. */
  arrive(upTo: number): void {
    this.verified = Math.min(this.length, upTo)
    for (const wake of this.#wakes) wake()
  }

  get listeners(): number {
    return this.#wakes.size
  }
}

describe('EmbeddedSubtitles', () => {
  it('reads the tracks and cues only as bytes are verified, window by window', async () => {
    const source = new Downloading(FIXTURE)
    let tracks: EmbeddedSubtitleTrack[] | undefined
    const subtitles = new EmbeddedSubtitles({
      source,
      onChange: source.onChange,
      onTracks: (found) => (tracks = found),
      windowBytes: 4096,
    })
    // A window is read once all of it is verified (`read` checks), and no sooner.
    for (let upTo = 4096; upTo < FIXTURE.length + 4096; upTo += 4096) {
      source.arrive(upTo - 1)
      const read = source.nextRead()
      source.arrive(upTo)
      expect(await read).toEqual([upTo - 4096, Math.min(upTo, FIXTURE.length) - 1])
    }
    await subtitles.done
    expect(source.listeners).toBe(0)
    expect(source.reads.every(([start, end]) => end - start < 4096)).toBe(true)
    expect(tracks?.map((t) => [t.label, t.language])).toEqual([
      ['English (SRT)', 'en'],
      ['Français (ASS)', 'fr'],
      ['Deutsch (VTT)', 'de'],
    ])
    for (const track of tracks ?? []) {
      expect(track.cues.cues.map((c) => c.text)).toEqual([
        'Hello from inside the file',
        'Second line\nover two rows',
      ])
    }
  })

  it('hands each cue to listeners as it comes', async () => {
    const source = new Downloading(FIXTURE)
    const heard: string[] = []
    const subtitles = new EmbeddedSubtitles({
      source,
      onChange: source.onChange,
      onTracks: ([first]) => first?.cues.subscribe((cue) => heard.push(cue.text)),
    })
    source.arrive(FIXTURE.length)
    await subtitles.done
    expect(heard).toEqual(['Hello from inside the file', 'Second line\nover two rows'])
  })

  it('stops at once when stopped while it waits for bytes', async () => {
    const source = new Downloading(FIXTURE)
    const subtitles = new EmbeddedSubtitles({ source, onChange: source.onChange, onTracks: () => {} })
    subtitles.stop()
    await subtitles.done
    expect(source.reads).toEqual([])
    expect(source.listeners).toBe(0)
  })

  it('a damaged file is left with a log line, nothing thrown', async () => {
    const damaged = FIXTURE.slice()
    damaged.set([0x12, 0x34, 0x56, 0x78], 0)
    const source = new Downloading(damaged)
    source.arrive(damaged.length)
    const subtitles = new EmbeddedSubtitles({ source, onChange: source.onChange, onTracks: () => {} })
    await subtitles.done
    expectWarning(/subtitle tracks can't be read: it does not start with an EBML header/)
  })

  it('a read that fails is a log line, unless the reading was stopped (the torrent went with its item)', async () => {
    const failing = (stopFirst: boolean) => {
      let subtitles: EmbeddedSubtitles | null = null
      const source: ByteSource = {
        length: 10,
        has: () => true,
        read: () => ({
          // Asked for in the constructor: the failure comes once it has returned, as a torrent's would.
          next: async () => {
            await Promise.resolve()
            if (stopFirst) subtitles?.stop()
            throw new Error('the torrent was removed')
          },
        }),
      }
      subtitles = new EmbeddedSubtitles({ source, onChange: () => () => {}, onTracks: () => {} })
      return subtitles.done
    }
    await failing(true)
    await failing(false)
    expectWarning(/stopped reading the subtitle tracks/)
  })

  it('knows Matroska files by name', () => {
    expect(['a.mkv', 'b.WEBM', 'c.mka', 'd.mk3d'].every(isMatroskaName)).toBe(true)
    expect(['a.mp4', 'mkv', 'a.mkv.srt'].some(isMatroskaName)).toBe(false)
  })
})

/**
 * An MP4's index (`moov`) read with mp4box, and the file's samples repackaged for Media Source Extensions:
 * an initialization segment (the `moov` without its sample tables) and fragments (`moof` + `mdat`) built from
 * sample bytes this page reads from the torrent itself. mp4box parses the index and writes the boxes; it never
 * holds the file's media data, so what the page keeps is bounded by what media/mse.ts reads ahead.
 */
import { createFile, DataStream, MP4BoxBuffer, type ISOFile, type Sample } from 'mp4box'
import { concat } from './bytes.ts'
import { syncAtOrAfter, type TrackSamples } from './mp4.ts'
import { buildSamples, SampleTableError, type Mp4Sample } from './mp4-samples.ts'

export interface Mp4Track extends TrackSamples {
  id: number
  kind: 'video' | 'audio'
  /** The RFC 6381 codec string from the sample description: `avc1.64001e`, `mp4a.40.2`, `hvc1.1.6.L93.B0`. */
  codec: string
  samples: readonly Mp4Sample[]
}

export class Mp4Error extends Error {
  override name = 'Mp4Error'
}

/** The index of an MP4 and how to repackage its samples. */
export class Mp4Movie {
  /** The first video track and the first audio track (other tracks, and further ones, are not played). */
  readonly tracks: readonly Mp4Track[]
  readonly duration: number
  readonly #file: ISOFile
  #init: Uint8Array | null = null

  /**
   * `ftyp` and `moov`: the two boxes' bytes. The sample offsets in `moov` are the file's own, wherever the box
   * sits, so the two are parsed as if they were the whole file.
   */
  constructor(ftyp: Uint8Array, moov: Uint8Array) {
    const file = createFile(true)
    // The sample lists are built here from the tables mp4box parses (media/mp4-samples.ts): mp4box's own
    // lists cost ~350 ms for a 17-minute film on a busy page, before the film could start.
    file.sampleListBuilt = true
    file.onError = (module, message) => {
      throw new Mp4Error(`${module}: ${message}`)
    }
    const bytes = concat([ftyp, moov]).slice()
    file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(bytes.buffer, 0), true)
    const traks = file.moov?.traks
    if (!traks) throw new Mp4Error('its moov box could not be read')
    for (const trak of traks) {
      // What getInfo reads of each track's list; the list itself is kept here.
      trak.samples = []
      trak.samples_size = 0
      trak.samples_duration = 0
    }
    const info = file.getInfo()
    const mvhd = file.moov?.mvhd
    const movie = { timescale: mvhd?.timescale ?? 0, duration: mvhd?.duration ?? 0 }
    const pick = (kind: 'video' | 'audio') => {
      const track = (kind === 'video' ? info.videoTracks : info.audioTracks)[0]
      const trak = track ? traks.find((t) => t.tkhd.track_id === track.id) : undefined
      if (!track || !trak) return []
      const delay = Math.round(takeEmptyEdit(trak, movie) * track.timescale)
      const samples = tableSamples(trak, delay)
      if (samples.length === 0) return []
      const mediaStart = firstMediaTime(trak) / track.timescale
      return [{ id: track.id, kind, codec: track.codec, timescale: track.timescale, samples, mediaStart }]
    }
    this.tracks = [...pick('video'), ...pick('audio')]
    if (this.tracks.length === 0) throw new Mp4Error('it has no audio or video track')
    this.duration = info.duration / info.timescale
    this.#file = file
  }

  /** The codecs of the played tracks, for `MediaSource.isTypeSupported` and for people. */
  get mimeType(): string {
    const kind = this.tracks.some((t) => t.kind === 'video') ? 'video' : 'audio'
    return `${kind}/mp4; codecs="${this.tracks.map((t) => t.codec).join(',')}"`
  }

  /** The first keyframe of the video track shown at or after `seconds`; null past the last, or without video. */
  keyframeAtOrAfter(seconds: number): number | null {
    const video = this.tracks.find((track) => track.kind === 'video')
    return video ? syncAtOrAfter(video, seconds) : null
  }

  /** The initialization segment: the played tracks' descriptions, no samples. */
  initSegment(): Uint8Array {
    if (this.#init) return this.#init
    const file = this.#file
    file.onSegment = () => {}
    for (const track of this.tracks) file.setSegmentOptions(track.id, null, { nbSamples: 1 })
    const { buffer } = file.initializeSegmentation('combined')
    this.#init = new Uint8Array(buffer)
    return this.#init
  }

  /**
   * Fragments one after another in one array, written once: each run's `moof` and `mdat`, each sample's file
   * bytes copied straight into it by `copySample(offset, size, out, at)` (they must be at hand: media/mse.ts
   * reads them first), so one append takes them all.
   */
  fragments(runs: readonly FragmentRun[], copySample: SampleCopier): Uint8Array {
    const built = runs.map(({ track, from, to }) => {
      const samples = this.tracks[track]?.samples.slice(from, to) ?? []
      if (samples.length === 0) throw new Mp4Error('an empty fragment')
      let size = 8
      for (const sample of samples) size += sample.size
      return { samples, moof: this.#moof(samples), size }
    })
    const out = new Uint8Array(built.reduce((sum, { moof, size }) => sum + moof.byteLength + size, 0))
    const view = new DataView(out.buffer)
    let at = 0
    for (const { samples, moof, size } of built) {
      out.set(moof, at)
      at += moof.byteLength
      view.setUint32(at, size)
      out.set(MDAT, at + 4)
      at += 8
      for (const sample of samples) {
        copySample(sample.offset, sample.size, out, at)
        at += sample.size
      }
    }
    return out
  }

  /** The `moof` box of `samples`, its run's data starting right after it and the `mdat`'s 8-byte header. */
  #moof(samples: readonly Mp4Sample[]): Uint8Array {
    const moof = this.#file.createMoof(samples as unknown as Sample[])
    const stream = new DataStream()
    moof.write(stream)
    const trun = moof.trafs[0]?.truns[0]
    if (!trun) throw new Mp4Error('a fragment without a track run')
    trun.data_offset = moof.size + 8
    stream.adjustUint32(trun.data_offset_position, trun.data_offset)
    return new Uint8Array(stream.buffer, 0, stream.getPosition())
  }
}

/** Copies the file's bytes [offset, offset + size) into `target` at `at` (media/byte-window.ts `copyTo`). */
export type SampleCopier = (offset: number, size: number, target: Uint8Array, at: number) => void

/** Samples [from, to) of `tracks[track]`, for one fragment. */
export interface FragmentRun {
  track: number
  from: number
  to: number
}

const MDAT = new Uint8Array([0x6d, 0x64, 0x61, 0x74])

type Trak = NonNullable<ISOFile['moov']>['traks'][number]

/**
 * The media time the track's edit list starts presenting at (its first edit that is not empty), in the
 * track's timescale; 0 without one. Chromium's Media Source skips it (measured: a track whose edit starts at
 * 1024 buffered from 0); the empty edits before it are taken out first (`takeEmptyEdit`).
 */
function firstMediaTime(trak: Trak): number {
  const edit = trak.edts?.elst?.entries.find((entry) => entry.media_time >= 0)
  return edit && Number.isFinite(edit.media_time) ? edit.media_time : 0
}

/**
 * The track's leading empty edits, in seconds, taken out of its edit list (0 without). A file player shows the
 * track that much later (Chromium's, as ffmpeg does: an MP4 ffmpeg joined from H.264 + AAC clips shows its
 * first frame at 21 ms), while Chromium's Media Source ignores an empty edit: so the fragments carry the delay
 * in their own times instead, and the initialization segment, written from the same `trak`, has the edits
 * that present media left. An edit list of empty edits only, or of empty edits longer than the whole movie
 * (a damaged or crafted file), is left as it is.
 */
function takeEmptyEdit(trak: Trak, movie: { timescale: number; duration: number }): number {
  const elst = trak.edts?.elst
  if (!elst || !(movie.timescale > 0)) return 0
  const first = elst.entries.findIndex((entry) => entry.media_time >= 0)
  if (first <= 0) return 0
  let empty = 0
  for (const entry of elst.entries.slice(0, first)) empty += entry.segment_duration
  if (!(empty <= movie.duration)) return 0
  elst.entries = elst.entries.slice(first)
  return empty / movie.timescale
}

/** A track's samples from its parsed sample tables; a damaged table is the file's `Mp4Error`. */
function tableSamples(trak: Trak, delay: number): Mp4Sample[] {
  const stbl = trak.mdia.minf.stbl
  const sizes = (stbl.stsz ?? stbl.stz2)?.sample_sizes
  const chunkOffsets = (stbl.stco ?? stbl.co64)?.chunk_offsets
  const { stsc, stts, ctts, stss } = stbl
  if (!sizes || !chunkOffsets || !stsc || !stts) return []
  try {
    return buildSamples({
      trackId: trak.tkhd.track_id,
      mediaDuration: trak.mdia.mdhd.duration,
      sizes,
      chunkOffsets,
      firstChunks: stsc.first_chunk,
      samplesPerChunk: stsc.samples_per_chunk,
      timeCounts: stts.sample_counts,
      timeDeltas: stts.sample_deltas,
      ...(ctts ? { offsetCounts: ctts.sample_counts, offsets: ctts.sample_offsets } : {}),
      ...(stss ? { syncNumbers: stss.sample_numbers } : {}),
      delay,
    })
  } catch (err) {
    if (err instanceof SampleTableError) throw new Mp4Error(err.message)
    throw err
  }
}

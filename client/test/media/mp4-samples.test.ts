import { createFile, MP4BoxBuffer } from 'mp4box'
import { describe, expect, it } from 'vitest'
import { buildSamples, SampleTableError, type SampleTables } from '../../src/lib/media/mp4-samples.ts'
import { Mp4Movie } from '../../src/lib/media/mp4-movie.ts'
import { locateMoov } from '../../src/lib/media/mp4.ts'
import { fixture } from './logged-source.ts'

// ffmpeg -f lavfi -i testsrc=size=160x90:rate=25:duration=4 -f lavfi -i sine=frequency=440:sample_rate=48000:duration=4
//   -c:v libx264 -preset veryfast -crf 40 -g 25 -bf 2 -pix_fmt yuv420p -c:a aac -b:a 16k -movflags +faststart
// H.264 with B-frames (a ctts table, an stss), AAC (every sample a sync sample), interleaved in chunks.
const FILE = fixture('h264-aac.mp4')

const FIELDS = ['offset', 'size', 'dts', 'cts', 'duration', 'is_sync', 'track_id'] as const

function pickFields(sample: object) {
  const record = sample as Record<string, unknown>
  return Object.fromEntries(FIELDS.map((field) => [field, record[field]]))
}

describe('sample lists from the parsed tables', () => {
  it('match mp4box’s own, sample by sample, for a file ffmpeg made', () => {
    const location = locateMoov(FILE, FILE.length)
    if (location.kind !== 'head') throw new Error(`the fixture's moov is not at its head: ${location.kind}`)
    const ftyp = FILE.subarray(location.ftyp.start, location.ftyp.end)
    const moov = FILE.subarray(location.moov.start, location.moov.end)

    const reference = createFile(true)
    reference.appendBuffer(MP4BoxBuffer.fromArrayBuffer(FILE.slice().buffer, 0), true)
    const movie = new Mp4Movie(ftyp, moov)

    expect(movie.tracks.map((t) => [t.kind, t.samples.length])).toEqual([
      ['video', 100],
      ['audio', 189],
    ])
    for (const track of movie.tracks) {
      const expected = reference.getTrackSamplesInfo(track.id).map(pickFields)
      expect(track.samples.map(pickFields)).toEqual(expected)
    }
    // The B-frames are presented later than decoded, and only some video samples are sync samples.
    const video = movie.tracks[0]?.samples ?? []
    expect(video.some((s) => s.cts !== s.dts)).toBe(true)
    expect(video.filter((s) => s.is_sync).length).toBe(4)
    expect(movie.mimeType).toMatch(/^video\/mp4; codecs="avc1\.[0-9a-f]{6},mp4a\.40\.2"$/)
  })
})

/** Four 10-byte samples of 100 ticks, two chunks of two. */
function tables(over: Partial<SampleTables> = {}): SampleTables {
  return {
    trackId: 1,
    mediaDuration: 400,
    sizes: [10, 10, 10, 10],
    chunkOffsets: [1000, 2000],
    firstChunks: [1],
    samplesPerChunk: [2],
    timeCounts: [4],
    timeDeltas: [100],
    ...over,
  }
}

describe('buildSamples', () => {
  it('places samples in their chunks, one after the other', () => {
    expect(buildSamples(tables()).map((s) => s.offset)).toEqual([1000, 1010, 2000, 2010])
  })

  it('follows runs of chunks, skipping a run of none', () => {
    const samples = buildSamples(
      tables({
        sizes: [1, 2, 3, 4, 5, 6],
        chunkOffsets: [100, 200, 300, 400],
        firstChunks: [1, 2, 2, 4],
        samplesPerChunk: [1, 9, 2, 3],
      }),
    )
    // Chunk 1: one sample; chunks 2–3: two each (the run from chunk 2 with 9 is empty); chunk 4: the rest.
    expect(samples.map((s) => s.offset)).toEqual([100, 200, 202, 300, 304, 400])
  })

  it('gives the last sample the rest of the media duration', () => {
    const samples = buildSamples(tables({ mediaDuration: 450, timeCounts: [1, 3], timeDeltas: [50, 100] }))
    expect(samples.map((s) => [s.dts, s.duration])).toEqual([
      [0, 50],
      [50, 100],
      [150, 100],
      [250, 200],
    ])
  })

  it('adds composition offsets by run, and takes every sample as a sync sample without stss', () => {
    const samples = buildSamples(tables({ offsetCounts: [1, 3], offsets: [200, 0] }))
    expect(samples.map((s) => s.cts - s.dts)).toEqual([200, 0, 0, 0])
    expect(samples.every((s) => s.is_sync)).toBe(true)
  })

  it('starts the decode times at a delay, and still ends the last sample at the media duration', () => {
    const samples = buildSamples(tables({ delay: 30 }))
    expect(samples.map((s) => [s.dts, s.cts, s.duration])).toEqual([
      [30, 30, 100],
      [130, 130, 100],
      [230, 230, 100],
      [330, 330, 100],
    ])
  })

  it('marks only the numbered sync samples', () => {
    const samples = buildSamples(tables({ syncNumbers: [1, 3] }))
    expect(samples.map((s) => s.is_sync)).toEqual([true, false, true, false])
  })

  it('refuses samples that run past the chunks, and chunks of no samples at all', () => {
    expect(() => buildSamples(tables({ chunkOffsets: [1000] }))).toThrow(SampleTableError)
    expect(() => buildSamples(tables({ samplesPerChunk: [0] }))).toThrow(SampleTableError)
  })
})

describe('a track that starts with an empty edit', () => {
  // ffmpeg -f lavfi -i testsrc=size=160x90:rate=25:duration=2 -f lavfi -i sine=frequency=440:sample_rate=48000:duration=2
  //   -c:v libx264 -preset veryfast -crf 40 -g 25 -pix_fmt yuv420p -c:a aac -b:a 16k clip.mp4, then the one clip
  //   through ffmpeg's concat demuxer with `-c copy -movflags +faststart`: the video's edit list is a 21 ms empty
  //   edit, then its media from 1024 (its B-frames' delay); ffprobe gives the video a start time of 0.021016 s.
  const EDITED = fixture('h264-aac-empty-edit.mp4')

  function movieOf(bytes: Uint8Array): Mp4Movie {
    const location = locateMoov(bytes, bytes.length)
    if (location.kind !== 'head') throw new Error(`the fixture's moov is not at its head: ${location.kind}`)
    return new Mp4Movie(
      bytes.subarray(location.ftyp.start, location.ftyp.end),
      bytes.subarray(location.moov.start, location.moov.end),
    )
  }

  it('delays its samples by the edit, where a file player shows them', () => {
    const reference = createFile(true)
    reference.appendBuffer(MP4BoxBuffer.fromArrayBuffer(EDITED.slice().buffer, 0), true)
    const movie = movieOf(EDITED)
    const [video, audio] = movie.tracks
    if (!video || !audio) throw new Error('the fixture has a video and an audio track')
    // 21 of the movie's 1000 ticks a second: 269 of the video's 12,800.
    const expected = reference.getTrackSamplesInfo(video.id).map((s) => [s.dts + 269, s.cts + 269])
    expect(video.samples.map((s) => [s.dts, s.cts])).toEqual(expected)
    expect(audio.samples.map((s) => s.dts)).toEqual(reference.getTrackSamplesInfo(audio.id).map((s) => s.dts))
    expect(movie.keyframeAtOrAfter(0)).toBeCloseTo(0.021016, 6)
  })

  it('writes the initialization segment without it, and the edit after it as it was', () => {
    const init = createFile(true)
    init.appendBuffer(MP4BoxBuffer.fromArrayBuffer(movieOf(EDITED).initSegment().slice().buffer, 0), true)
    const edits = init.moov?.traks.map((trak) =>
      (trak.edts?.elst?.entries ?? []).map((e) => [e.segment_duration, e.media_time]),
    )
    expect(edits).toEqual([[[2000, 1024]], [[2022, 0]]])
  })

  it('leaves an empty edit longer than the whole movie where it was (a crafted file)', () => {
    const crafted = EDITED.slice()
    // The video's edit list comes first; its first entry's duration (version 0: 32 bits) follows the count.
    const at = Buffer.from(crafted).indexOf('elst') + 12
    new DataView(crafted.buffer).setUint32(at, 0xffffffff)
    const reference = createFile(true)
    reference.appendBuffer(MP4BoxBuffer.fromArrayBuffer(crafted.slice().buffer, 0), true)
    const video = movieOf(crafted).tracks[0]
    if (!video) throw new Error('the fixture has a video track')
    expect(video.samples[0]?.dts).toBe(reference.getTrackSamplesInfo(video.id)[0]?.dts)
  })

  it('leaves a file without one as it was', () => {
    const movie = movieOf(FILE)
    const reference = createFile(true)
    reference.appendBuffer(MP4BoxBuffer.fromArrayBuffer(FILE.slice().buffer, 0), true)
    const video = movie.tracks[0]
    if (!video) throw new Error('the fixture has a video track')
    expect(video.samples[0]?.dts).toBe(reference.getTrackSamplesInfo(video.id)[0]?.dts)
  })
})

import { describe, expect, it } from 'vitest'
import {
  boxAt,
  completeUntil,
  findMoovInTail,
  isMp4,
  locateMoov,
  MAX_HEAD_BYTES,
  seekPoint,
  syncAtOrAfter,
  tailIndexStart,
  type SampleInfo,
} from '../../src/lib/media/mp4.ts'

/** A box: 32-bit size, type, `body` bytes (zeros). `large`: the 64-bit size form. */
function box(type: string, body: number, large = false): Uint8Array {
  const header = large ? 16 : 8
  const out = new Uint8Array(header + body)
  const view = new DataView(out.buffer)
  view.setUint32(0, large ? 1 : header + body)
  out.set(
    [...type].map((c) => c.charCodeAt(0)),
    4,
  )
  if (large) view.setUint32(12, header + body)
  return out
}

function file(...boxes: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(boxes.reduce((sum, b) => sum + b.length, 0))
  let at = 0
  for (const b of boxes) {
    out.set(b, at)
    at += b.length
  }
  return out
}

describe('where the index (moov) is, from the top-level boxes at the head', () => {
  it('a faststart file has it in the head: found once the head holds it whole', () => {
    const bytes = file(box('ftyp', 24), box('moov', 1000), box('free', 0), box('mdat', 5000))
    expect(isMp4(bytes)).toBe(true)
    expect(locateMoov(bytes, bytes.length)).toEqual({
      kind: 'head',
      ftyp: { type: 'ftyp', start: 0, end: 32 },
      moov: { type: 'moov', start: 32, end: 1040 },
    })
    // Only part of moov read so far: read on to its end.
    expect(locateMoov(bytes.subarray(0, 600), bytes.length)).toEqual({ kind: 'more', until: 1040 })
    // Not even its header.
    expect(locateMoov(bytes.subarray(0, 36), bytes.length)).toEqual({ kind: 'more', until: 48 })
  })

  it('moov after mdat: the tail from the end of mdat is fetched, and moov found among its boxes', () => {
    const bytes = file(
      box('ftyp', 24),
      box('free', 0),
      box('mdat', 50_000),
      box('moov', 700),
      box('udta', 10),
    )
    const location = locateMoov(bytes.subarray(0, 100), bytes.length)
    expect(location).toEqual({ kind: 'tail', ftyp: { type: 'ftyp', start: 0, end: 32 }, start: 50_048 })
    const tail = bytes.subarray(50_048)
    expect(findMoovInTail(tail, 50_048, bytes.length)).toEqual({ type: 'moov', start: 50_048, end: 50_756 })
    expect(findMoovInTail(bytes.subarray(50_756), 50_756, bytes.length)).toBeNull()
  })

  it('a 64-bit mdat size and a size of 0 (to the end of the file) are read', () => {
    const large = file(box('ftyp', 8), box('mdat', 100, true), box('moov', 50))
    expect(locateMoov(large.subarray(0, 40), large.length)).toMatchObject({ kind: 'tail', start: 132 })
    expect(boxAt(file(box('ftyp', 8), new Uint8Array([0, 0, 0, 0, 109, 100, 97, 116])), 16, 0, 1000)).toEqual(
      {
        type: 'mdat',
        start: 16,
        end: 1000,
      },
    )
  })

  it('what is not an MP4 it can stream is refused with a reason', () => {
    expect(isMp4(new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0]))).toBe(false)
    const noFtyp = file(box('moov', 10))
    expect(locateMoov(noFtyp, noFtyp.length)).toMatchObject({ kind: 'unsupported' })
    const noMoov = file(box('ftyp', 8), box('mdat', 100))
    expect(locateMoov(noMoov, noMoov.length)).toEqual({ kind: 'unsupported', reason: 'it has no moov box' })
    const fragmented = file(box('ftyp', 8), box('moof', 100), box('mdat', 100))
    expect(locateMoov(fragmented, fragmented.length)).toMatchObject({ kind: 'unsupported' })
    const broken = file(box('ftyp', 8), box('free', 10))
    new DataView(broken.buffer).setUint32(16, 4) // a box smaller than its header
    expect(locateMoov(broken, broken.length)).toMatchObject({ kind: 'unsupported' })
    // A head that never ends (a huge box before moov): refused rather than read forever.
    const huge = box('ftyp', 8)
    const skip = new Uint8Array(8)
    new DataView(skip.buffer).setUint32(0, MAX_HEAD_BYTES + 10)
    skip.set([102, 114, 101, 101], 4)
    expect(locateMoov(file(huge, skip), MAX_HEAD_BYTES * 2)).toMatchObject({ kind: 'unsupported' })
  })
})

/**
 * A video track at 25 fps (timescale 12800, 512 per frame), a sync sample every 25, presented two frames
 * late (B-frames), 1000 bytes a frame; and an AAC track (1024 samples at 48 kHz, every one a sync sample),
 * 200 bytes each. Interleaved a second at a time, as ffmpeg writes them.
 */
function movie(seconds: number) {
  const video: SampleInfo[] = []
  const audio: SampleInfo[] = []
  let offset = 48
  for (let s = 0; s < seconds; s++) {
    for (let f = 0; f < 25; f++) {
      const n = s * 25 + f
      video.push({ offset, size: 1000, cts: n * 512 + 1024, is_sync: f === 0 })
      offset += 1000
    }
    for (let a = Math.ceil((s * 48000) / 1024); a < Math.ceil(((s + 1) * 48000) / 1024); a++) {
      audio.push({ offset, size: 200, cts: a * 1024, is_sync: true })
      offset += 200
    }
  }
  return [
    { timescale: 12800, samples: video },
    { timescale: 48000, samples: audio },
  ]
}

describe('a time to where the read starts (seek)', () => {
  const tracks = movie(20)

  it('each track from its sync sample at or before the time; the read from the lowest offset', () => {
    const point = seekPoint(tracks, 12.5)
    // Video: the keyframe of second 12 (frame 300, shown at 12.08 s); audio: the sample playing at 12.5 s.
    expect(point.next[0]).toBe(300)
    expect(point.next[1]).toBe(Math.floor((12.5 * 48000) / 1024))
    expect(point.offset).toBe(tracks[0]!.samples[300]!.offset)
    expect(point.seconds).toBeCloseTo(12.08, 5)
  })

  it("on the timeline the element shows: the keyframe shown at the time, less the edit list's media time", () => {
    const [video, audio] = tracks
    const shown = [{ ...video!, mediaStart: 0.08 }, audio!]
    // Frame 300 is shown at 12 s: a seek to 12 s (a seek bar lands just past a keyframe) starts there, not at
    // the keyframe a second before, which the timeline without the edit list would pick.
    expect(seekPoint(shown, 12.001).next[0]).toBe(300)
    expect(seekPoint(tracks, 12.001).next[0]).toBe(275)
  })

  it('a time before the first frame shows starts at the start; past the end, after the last samples', () => {
    expect(seekPoint(tracks, 0)).toEqual({ next: [0, 0], offset: 48, seconds: 0 })
    const end = seekPoint(tracks, 1000)
    expect(end.next[0]).toBe(475) // the last keyframe
    expect(seekPoint([{ timescale: 1, samples: [] }], 5)).toEqual({ next: [0], offset: 0, seconds: 0 })
  })
})

describe('the first keyframe at or after a time (a seek bar lands there)', () => {
  const [video, audio] = movie(20)

  it('is the sync sample presented at or after it, in seconds', () => {
    // Keyframes are shown at s + 0.08 (two frames late).
    expect(syncAtOrAfter(video!, 12.5)).toBeCloseTo(13.08, 9)
    expect(syncAtOrAfter(video!, 13.08)).toBeCloseTo(13.08, 9)
    expect(syncAtOrAfter(video!, 13.0801)).toBeCloseTo(14.08, 9)
    expect(syncAtOrAfter(video!, 0)).toBeCloseTo(0.08, 9)
  })

  it('on the timeline the element shows: less the media time its edit list starts at', () => {
    const shown = { ...video!, mediaStart: 0.08 }
    expect(syncAtOrAfter(shown, 12.5)).toBeCloseTo(13, 9)
    expect(syncAtOrAfter(shown, 13)).toBeCloseTo(13, 9)
    expect(syncAtOrAfter(shown, 0)).toBeCloseTo(0, 9)
  })

  it("is null past the last one; an audio track's samples are each one", () => {
    expect(syncAtOrAfter(video!, 19.1)).toBeNull()
    expect(syncAtOrAfter(audio!, 1)).toBeCloseTo((47 * 1024) / 48000, 9)
    expect(syncAtOrAfter({ timescale: 1, samples: [] }, 0)).toBeNull()
  })
})

describe('which samples a window of read bytes holds whole', () => {
  const samples: SampleInfo[] = [0, 100, 250, 400].map((offset, i) => ({
    offset,
    size: [100, 150, 150, 50][i]!,
    cts: i,
    is_sync: true,
  }))

  it('runs up to the first sample not wholly inside it', () => {
    expect(completeUntil(samples, 0, 0, 260)).toBe(2)
    expect(completeUntil(samples, 0, 0, 450)).toBe(4)
    expect(completeUntil(samples, 2, 250, 399)).toBe(2)
    // A sample that starts before the window (its bytes were dropped) stops the run.
    expect(completeUntil(samples, 1, 150, 450)).toBe(1)
  })
})

describe('where the index lies when it follows the media data (the owner tells the others)', () => {
  it('is the end of mdat for moov at the end, and nothing for a faststart file or no MP4', () => {
    const tail = file(box('ftyp', 24), box('free', 0), box('mdat', 50_000, true), box('moov', 700))
    expect(tailIndexStart(tail.subarray(0, 64), tail.length)).toBe(50_056)
    const head = file(box('ftyp', 24), box('moov', 1000), box('mdat', 5000))
    expect(tailIndexStart(head, head.length)).toBeNull()
    // The head does not reach mdat's header yet: nothing to tell.
    expect(tailIndexStart(tail.subarray(0, 36), tail.length)).toBeNull()
    expect(tailIndexStart(file(box('EBML', 40)), 48)).toBeNull()
  })
})

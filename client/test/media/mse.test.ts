import { describe, expect, it, vi } from 'vitest'
import { mseCandidate, NEAR_BYTES, readOnFrom, readReachesSoon } from '../../src/lib/media/mse.ts'
import { loadMp4Movie, PENDING_SLACK_S, readBringsIt, warmUpMp4 } from '../../src/lib/media/mse-mp4.ts'

/** An element's `buffered` and `currentTime`, as plain numbers. */
function media(ranges: [number, number][], currentTime = 0) {
  const buffered = {
    length: ranges.length,
    start: (i: number) => ranges[i]![0],
    end: (i: number) => ranges[i]![1],
  } as TimeRanges
  return { buffered, currentTime }
}

describe('what is buffered around the playhead', () => {
  it('tries MSE for WebM and MP4 names only, and only where there is a MediaSource', () => {
    expect(mseCandidate('clip.webm')).toBe(false) // Node has none
    vi.stubGlobal('MediaSource', class {})
    try {
      expect(mseCandidate('clip.webm')).toBe(true)
      expect(mseCandidate('CLIP.WEBM')).toBe(true)
      expect(mseCandidate('clip.mp4')).toBe(true)
      expect(mseCandidate('clip.mkv')).toBe(false)
      expect(mseCandidate('clip.webm.mkv')).toBe(false)
    } finally {
      vi.unstubAllGlobals()
    }
  })

  it('a seek waits for the running read only when it gets to the cluster without waiting for peers', () => {
    const all = () => true
    const none = () => false
    // Inside the cluster already: its bytes are being read now.
    expect(readReachesSoon(5_000, 4_000, 9_000, none)).toBe(true)
    expect(readReachesSoon(9_000, 4_000, 9_000, all)).toBe(false) // past it
    // Before it, with everything up to it downloaded: appending that takes milliseconds.
    expect(readReachesSoon(1_000, 4_000, 9_000, all)).toBe(true)
    // Before it, with bytes still to download first: start at the cluster (the torrent then fetches it first).
    expect(readReachesSoon(1_000, 4_000, 9_000, none)).toBe(false)
    const asked: [number, number][] = []
    readReachesSoon(1_000, 4_000, 9_000, (start, end) => (asked.push([start, end]), true))
    expect(asked).toEqual([[1_000, 4_000]])
    // Too far before it, even if all there.
    expect(readReachesSoon(0, NEAR_BYTES + 1, NEAR_BYTES + 10, all)).toBe(false)
  })
})

describe('where the read goes on from (a seek, or a wait for data)', () => {
  // Clusters of the test video: one every 3 s, 100 KB each; the file ends at 20.02 s.
  const cues = [0, 3, 6, 9, 12, 15, 18].map((seconds, i) => ({ seconds, offset: 1_000 + i * 100_000 }))
  const source = { length: 701_000, has: () => true }
  const element = (ranges: [number, number][], currentTime: number) => ({
    ...media(ranges, currentTime),
    duration: 20.02,
  })

  it('a seek into a piece left by a read cut short reads on from the end of that piece', () => {
    // A late joiner's read from 0 is cut by its seek into the room at 3 s: 0–1.17 s stays behind, and the
    // read from 3 s reaches the end. The room's seek back to 1.15 s lands in the piece, with nothing reading.
    const joiner = element(
      [
        [0, 1.17],
        [3, 20.02],
      ],
      1.15,
    )
    expect(readOnFrom(joiner, cues, { pumping: false, position: 701_000 }, source)).toEqual(cues[0])
  })

  it('nothing to do when the range reaches the end, or the running read is at its end', () => {
    const all = element([[0, 20.02]], 5)
    expect(readOnFrom(all, cues, { pumping: false, position: 701_000 }, source)).toBeNull()
    // Buffered to 7.5 s: the read is in the cluster from 6 s, or has just handed it over whole.
    const part = element([[0, 7.5]], 5)
    expect(readOnFrom(part, cues, { pumping: true, position: 250_000 }, source)).toBeNull()
    expect(readOnFrom(part, cues, { pumping: true, position: 301_000 }, source)).toBeNull()
  })

  it('a wait with no read running, or a read elsewhere, reads on from the cluster at the range end', () => {
    const waiting = element([[10, 13.4]], 13.4)
    expect(readOnFrom(waiting, cues, { pumping: false, position: 0 }, source)).toEqual(cues[4])
    expect(readOnFrom(waiting, cues, { pumping: true, position: 601_000 }, source)).toEqual(cues[4])
    // Nothing buffered where the playhead is: from the cluster there.
    expect(readOnFrom(element([], 16), cues, { pumping: false, position: 0 }, source)).toEqual(cues[5])
  })
})

describe('an MP4: whether the running read brings the time to play next', () => {
  const all = () => true
  const none = () => false
  // The samples for 12 s start at byte 500 000.
  const at = (pumping: boolean, position: number) => ({ pumping, position })

  it('waits for a read whose next sample is not past that time and that is at, or just before, its bytes', () => {
    expect(readBringsIt(at(true, 600_000), 11.5, 12, 500_000, none)).toBe(true)
    expect(readBringsIt(at(true, 400_000), 11.5, 12, 500_000, all)).toBe(true)
    // Its next samples follow the time within how the tracks interleave.
    expect(readBringsIt(at(true, 600_000), 12 + PENDING_SLACK_S, 12, 500_000, none)).toBe(true)
  })

  it('restarts when no read runs, the read is past that time, or would first wait for other bytes', () => {
    expect(readBringsIt(at(false, 600_000), 11.5, 12, 500_000, all)).toBe(false)
    expect(readBringsIt(at(true, 600_000), 30, 12, 500_000, all)).toBe(false)
    expect(readBringsIt(at(true, 600_000), null, 12, 500_000, all)).toBe(false) // it has read everything
    expect(readBringsIt(at(true, 400_000), 3, 12, 500_000, none)).toBe(false)
    expect(readBringsIt(at(true, 0), 0, 12, NEAR_BYTES + 1, all)).toBe(false)
  })
})

describe('loading the MP4 index reader early', () => {
  it('starts for an MP4 or M4V name, not for others', () => {
    expect(warmUpMp4('Film.MP4')).toBe(true)
    expect(warmUpMp4('clip.m4v')).toBe(true)
    expect(warmUpMp4('film.webm')).toBe(false)
    expect(warmUpMp4('mp4')).toBe(false)
  })

  it('loads the module once, however many ask', async () => {
    warmUpMp4('film.mp4')
    expect(loadMp4Movie()).toBe(loadMp4Movie())
    const { Mp4Movie } = await loadMp4Movie()
    expect(typeof Mp4Movie).toBe('function')
  })
})

import { describe, expect, it } from 'vitest'
import { claimedSampleBytes, locateMoov } from '../../src/lib/media/mp4.ts'
import { MAX_PREFETCHED_TAIL, openMp4, prefetchTail, tailIndexOf } from '../../src/lib/media/mse-mp4.ts'
import type { ByteSource } from '../../src/lib/media/feed.ts'
import { fixture, loggedSource } from './logged-source.ts'

// The same ffmpeg-made H.264 + AAC file (media/mp4-samples.test.ts), with its moov after the media data
// (as ffmpeg writes it) and at the head (+faststart).
async function open(name: string) {
  const { source, log } = loggedSource(fixture(name))
  const iterator = source.read(0)
  const first = await iterator.next()
  if (first.done) throw new Error('empty fixture')
  return { opened: await openMp4(iterator, first.value, source), log }
}

describe('opening an MP4: where its index is read from', () => {
  it('with moov at the end, the read from the start ends before the tail is read, and goes on after', async () => {
    const { opened, log } = await open('h264-aac-moov-end.mp4')
    if (!opened.ok) throw new Error(opened.reason)
    // The head's first chunk told where moov is; the tail's read comes after the head's ended, and the read
    // from where the head stopped after the tail's.
    expect(log).toEqual(['read 0', 'end 0', expect.stringMatching(/^read [1-9]\d*$/), 'read 4096'])
    expect(opened.position).toBe(4096)
    // Its first chunk was asked for during the open.
    const next = await opened.readAgain?.next
    expect(next?.value).toEqual(fixture('h264-aac-moov-end.mp4').slice(4096, 8192))
    expect(opened.feed.mimeType).toMatch(/^video\/mp4; codecs="avc1\.[0-9a-f]{6},mp4a\.40\.2"$/)
  })

  it('with moov at the end, the read from the start goes on as soon as the first of the tail is in', async () => {
    const bytes = fixture('h264-aac-moov-end.mp4')
    const { source, log } = loggedSource(bytes, { chunk: 1024, chunks: true })
    const iterator = source.read(0)
    const first = await iterator.next()
    if (first.done) throw new Error('empty fixture')
    const opened = await openMp4(iterator, first.value, source)
    if (!opened.ok) throw new Error(opened.reason)
    const location = locateMoov(bytes, bytes.length)
    if (location.kind !== 'tail') throw new Error('the fixture has its moov at the end')
    const tail = location.start
    expect(bytes.length - tail).toBeGreaterThan(2048)
    // The head's read is asked for behind the tail's first chunk, before the rest of the tail.
    expect(log.slice(0, 6)).toEqual([
      'read 0',
      'chunk 0',
      'end 0',
      `read ${tail}`,
      `chunk ${tail}`,
      'read 1024',
    ])
    expect(log).toContain(`chunk ${tail + 1024}`)
    expect(opened.position).toBe(1024)
  })

  it('with moov at the head, the read from the start goes on', async () => {
    const { opened, log } = await open('h264-aac.mp4')
    if (!opened.ok) throw new Error(opened.reason)
    expect(opened.readAgain).toBeUndefined()
    expect(log).toEqual(['read 0'])
    expect(opened.position).toBeGreaterThan(0)
  })
})

describe('an index that claims more samples than the file holds', () => {
  /** The faststart file with its first `stsz` rewritten in place: every sample 1 byte, a billion of them. */
  function crafted(): Uint8Array {
    const bytes = fixture('h264-aac.mp4')
    const at = Buffer.from(bytes).indexOf('stsz') + 4
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    view.setUint32(at + 4, 1)
    view.setUint32(at + 8, 1_000_000_000)
    return bytes
  }

  it('is counted from the constant-size table, and a real file claims no more than it holds', () => {
    const real = fixture('h264-aac.mp4')
    const location = locateMoov(real, real.length)
    if (location.kind !== 'head') throw new Error('the fixture has its moov at the head')
    const moovOf = (bytes: Uint8Array) => bytes.subarray(location.moov.start, location.moov.end)
    expect(claimedSampleBytes(moovOf(real))).toBeLessThanOrEqual(real.length)
    expect(claimedSampleBytes(moovOf(crafted()))).toBe(1_000_000_000)
  })

  it('is refused before mp4box expands it', async () => {
    const { source } = loggedSource(crafted())
    const iterator = source.read(0)
    const first = await iterator.next()
    if (first.done) throw new Error('empty fixture')
    const opened = await openMp4(iterator, first.value, source)
    expect(opened).toEqual({ ok: false, reason: 'its index claims more sample data than the file holds' })
  })
})

describe('an index the owner says is at the end: asked for before the head', () => {
  const bytes = fixture('h264-aac-moov-end.mp4')
  const location = locateMoov(bytes, bytes.length)
  if (location.kind !== 'tail') throw new Error('the fixture has its moov at the end')

  /** Opens the file as media/mse.ts does: the hinted tail first, then the read from the start. */
  async function openHinted(tailIndexAt: number) {
    const logged = loggedSource(bytes)
    const source: ByteSource = { ...logged.source, tailIndexAt }
    const tail = prefetchTail(source)
    const iterator = source.read(0)
    const first = await iterator.next()
    if (first.done) throw new Error('empty fixture')
    const opened = await openMp4(iterator, first.value, source, tail)
    return { opened, log: logged.log }
  }

  it('where the head says too: the tail comes first and the read from the start goes on untouched', async () => {
    const { opened, log } = await openHinted(location.start)
    if (!opened.ok) throw new Error(opened.reason)
    expect(log).toEqual([`read ${location.start}`, 'read 0'])
    expect(opened.readAgain).toBeUndefined()
    expect(opened.position).toBe(4096)
    expect(opened.feed.mimeType).toMatch(/^video\/mp4; codecs="avc1\.[0-9a-f]{6},mp4a\.40\.2"$/)
  })

  it('where the head says otherwise: that read is stopped and the index is found as without a hint', async () => {
    const wrong = location.start - 8
    const { opened, log } = await openHinted(wrong)
    if (!opened.ok) throw new Error(opened.reason)
    expect(log).toEqual([
      `read ${wrong}`,
      'read 0',
      `end ${wrong}`,
      'end 0',
      `read ${location.start}`,
      'read 4096',
    ])
    expect(opened.position).toBe(4096)
  })

  it('no hint, or one outside the file or too far from its end, asks for nothing', () => {
    const { source, log } = loggedSource(bytes)
    const at = (tailIndexAt: number | undefined, length = bytes.length) =>
      prefetchTail({ ...source, length, ...(tailIndexAt === undefined ? {} : { tailIndexAt }) })
    expect(at(undefined)).toBeNull()
    expect(at(0)).toBeNull()
    expect(at(bytes.length)).toBeNull()
    expect(at(1.5)).toBeNull()
    expect(at(1, MAX_PREFETCHED_TAIL + 2)).toBeNull()
    expect(log).toEqual([])
    const near = at(MAX_PREFETCHED_TAIL, MAX_PREFETCHED_TAIL * 2)
    expect(near?.start).toBe(MAX_PREFETCHED_TAIL)
    near?.cancel()
  })

  it("is read from a dropped file's head by its owner", async () => {
    expect(await tailIndexOf(new Blob([bytes]))).toBe(location.start)
    expect(await tailIndexOf(new Blob([fixture('h264-aac.mp4')]))).toBeNull()
    expect(await tailIndexOf(new Blob([new Uint8Array(100)]))).toBeNull()
  })
})

import { describe, expect, it } from 'vitest'
import { openMp4 } from '../../src/lib/media/mse-mp4.ts'
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

  it('with moov at the head, the read from the start goes on', async () => {
    const { opened, log } = await open('h264-aac.mp4')
    if (!opened.ok) throw new Error(opened.reason)
    expect(opened.readAgain).toBeUndefined()
    expect(log).toEqual(['read 0'])
    expect(opened.position).toBeGreaterThan(0)
  })
})

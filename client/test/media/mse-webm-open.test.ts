import { describe, expect, it } from 'vitest'
import { openWebm } from '../../src/lib/media/mse-webm.ts'
import { fixture, loggedSource } from './logged-source.ts'

// ffmpeg -f lavfi -i testsrc=size=160x90:rate=25:duration=4 -f lavfi -i sine=frequency=440:sample_rate=48000:duration=4
//   -c:v libvpx-vp9 -b:v 30k -g 25 -deadline realtime -cpu-used 8 -c:a libopus -b:a 12k vp9-opus.webm
// A cluster a second (a keyframe each), the Cues after the last cluster.
const FILE = fixture('vp9-opus.webm')

async function open() {
  const { source, log } = loggedSource(FILE)
  const iterator = source.read(0)
  const first = await iterator.next()
  if (first.done) throw new Error('empty fixture')
  const opened = await openWebm(iterator, first.value, source)
  if (!opened.ok) throw new Error(opened.reason)
  return { feed: opened.feed, log }
}

describe('a WebM feed reads its Cues once, ahead of the seek when asked', () => {
  it('prepare starts reading the Cues at the end of the file; seeks after it find their cluster in them', async () => {
    const { feed, log } = await open()
    expect(log).toEqual(['read 0'])
    feed.prepare?.()
    // Started at once, before any seek: a read far past the head (the Cues' header, then the Cues).
    expect(log).toHaveLength(2)
    expect(Number(log[1]?.split(' ')[1])).toBeGreaterThan(FILE.length / 2)

    const restart = await feed.restartFor(2.5, { pumping: false, position: 0 })
    expect(restart?.offset).toBeGreaterThan(10_000)
    const reads = [...log]
    await feed.restartFor(3.5, { pumping: false, position: 0 })
    expect(log).toEqual(reads)
  })

  it('without prepare, the first seek reads the Cues itself', async () => {
    const { feed, log } = await open()
    const restart = await feed.restartFor(2.5, { pumping: false, position: 0 })
    expect(restart?.offset).toBeGreaterThan(10_000)
    expect(log.length).toBeGreaterThan(1)
  })
})

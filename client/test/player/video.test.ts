import { describe, expect, it } from 'vitest'
import { EXPECT_TIMEOUT_MS, Video } from '../../src/lib/player/video.ts'
import type { UserAction } from '../../src/lib/sync/player.ts'
import { FakeVideo } from './fakes.ts'

const flush = () => new Promise((resolve) => setTimeout(resolve, 10))

function setup() {
  let now = 0
  const video = new FakeVideo(() => now)
  const player = new Video(video as unknown as HTMLVideoElement, () => now)
  const actions: UserAction[] = []
  player.onUserAction((a) => actions.push(a))
  return { video, player, actions, advance: (ms: number) => (now += ms) }
}

describe('Video', () => {
  it("swallows the events of the controller's own corrections", async () => {
    const { player, actions } = setup()
    await player.play()
    player.setRate(1.03)
    player.seek(12)
    player.seek(12.5) // two seeks in a row: two `seeking` events
    player.setRate(1)
    player.pause()
    await flush()
    expect(actions).toEqual([])
  })

  it("reports the person's own actions: controls, keyboard, or a script on the element", async () => {
    const { video, actions } = setup()
    await video.play()
    video.currentTime = 42
    video.playbackRate = 1.5
    video.pause()
    await flush()
    expect(actions).toEqual([
      { type: 'play' },
      { type: 'seek', position: 42 },
      { type: 'ratechange', rate: 1.5 },
      { type: 'pause' },
    ])
  })

  it('tells them apart when they interleave', async () => {
    const { video, player, actions } = setup()
    player.seek(10)
    video.currentTime = 20
    await flush()
    expect(actions).toEqual([{ type: 'seek', position: 20 }])
  })

  it('ignores the pause the element makes by itself at the end', async () => {
    const { video, actions } = setup()
    await video.play()
    await flush()
    video.end()
    await flush()
    expect(actions).toEqual([{ type: 'play' }])
  })

  it('ignores the pause and rate reset that loading a new source makes (another item or file)', async () => {
    const { video, actions } = setup()
    await video.play()
    await flush()
    video.playbackRate = 1.002 // as the controller left it
    await flush()
    actions.length = 0
    video.load()
    await flush()
    expect(actions).toEqual([])
  })

  it('does not mark operations that change nothing (no event would come to swallow)', async () => {
    const { video, player, actions } = setup()
    player.pause() // already paused
    player.setRate(1) // already 1
    video.play()
    await flush()
    expect(actions).toEqual([{ type: 'play' }])
  })

  it('a refused play() rejects and does not swallow the next user play', async () => {
    const { video, player, actions } = setup()
    video.refusePlay = true
    await expect(player.play()).rejects.toThrow('NotAllowedError')
    video.refusePlay = false
    await video.play()
    await flush()
    expect(actions).toEqual([{ type: 'play' }])
  })

  it(`an expectation never met (a coalesced event) expires after ${EXPECT_TIMEOUT_MS} ms`, async () => {
    const { video, player, actions, advance } = setup()
    video.silent = true
    player.seek(5) // the browser coalesced this `seeking` away
    await flush()
    video.silent = false
    advance(EXPECT_TIMEOUT_MS - 1)
    video.currentTime = 7 // still within the window: wrongly taken for ours
    await flush()
    player.seek(6)
    video.silent = true
    await flush()
    video.silent = false
    advance(EXPECT_TIMEOUT_MS + 1)
    video.currentTime = 8 // past the window: the person's
    await flush()
    expect(actions).toEqual([{ type: 'seek', position: 8 }])
  })

  it("swallows a correction's event that a busy page handles long after the element fired it", async () => {
    const { player, actions, advance } = setup()
    player.seek(12) // the element fires `seeking` now…
    advance(EXPECT_TIMEOUT_MS + 900) // …and the page's main thread gets to it almost two seconds later
    await flush()
    expect(actions).toEqual([])
  })

  it('snapshots the element', () => {
    const { video, player } = setup()
    video.currentTime = 10
    expect(player.snapshot()).toEqual({
      currentTime: 10,
      paused: true,
      playbackRate: 1,
      readyState: 4,
      seeking: true,
      bufferedAhead: 20,
      duration: 100,
    })
  })

  it('attaches a source, releasing the one before; detaching empties the element and releases it', () => {
    const { video, player } = setup()
    const released: string[] = []
    const a = { url: 'blob:a', kind: 'file' as const, release: () => released.push('a') }
    const b = { url: 'blob:b', kind: 'mse' as const, release: () => released.push('b') }
    player.attachSource(a)
    expect([video.currentSrc, video.dataset['stream'], player.isAttached(a)]).toEqual([
      'blob:a',
      'file',
      true,
    ])
    player.attachSource(b)
    expect([video.currentSrc, video.dataset['stream'], released]).toEqual(['blob:b', 'mse', ['a']])
    expect(player.isAttached(a)).toBe(false)
    player.detachSource()
    expect([video.currentSrc, video.loads, released]).toEqual(['', 1, ['a', 'b']])
    player.detachSource() // nothing attached: the element is not loaded again
    expect(video.loads).toBe(1)
  })

  it('hands the element to a source that feeds it itself (hls.js) instead of loading its URL', () => {
    const { video, player } = setup()
    const mounted: unknown[] = []
    const stream = {
      url: 'https://cdn.example/live/index.m3u8',
      kind: 'hls' as const,
      mount: (element: HTMLMediaElement) => mounted.push(element),
    }
    player.attachSource(stream)
    expect([mounted, video.currentSrc, video.dataset['stream']]).toEqual([[video], '', 'hls'])
    expect(player.isAttached(stream)).toBe(true)
  })

  it("fans the element's events out to subscribers through one listener per event", async () => {
    const { video, player } = setup()
    const before = video.listeners
    const seen: string[] = []
    const offA = player.on('timeupdate', () => seen.push('a'))
    player.on('timeupdate', () => seen.push('b'))
    expect(video.listeners).toBe(before + 1)
    video.dispatchEvent(new Event('timeupdate'))
    offA()
    video.dispatchEvent(new Event('timeupdate'))
    expect(seen).toEqual(['a', 'b', 'b'])
  })

  it('destroy removes every listener and releases the source', () => {
    const { video, player } = setup()
    let released = false
    player.on('waiting', () => {})
    player.onMediaProgress(() => {})
    player.attachSource({ url: 'blob:x', kind: 'file', release: () => (released = true) })
    expect(video.listeners).toBeGreaterThan(0)
    player.destroy()
    expect(video.listeners).toBe(0)
    expect(released).toBe(true)
    expect(video.currentSrc).toBe('')
  })
})

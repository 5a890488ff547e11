import { describe, expect, it, vi } from 'vitest'
import { Video } from '../../src/lib/player/video.ts'
import type { UserAction } from '../../src/lib/sync/player.ts'
import { FakeVideo } from './fakes.ts'

const flush = () => new Promise((resolve) => setTimeout(resolve, 10))

function setup() {
  const video = new FakeVideo()
  /** a person's input precedes the element's events (the browser's transient activation) */
  const input = { active: true }
  const player = new Video(video as unknown as HTMLVideoElement, { personActive: () => input.active })
  const actions: UserAction[] = []
  player.onUserAction((a) => actions.push(a))
  return { video, player, actions, input }
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

  it('takes the seek to the start that playing from the end makes for part of its own play()', async () => {
    const { video, player, actions } = setup()
    await video.play()
    await flush()
    video.end()
    await flush()
    await player.play()
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

  it('does not mark a seek with nothing loaded (the element fires no seeking for it)', async () => {
    const { video, player, actions } = setup()
    video.readyState = 0
    player.seek(12)
    video.readyState = 4
    video.currentTime = 30 // the person's seek, once the video is there
    await flush()
    expect(actions).toEqual([{ type: 'seek', position: 30 }])
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

  it('takes its own events for its own however late they come (a busy main thread), never by a deadline', async () => {
    vi.useFakeTimers()
    try {
      const { video, player, actions } = setup()
      await player.play()
      await vi.advanceTimersByTimeAsync(10)
      video.hold = true // the page's main thread is blocked: the element's events wait
      player.pause()
      player.seek(12)
      player.setRate(1.05)
      await vi.advanceTimersByTimeAsync(5_000)
      expect(video.queued).toBe(3)
      video.hold = false
      video.release() // dispatched 5 s later, in order
      await vi.advanceTimersByTimeAsync(10)
      expect(actions).toEqual([])
    } finally {
      vi.useRealTimers()
    }
  })

  it("a person's action queued behind ours is still the person's", async () => {
    const { video, player, actions } = setup()
    await player.play()
    video.hold = true
    player.seek(12)
    video.currentTime = 30 // the person, before our event was dispatched
    video.hold = false
    video.release()
    await flush()
    expect(actions).toEqual([{ type: 'seek', position: 30 }])
  })

  it("what the element does with no person's input before it is its own, not a room command", async () => {
    const { video, actions, input } = setup()
    await video.play()
    await flush()
    input.active = false // nobody clicked, typed or ran a script for a while
    video.pause() // e.g. the browser pausing a page under load
    video.currentTime = 17 // e.g. the element jumping on its own
    video.playbackRate = 1.25
    await video.play()
    await flush()
    expect(actions).toEqual([{ type: 'play' }])
    input.active = true // the person acts: a script from the console, a click on native controls
    video.pause()
    await flush()
    expect(actions).toEqual([{ type: 'play' }, { type: 'pause' }])
  })

  it('a load drops the marks whose events it drops: a later action is not swallowed', async () => {
    const { video, player, actions } = setup()
    await video.play()
    await flush()
    actions.length = 0
    video.silent = true // the load drops these events before they are dispatched
    player.seek(5)
    player.pause()
    player.attachSource({ url: 'blob:next', kind: 'file' })
    video.silent = false
    video.readyState = 4
    video.currentTime = 7
    await video.play()
    await flush()
    expect(actions).toEqual([{ type: 'seek', position: 7 }, { type: 'play' }])
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

  it("tells streaming of the app's seek inside the seek, before the element's queued seeking", async () => {
    const { video, player } = setup()
    await player.play()
    const before = video.listeners
    const seen: string[] = []
    player.on('seek', () => seen.push(`seek ${player.currentTime}`))
    player.on('seeking', () => seen.push('seeking'))
    expect(video.listeners).toBe(before) // `seek` is the player's own; `seeking` has its one listener already
    player.seek(30)
    expect(seen).toEqual(['seek 30'])
    await flush()
    expect(seen).toEqual(['seek 30', 'seeking'])
    video.currentTime = 40 // the person's seek on the element: only the element's event
    await flush()
    expect(seen).toEqual(['seek 30', 'seeking', 'seeking'])
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

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { POLL_MS, traceJoin, type TracedApp } from '../../src/lib/testing/join-trace.ts'

/** A room as the tracer reads it, every field set by the test. */
function fakeApp() {
  const state = {
    started: false,
    linkCount: 0,
    connection: { kind: 'connecting' },
    members: new Map<string, { transport: string }>([['me', { transport: 'self' }]]),
    authority: null as unknown,
    selected: null as unknown,
    nowPlaying: null as { infoHash: string } | null,
    progress: new Map<string, { received: number }>(),
    frame: 'me',
    sharedNow: undefined as number | undefined,
  }
  const app: TracedApp = {
    playback: {
      inspect: () =>
        ({ frame: () => state.frame, sharedNow: () => state.sharedNow }) as unknown as ReturnType<
          TracedApp['playback']['inspect']
        >,
    },
    room: {
      get started() {
        return state.started
      },
      get linkCount() {
        return state.linkCount
      },
      get connection() {
        return state.connection
      },
      get members() {
        return state.members
      },
      selfId: 'me',
      get authority() {
        return state.authority
      },
    },
    streaming: {
      playlist: {
        get selected() {
          return state.selected
        },
      },
      get nowPlaying() {
        return state.nowPlaying
      },
      get progress() {
        return state.progress
      },
    },
  }
  return { app, state }
}

const marked = () =>
  performance
    .getEntriesByType('mark')
    .map((m) => m.name)
    .filter((name) => name.startsWith('theatron:join:'))
    .map((name) => name.slice('theatron:join:'.length))

describe('traceJoin', () => {
  beforeEach(() => {
    performance.clearMarks()
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  })
  afterEach(() => {
    vi.useRealTimers()
    performance.clearMarks()
  })

  it('marks each step once, when it is first seen done', () => {
    const { app, state } = fakeApp()
    const stop = traceJoin(app)
    expect(marked()).toEqual(['app'])

    state.connection = { kind: 'connected' }
    vi.advanceTimersByTime(POLL_MS)
    expect(marked()).toEqual(['app', 'signaling'])

    // Linked while the name is asked: the mesh step, no member's link yet.
    state.linkCount = 1
    vi.advanceTimersByTime(POLL_MS)
    expect(marked()).toEqual(['app', 'signaling', 'mesh'])

    state.started = true
    state.members.set('bo', { transport: 'relay' })
    vi.advanceTimersByTime(POLL_MS)
    expect(marked()).toEqual(['app', 'signaling', 'mesh', 'started', 'link'])

    // Undone and done again: still one mark.
    state.connection = { kind: 'waiting' }
    vi.advanceTimersByTime(POLL_MS)
    state.connection = { kind: 'connected' }
    vi.advanceTimersByTime(POLL_MS)
    expect(marked().filter((step) => step === 'signaling')).toHaveLength(1)
    stop()
  })

  it('counts shared time only in another member’s frame, bytes only for the item shown', () => {
    const { app, state } = fakeApp()
    const stop = traceJoin(app)
    state.sharedNow = 1000 // alone: its own clock
    state.progress.set('aa', { received: 10 })
    vi.advanceTimersByTime(POLL_MS * 3)
    expect(marked()).not.toContain('clock')
    expect(marked()).not.toContain('bytes')

    state.frame = 'bo'
    state.nowPlaying = { infoHash: 'aa' }
    vi.advanceTimersByTime(POLL_MS)
    expect(marked()).toEqual(expect.arrayContaining(['clock', 'bytes']))
    stop()
  })

  it('stops looking once every step is marked, or when stopped', () => {
    const { app, state } = fakeApp()
    traceJoin(app)
    Object.assign(state, {
      started: true,
      linkCount: 1,
      connection: { kind: 'connected' },
      authority: {},
      selected: {},
      nowPlaying: { infoHash: 'aa' },
      frame: 'bo',
      sharedNow: 5,
    })
    state.members.set('bo', { transport: 'webrtc' })
    state.progress.set('aa', { received: 1 })
    vi.advanceTimersByTime(POLL_MS)
    expect(marked()).toHaveLength(10)
    expect(vi.getTimerCount()).toBe(0)

    const second = fakeApp()
    const stop = traceJoin(second.app)
    expect(vi.getTimerCount()).toBe(1)
    stop()
    expect(vi.getTimerCount()).toBe(0)
  })
})

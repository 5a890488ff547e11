import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { FeatureHandle, FeatureHost, RoomFeature } from '../../src/lib/room/feature.ts'
import {
  REACTION_BURST,
  REACTION_FEATURE,
  REACTION_SHOW_MS,
  REACTION_WINDOW_MS,
  REACTIONS,
  ReactionLimiter,
  formatMediaTime,
  parseReaction,
} from '../../src/lib/room/reactions.ts'
import { ReactionStore } from '../../src/lib/room/reactions.svelte.ts'
import { realTimers } from '../../src/lib/timers.ts'
import { expectWarning } from '../console.ts'

describe('parseReaction', () => {
  it('takes an emoji of the palette and a media time', () => {
    expect(parseReaction({ emoji: '👍', at: 12.5 })).toEqual({ ok: true, value: { emoji: '👍', at: 12.5 } })
    expect(parseReaction({ emoji: '❤️', at: null }).ok).toBe(true)
  })

  it('refuses text, other emoji, and times that are no position', () => {
    for (const body of [
      { emoji: 'you are fired', at: 1 },
      { emoji: '💩', at: 1 },
      { emoji: '👍👍', at: 1 },
      { emoji: '👍', at: -1 },
      { emoji: '👍', at: 1e12 },
      { emoji: '👍', at: '3' },
      { emoji: '👍' },
      null,
      'x'.repeat(100),
    ]) {
      const parsed = parseReaction(body)
      expect(parsed.ok, JSON.stringify(body)).toBe(false)
      if (!parsed.ok) expect(parsed.error.code).toBe('ERR_INVALID')
    }
  })

  it('every palette entry has a label for its button', () => {
    expect(REACTIONS.length).toBeGreaterThanOrEqual(4)
    for (const reaction of REACTIONS) expect(reaction.label.length).toBeGreaterThan(0)
  })
})

describe('ReactionLimiter', () => {
  it('lets a burst through, then drops until the window has room, per member', () => {
    const limiter = new ReactionLimiter()
    const verdicts = Array.from({ length: REACTION_BURST + 3 }, (_, i) => limiter.take('a', 1000 + i))
    expect(verdicts.slice(0, REACTION_BURST)).toEqual(Array(REACTION_BURST).fill('ok'))
    expect(verdicts.slice(REACTION_BURST)).toEqual(['over', 'dropped', 'dropped'])
    expect(limiter.take('b', 1010)).toBe('ok')
    expect(limiter.take('a', 1000 + REACTION_WINDOW_MS)).toBe('ok')
  })

  it('counts a new flood as a new one once the member calmed down', () => {
    const limiter = new ReactionLimiter(1, 100)
    expect(limiter.take('a', 0)).toBe('ok')
    expect(limiter.take('a', 1)).toBe('over')
    expect(limiter.take('a', 200)).toBe('ok')
    expect(limiter.take('a', 201)).toBe('over')
  })
})

describe('formatMediaTime', () => {
  it('writes minutes and seconds, hours when there are any', () => {
    expect(formatMediaTime(5.9)).toBe('0:05')
    expect(formatMediaTime(65)).toBe('1:05')
    expect(formatMediaTime(3725)).toBe('1:02:05')
  })
})

/** Members whose feature messages are delivered at once, JSON-encoded, tagged with the sender. */
class FakeRooms {
  readonly features = new Map<string, RoomFeature>()
  readonly names = new Map<string, string>()

  member(selfId: string, name: string): FeatureHost {
    this.names.set(selfId, name)
    const names = this.names
    return {
      selfId,
      host: null,
      get memberList() {
        return [...names].map(([id, n]) => ({ id, name: n }))
      },
      canControlPlayback: () => true,
      registerFeature: (feature: string, handler: RoomFeature): FeatureHandle => {
        expect(feature).toBe(REACTION_FEATURE)
        this.features.set(selfId, handler)
        return {
          send: (body) => this.deliver(selfId, JSON.parse(JSON.stringify(body))),
          unregister: () => this.features.delete(selfId),
        }
      },
    }
  }

  deliver(from: string, body: unknown): void {
    for (const [id, other] of this.features) if (id !== from) other.onMessage(from, body)
  }
}
describe('ReactionStore', () => {
  let rooms: FakeRooms
  let clock = 0
  const now = () => clock
  beforeEach(() => {
    vi.useFakeTimers()
    rooms = new FakeRooms()
    clock = 10_000
  })
  afterEach(() => vi.useRealTimers())

  it('shows a reaction on every screen with the sender’s name and media time, then lets it go', () => {
    const ana = new ReactionStore({ room: rooms.member('a', 'Ana'), mediaTime: () => 42.5, now })
    const bo = new ReactionStore({ room: rooms.member('b', 'Bo'), mediaTime: () => 40, now })
    expect(ana.send('😂')).toBe(true)
    for (const store of [ana, bo])
      expect(store.shown).toEqual([{ id: 1, from: 'a', name: 'Ana', emoji: '😂', at: 42.5 }])
    vi.advanceTimersByTime(REACTION_SHOW_MS)
    expect(ana.shown).toEqual([])
    expect(bo.shown).toEqual([])
    ana.destroy()
    bo.destroy()
  })

  it('sends nothing that is not in the palette, nor more than the burst', () => {
    const ana = new ReactionStore({ room: rooms.member('a', 'Ana'), mediaTime: () => null, now })
    const bo = new ReactionStore({ room: rooms.member('b', 'Bo'), mediaTime: () => null, now })
    expect(ana.send('hello')).toBe(false)
    const sent = Array.from({ length: REACTION_BURST + 1 }, () => ana.send('👍'))
    expect(sent.filter(Boolean)).toHaveLength(REACTION_BURST)
    expect(bo.shown).toHaveLength(REACTION_BURST)
    expect(bo.shown[0]?.at).toBeNull()
    ana.destroy()
    bo.destroy()
  })

  it('drops a flood from a modified client with one log line, and bad bodies with another', () => {
    const bo = new ReactionStore({ room: rooms.member('b', 'Bo'), mediaTime: () => null, now })
    rooms.member('m', 'Mallory')
    for (let i = 0; i < 50; i++) rooms.deliver('m', { emoji: '👍', at: i })
    expect(bo.shown).toHaveLength(REACTION_BURST)
    expectWarning(/m sends more than the palette allows/)
    rooms.deliver('m', { emoji: '<img src=x>', at: 1 })
    expectWarning(/ignored one from m: ERR_INVALID/)
    clock += REACTION_WINDOW_MS
    rooms.deliver('m', { emoji: '👏', at: 99 })
    expect(bo.shown.at(-1)).toMatchObject({ from: 'm', name: 'Mallory', emoji: '👏', at: 99 })
    bo.destroy()
  })

  it('destroy clears its timers and what it shows', () => {
    const ana = new ReactionStore({
      room: rooms.member('a', 'Ana'),
      mediaTime: () => 1,
      now,
      timers: realTimers,
    })
    ana.send('👍')
    expect(vi.getTimerCount()).toBe(1)
    ana.destroy()
    expect(vi.getTimerCount()).toBe(0)
    expect(ana.shown).toEqual([])
    expect(ana.send('👍')).toBe(false)
  })
})

import { describe, expect, it } from 'vitest'
import {
  addToast,
  chatToasts,
  describePlayback,
  MAX_TOASTS,
  playbackEvents,
  RECENT_MS,
  type Toast,
} from '../../src/lib/app/toasts.ts'
import type { ChatEntry } from '../../src/lib/room/chat.ts'
import { addCommand, createLog, type CommandBody, type PlaybackLog } from '../../src/lib/sync/timeline.ts'

/** A command by `peer` issued at shared ms `wall`, in effect 100 ms later: what the room's log folds. */
function give(log: PlaybackLog, peer: string, wall: number, body: CommandBody): PlaybackLog {
  return addCommand(log, { ...body, stamp: { wall, counter: 0, peer }, effectiveAt: wall + 100 } as never)
}

describe('playback toasts from the room timeline', () => {
  it('says who paused, played, seeked and changed the speed, and where', () => {
    let log = createLog()
    // The first play of an untouched item is the room's start, whoever's tab sent it: nobody's action.
    log = give(log, 'ana', 1_000, { kind: 'play' })
    const afterPlay = log.timeline
    expect(playbackEvents(afterPlay, null, 1_200)).toEqual([{ kind: 'start', position: 0 }])
    expect(describePlayback({ kind: 'start', position: 0 }, null)).toBe('Playing together from 0:00')

    // Ana pauses 12 s in; later Ben seeks and changes the speed in one go (both arrive together).
    log = give(log, 'ana', 13_000, { kind: 'pause' })
    expect(playbackEvents(log.timeline, afterPlay.stamp, 13_300)).toEqual([
      { kind: 'pause', peer: 'ana', position: 12 },
    ])
    const afterPause = log.timeline
    log = give(log, 'ben', 20_000, { kind: 'seek', position: 3723 })
    log = give(log, 'ben', 20_001, { kind: 'rate', rate: 1.5 })
    const events = playbackEvents(log.timeline, afterPause.stamp, 20_200)
    expect(events).toEqual([
      { kind: 'seek', peer: 'ben', position: 3723 },
      { kind: 'rate', peer: 'ben', rate: 1.5 },
    ])
    expect(events.map((event) => describePlayback(event, 'Ben'))).toEqual([
      'Ben seeked to 1:02:03',
      'Ben set the speed to 1.5×',
    ])
    expect(describePlayback({ kind: 'pause', peer: 'ana', position: 723 }, 'Ana')).toBe('Ana paused at 12:03')
    expect(describePlayback({ kind: 'play', peer: 'me', position: 62 }, null)).toBe('You played at 1:02')

    // A play after that is a person's.
    const afterSpeed = log.timeline
    log = give(log, 'cleo', 30_000, { kind: 'play' })
    expect(playbackEvents(log.timeline, afterSpeed.stamp, 30_100)).toEqual([
      { kind: 'play', peer: 'cleo', position: 3723 },
    ])

    // Nothing new since the last seen stamp: nothing to say.
    expect(playbackEvents(log.timeline, log.timeline.stamp, 20_300)).toEqual([])
  })

  it('is silent about the past a joiner receives, holds and releases, and unknown shared time', () => {
    let log = createLog()
    log = give(log, 'ana', 1_000, { kind: 'play' })
    expect(playbackEvents(log.timeline, null, 1_000 + RECENT_MS + 1)).toEqual([])
    expect(playbackEvents(log.timeline, null, undefined)).toEqual([])

    const before = log.timeline.stamp
    log = give(log, 'ben', 2_000, { kind: 'hold' })
    log = give(log, 'ben', 3_000, { kind: 'release' })
    expect(playbackEvents(log.timeline, before, 3_100)).toEqual([])
  })
})

describe('room notices and chat as toasts', () => {
  const notice = (id: string, text: string): ChatEntry => ({ kind: 'notice', id, text, at: 0 })
  const chat = (id: string, from: string, name: string, text: string): ChatEntry => ({
    kind: 'chat',
    id,
    from,
    name,
    text,
    at: 0,
    signature: { name, at: 0, pub: '', sig: '' },
  })

  it('toasts notices not seen before; messages only when asked, and never one’s own', () => {
    const first = [notice('n1', 'Ana joined'), chat('c1', 'ana', 'Ana', 'hi')]
    const start = chatToasts(first, new Set(), { messages: false, selfId: 'me' })
    expect(start.texts).toEqual(['Ana joined'])

    const next = [
      ...first,
      notice('n2', 'Cleo joined'),
      chat('c2', 'ana', 'Ana', 'look'),
      chat('c3', 'me', 'Me', 'ok'),
    ]
    expect(chatToasts(next, start.seen, { messages: false, selfId: 'me' }).texts).toEqual(['Cleo joined'])
    const shown = chatToasts(next, start.seen, { messages: true, selfId: 'me' })
    expect(shown.texts).toEqual(['Cleo joined', 'Ana: look'])
    expect(chatToasts(next, shown.seen, { messages: true, selfId: 'me' }).texts).toEqual([])
  })
})

describe('the toasts on screen', () => {
  it('keeps the newest few', () => {
    let toasts: Toast[] = []
    for (let id = 1; id <= MAX_TOASTS + 2; id++) toasts = addToast(toasts, { id, text: `t${id}` })
    expect(toasts.map((toast) => toast.id)).toEqual([3, 4, 5])
  })
})

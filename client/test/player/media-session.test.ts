import { describe, expect, it } from 'vitest'
import {
  bindMediaSession,
  MEDIA_KEY_SEEK_S,
  type MediaSessionLike,
  type RoomControls,
} from '../../src/lib/player/media-session.ts'

class FakeSession implements MediaSessionLike {
  readonly handlers = new Map<MediaSessionAction, MediaSessionActionHandler>()
  /** actions this browser does not know: setting their handler throws, as browsers do */
  constructor(readonly unknown: MediaSessionAction[] = []) {}
  setActionHandler(action: MediaSessionAction, handler: MediaSessionActionHandler | null): void {
    if (this.unknown.includes(action)) throw new TypeError(`unknown action ${action}`)
    if (handler) this.handlers.set(action, handler)
    else this.handlers.delete(action)
  }
  press(action: MediaSessionAction, details: Partial<MediaSessionActionDetails> = {}): void {
    this.handlers.get(action)?.({ action, ...details })
  }
}

function controls(position = 30, duration = 100) {
  const calls: string[] = []
  const room: RoomControls = {
    play: () => calls.push('play'),
    pause: () => calls.push('pause'),
    seek: (t) => calls.push(`seek ${t}`),
    position,
    duration,
  }
  return { room, calls }
}

describe('bindMediaSession', () => {
  it("routes the browser's media controls to the room's commands", () => {
    const session = new FakeSession()
    const { room, calls } = controls()
    bindMediaSession(session, room)
    session.press('pause')
    session.press('play')
    session.press('seekforward')
    session.press('seekbackward', { seekOffset: 5 })
    session.press('seekto', { seekTime: 42 })
    expect(calls).toEqual(['pause', 'play', `seek ${30 + MEDIA_KEY_SEEK_S}`, 'seek 25', 'seek 42'])
  })

  it('keeps seeks within the item and ignores a seek without a time', () => {
    const session = new FakeSession()
    const { room, calls } = controls(95, 100)
    bindMediaSession(session, room)
    session.press('seekforward')
    session.press('seekto', { seekTime: -3 })
    session.press('seekto')
    session.press('seekbackward', { seekOffset: Number.NaN })
    expect(calls).toEqual(['seek 100', 'seek 0', `seek ${95 - MEDIA_KEY_SEEK_S}`])
  })

  it('skips the actions a browser does not know, and removes every handler it set', () => {
    const session = new FakeSession(['seekto'])
    const { room } = controls()
    const unbind = bindMediaSession(session, room)
    expect([...session.handlers.keys()]).toEqual(['play', 'pause', 'seekbackward', 'seekforward'])
    unbind()
    expect(session.handlers.size).toBe(0)
  })

  it('does nothing without a media session', () => {
    const { room, calls } = controls()
    bindMediaSession(null, room)()
    expect(calls).toEqual([])
  })
})

import { describe, expect, it } from 'vitest'
import type { PlayheadEvent, PlayheadView } from '../../src/lib/media/target.ts'
import {
  MSE_THRESHOLDS,
  RECHECK_MS,
  shouldYield,
  WORKER_THRESHOLDS,
  yieldToPlayhead,
  type Background,
} from '../../src/lib/torrent/background.ts'

const { wait: WAIT_AHEAD_S, resume: RESUME_AHEAD_S } = MSE_THRESHOLDS
import { ManualTimers } from '../manual-timers.ts'

function ranges(...spans: [number, number][]): TimeRanges {
  return {
    length: spans.length,
    start: (i: number) => spans[i]![0],
    end: (i: number) => spans[i]![1],
  } as TimeRanges
}

/** A play head moved by hand; `fire` dispatches one of its events. */
class FakeView implements PlayheadView {
  currentTime = 0
  duration = 1000
  buffered = ranges()
  seeking = false
  readonly listeners = new Map<PlayheadEvent, Set<() => void>>()
  on(event: PlayheadEvent, listener: () => void): () => void {
    const set = this.listeners.get(event) ?? new Set()
    set.add(listener)
    this.listeners.set(event, set)
    return () => set.delete(listener)
  }
  fire(event: PlayheadEvent): void {
    for (const listener of this.listeners.get(event) ?? []) listener()
  }
}

class FakeBackground implements Background {
  done = false
  selected = true
  calls: string[] = []
  select(): void {
    this.selected = true
    this.calls.push('select')
  }
  deselect(): void {
    this.selected = false
    this.calls.push('deselect')
  }
}

describe('shouldYield', () => {
  const at = (ahead: number, left = 500) => ({ ahead, left })

  it('gives way with little ahead of the play head, and comes back with more', () => {
    expect(shouldYield(at(0), false)).toBe(true)
    expect(shouldYield(at(WAIT_AHEAD_S - 0.1), false)).toBe(true)
    expect(shouldYield(at(WAIT_AHEAD_S + 0.1), false)).toBe(false)
    expect(shouldYield(at(RESUME_AHEAD_S - 0.1), true)).toBe(true)
    expect(shouldYield(at(RESUME_AHEAD_S), true)).toBe(false)
  })

  it('comes back sooner for a player the browser feeds, which reads only about 10 s ahead', () => {
    expect(WORKER_THRESHOLDS.resume).toBeLessThan(10)
    expect(shouldYield(at(8), true, WORKER_THRESHOLDS)).toBe(false)
    expect(shouldYield(at(8), true, MSE_THRESHOLDS)).toBe(true)
    expect(shouldYield(at(1), false, WORKER_THRESHOLDS)).toBe(true)
  })

  it('never gives way once the rest of the file is buffered', () => {
    expect(shouldYield(at(0.5, 0.5), false)).toBe(false)
    expect(shouldYield(at(2, 2), true)).toBe(false)
    expect(shouldYield(at(RESUME_AHEAD_S - 1, RESUME_AHEAD_S - 1), true)).toBe(false)
    expect(shouldYield(at(0, Infinity), false)).toBe(true)
  })
})

describe('yieldToPlayhead', () => {
  it('drops the background selection while the play head waits and gives it back with enough ahead', () => {
    const view = new FakeView()
    const background = new FakeBackground()
    const timers = new ManualTimers()
    const stop = yieldToPlayhead(view, background, MSE_THRESHOLDS, timers)
    expect(background.selected).toBe(false) // nothing buffered yet

    // An append lands on a paused element: no event fires, the recheck sees it.
    view.buffered = ranges([0, RESUME_AHEAD_S - 1])
    timers.advance(RECHECK_MS)
    expect(background.selected).toBe(false)
    view.buffered = ranges([0, RESUME_AHEAD_S + 1])
    timers.advance(RECHECK_MS)
    expect(background.selected).toBe(true)
    expect(timers.pending.size).toBe(0) // no polling while the background runs

    // A correction inside the buffer changes nothing.
    view.buffered = ranges([0, 40])
    view.currentTime = 2
    view.seeking = true
    view.fire('seek')
    expect(background.calls).toEqual(['deselect', 'select'])
    // A seek past the buffer: gives way at once, on the player's own event.
    view.currentTime = 800
    view.fire('seek')
    expect(background.calls).toEqual(['deselect', 'select', 'deselect'])
    stop()
    expect(background.selected).toBe(true)
    expect(timers.pending.size).toBe(0)
    view.fire('seeking')
    expect(background.calls).toHaveLength(4)
  })

  it('leaves a complete file alone, and a stop while it runs changes nothing', () => {
    const view = new FakeView()
    const background = new FakeBackground()
    background.done = true
    const stop = yieldToPlayhead(view, background, MSE_THRESHOLDS, new ManualTimers())
    view.fire('waiting')
    stop()
    expect(background.calls).toEqual([])
  })
})

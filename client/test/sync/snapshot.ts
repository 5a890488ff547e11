import type { PlayerSnapshot } from '../../src/lib/sync/decide.ts'

/** A player playing at 1× with plenty buffered, at media 0 of a 10-minute video; override what a test needs. */
export function snapshotOf(overrides: Partial<PlayerSnapshot> = {}): PlayerSnapshot {
  return {
    currentTime: 0,
    paused: false,
    playbackRate: 1,
    readyState: 4,
    seeking: false,
    bufferedAhead: 30,
    duration: 600,
    ...overrides,
  }
}

/**
 * Testing aids (docs/sync.md): `localStorage['theatron:clock-skew-ms']` skews a tab's app clock (clock.ts),
 * and `window.__theatron.playback` exposes the playback store's correction counters and `simulateStall(ms)`.
 */
import type { PlaybackCounters } from './controller-loop.ts'
import type { UserAction } from './player.ts'
import type { Timeline } from './timeline.ts'

/** `window.__theatron.playback`: read by e2e tests and the benchmark. */
export interface PlaybackDebug {
  counters(): PlaybackCounters
  /** Starve this tab's player for `ms` (see stall.ts); false without a player. */
  simulateStall(ms: number): boolean
  sharedNow(): number | undefined
  timeline(): Timeline
  frame(): string
  driftMs(): number | null
  /** the last person actions seen on the element (that became commands when allowed) */
  userActions(): UserAction[]
  /** the controller's learned state, for debugging */
  controller(): unknown
}

type DebugScope = { __theatron?: { playback?: PlaybackDebug } }

/** Installs `window.__theatron.playback`; returns its removal. Outside a browser, null: nothing to expose. */
export function exposePlaybackDebug(debug: () => PlaybackDebug): (() => void) | null {
  if (typeof window === 'undefined') return null
  const exposed = debug()
  const scope = window as unknown as DebugScope
  scope.__theatron ??= {}
  scope.__theatron.playback = exposed
  return () => {
    if (scope.__theatron?.playback === exposed) delete scope.__theatron.playback
  }
}

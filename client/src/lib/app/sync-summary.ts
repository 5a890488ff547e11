import type { MemberHealth } from '../sync/feature.ts'

/**
 * The room's sync in a few words, for the indicator in the room's header ("in sync · ±6 ms"); the full table
 * (SyncHealth.svelte) opens from it. Pure: the component renders what this returns.
 */
export interface SyncSummary {
  /** `idle`: no drift known (no video yet, or only numbers from ourselves missing); `waiting`: someone holds the room */
  state: 'idle' | 'in-sync' | 'off' | 'waiting'
  text: string
  /** the largest |drift| among members, ms, or null */
  worstMs: number | null
}

/** Drift under which people see the same frame: about one frame at 25 fps, below what lip sync notices. */
export const IN_SYNC_MS = 40

export function syncSummary(rows: readonly MemberHealth[]): SyncSummary {
  const drifts = rows.map((row) => row.driftMs).filter((d): d is number => d !== null && Number.isFinite(d))
  const worstMs = drifts.length === 0 ? null : Math.round(Math.max(...drifts.map(Math.abs)))
  const holding = rows.filter((row) => row.holding)
  if (holding.length > 0) {
    const names = holding.map((row) => (row.self ? 'you' : row.name)).join(', ')
    return { state: 'waiting', text: `waiting for ${names}`, worstMs }
  }
  if (worstMs === null) return { state: 'idle', text: 'sync', worstMs }
  if (worstMs <= IN_SYNC_MS) return { state: 'in-sync', text: `in sync · ±${worstMs} ms`, worstMs }
  return { state: 'off', text: `off by ±${worstMs} ms`, worstMs }
}

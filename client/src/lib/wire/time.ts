/**
 * Times a member sends are claims about its own clock. A receiver keeps only claims within a day of its own
 * clock: clocks disagree by seconds, not days, and a far-off time is either a broken clock or an attack (a
 * chat line dated 1e16 cannot even be formatted, a join time of 0 would jump the join order).
 */

/** How far a member's clock may be from ours before its times are not believed. */
export const MAX_CLOCK_OFFSET_MS = 86_400_000

/** Whether `t` is within a day of `now`. */
export function withinDay(t: number, now: number): boolean {
  return Number.isFinite(t) && Math.abs(t - now) <= MAX_CLOCK_OFFSET_MS
}

/** `t` when it is within a day of `now`, else `now` (the arrival time). */
export function boundTime(t: number, now: number): number {
  return withinDay(t, now) ? t : now
}

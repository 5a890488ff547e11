/**
 * What is buffered around the playhead: the one rule both the sync controller (how long playback can go on)
 * and the MSE pump (how far ahead to append) use.
 */

/**
 * A playhead this close before a buffered range is waiting for that range, and counts as in it: `currentTime`
 * can sit a hair before a range, and a WebM's first cluster may start a few ms after 0.
 */
export const BUFFER_GAP_S = 0.25

/** The end of the buffered range that holds `seconds` (counting from `gap` seconds before its start), or null. */
export function rangeEnd(ranges: TimeRanges, seconds: number, gap = 0): number | null {
  for (let i = 0; i < ranges.length; i++)
    if (ranges.start(i) - gap <= seconds && seconds < ranges.end(i)) return ranges.end(i)
  return null
}

/** Seconds buffered contiguously past `time` in the range holding it (within `BUFFER_GAP_S`), else 0. */
export function bufferedAhead(ranges: TimeRanges, time: number): number {
  const end = rangeEnd(ranges, time, BUFFER_GAP_S)
  return end === null ? 0 : end - time
}

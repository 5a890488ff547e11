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

/** A buffered stretch as shares of the whole, 0–100: where the seek bar paints it. */
export interface BufferedSpan {
  start: number
  end: number
}

/**
 * What the seek bar shows as downloaded: each buffered range as percentages of `duration`, clipped to it,
 * in order, with touching or overlapping ranges merged. Nothing while the duration is unknown.
 */
export function bufferedSpans(ranges: TimeRanges, duration: number): BufferedSpan[] {
  if (!Number.isFinite(duration) || duration <= 0) return []
  const spans: BufferedSpan[] = []
  const share = (seconds: number) => (Math.min(duration, Math.max(0, seconds)) / duration) * 100
  const sorted = Array.from({ length: ranges.length }, (_, i) => [ranges.start(i), ranges.end(i)] as const)
    .filter(([start, end]) => Number.isFinite(start) && Number.isFinite(end) && end > start)
    .sort((a, b) => a[0] - b[0])
  for (const [from, to] of sorted) {
    const start = share(from)
    const end = share(to)
    if (end <= start) continue
    const last = spans.at(-1)
    if (last && start <= last.end) last.end = Math.max(last.end, end)
    else spans.push({ start, end })
  }
  return spans
}

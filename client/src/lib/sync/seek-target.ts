/**
 * Where a seek from a seek bar lands. The person points at one pixel of the bar, and a pixel spans
 * `within` seconds of the film (its length over the bar's width): any time from the one the bar reports to
 * `within` later is what they chose. When a keyframe lies there, the seek lands just past it, so that every
 * member shows its picture at once; a seek between keyframes makes each member fetch and decode the frames
 * from the keyframe before it (up to two seconds of a 720p film in bench:movie, most of a second of decoding
 * on a busy page), and the room waits for the slowest.
 */

/**
 * How far past the keyframe the seek lands. An MP4's keyframe time is in its track's timescale, which the
 * element rounds to microseconds: a seek to exactly that time may fall before it and decode from the keyframe
 * before. A millisecond later still shows the keyframe's picture (it lasts a frame).
 */
export const PAST_KEYFRAME_S = 0.001
/** A pixel of a long film on a narrow bar spans more than this: a seek never lands further from its aim. */
export const MAX_WITHIN_S = 5

/** The time to seek to: `position`, or just past `keyframe` when that lies within `within` after it. */
export function seekTarget(position: number, within: number, keyframe: number | null): number {
  const reach = Math.min(within, MAX_WITHIN_S)
  if (!(reach > 0) || keyframe === null || !Number.isFinite(keyframe) || keyframe < position) return position
  return keyframe - position <= reach ? keyframe + PAST_KEYFRAME_S : position
}

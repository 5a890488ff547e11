/**
 * Hybrid logical clock (Kulkarni et al. 2014): close to physical time, yet never goes backwards and
 * always orders a message after the one it reacted to, even between peers whose clocks disagree.
 * With the peer id as the last tiebreak, `(wall, counter, peer)` is a total order every peer agrees on.
 */
import { MAX_CLOCK_OFFSET_MS } from '../wire/time.ts'

export interface Hlc {
  /** ms, the largest physical time seen */
  wall: number
  /** orders events within one `wall` */
  counter: number
}

export interface Stamp extends Hlc {
  peer: string
}

export const HLC_ZERO: Hlc = { wall: 0, counter: 0 }

/**
 * Events within one `wall` ms: far more than people give commands. A counter past it moves to the next ms
 * instead (`carry`), so a clock pushed to the limit still moves forward and stays within what others accept.
 */
export const MAX_HLC_COUNTER = 2 ** 20

/**
 * Whether a stamp from a member can be believed at our physical time `physical`: its wall no more than a
 * day ahead (a clock a year ahead would drag every member's stamps along for good), its counter within
 * MAX_HLC_COUNTER (one near 2^53 stops counting: every later stamp would tie). Same unit as `physical`.
 */
export function stampInBounds(stamp: Hlc, physical: number): boolean {
  return (
    Number.isFinite(stamp.wall) &&
    stamp.wall <= physical + MAX_CLOCK_OFFSET_MS &&
    Number.isInteger(stamp.counter) &&
    stamp.counter >= 0 &&
    stamp.counter <= MAX_HLC_COUNTER
  )
}

/** The clock after a local event (e.g. issuing a command) at physical time `physical`. */
export function hlcTick(clock: Hlc, physical: number): Hlc {
  if (physical > clock.wall) return { wall: physical, counter: 0 }
  return carry({ wall: clock.wall, counter: clock.counter + 1 })
}

/** The clock after receiving a remote stamp, so our next stamp orders after it. */
export function hlcReceive(clock: Hlc, remote: Hlc, physical: number): Hlc {
  const wall = Math.max(clock.wall, remote.wall, physical)
  if (wall === clock.wall && wall === remote.wall)
    return carry({ wall, counter: Math.max(clock.counter, remote.counter) + 1 })
  if (wall === clock.wall) return carry({ wall, counter: clock.counter + 1 })
  if (wall === remote.wall) return carry({ wall, counter: remote.counter + 1 })
  return { wall, counter: 0 }
}

/** A counter past MAX_HLC_COUNTER becomes the next ms: still after every stamp before it. */
function carry(clock: Hlc): Hlc {
  return clock.counter > MAX_HLC_COUNTER ? { wall: clock.wall + 1, counter: 0 } : clock
}

/** Total order: wall, then counter, then peer id (plain code-unit comparison, locale independent). */
export function compareStamps(a: Stamp, b: Stamp): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1
  if (a.peer === b.peer) return 0
  return a.peer < b.peer ? -1 : 1
}

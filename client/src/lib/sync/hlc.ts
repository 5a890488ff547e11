/**
 * Hybrid logical clock (Kulkarni et al. 2014): close to physical time, yet never goes backwards and
 * always orders a message after the one it reacted to, even between peers whose clocks disagree.
 * With the peer id as the last tiebreak, `(wall, counter, peer)` is a total order every peer agrees on.
 */

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

/** The clock after a local event (e.g. issuing a command) at physical time `physical`. */
export function hlcTick(clock: Hlc, physical: number): Hlc {
  if (physical > clock.wall) return { wall: physical, counter: 0 }
  return { wall: clock.wall, counter: clock.counter + 1 }
}

/** The clock after receiving a remote stamp, so our next stamp orders after it. */
export function hlcReceive(clock: Hlc, remote: Hlc, physical: number): Hlc {
  const wall = Math.max(clock.wall, remote.wall, physical)
  if (wall === clock.wall && wall === remote.wall)
    return { wall, counter: Math.max(clock.counter, remote.counter) + 1 }
  if (wall === clock.wall) return { wall, counter: clock.counter + 1 }
  if (wall === remote.wall) return { wall, counter: remote.counter + 1 }
  return { wall, counter: 0 }
}

/** Total order: wall, then counter, then peer id (plain code-unit comparison, locale independent). */
export function compareStamps(a: Stamp, b: Stamp): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1
  if (a.peer === b.peer) return 0
  return a.peer < b.peer ? -1 : 1
}

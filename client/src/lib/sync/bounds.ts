/**
 * Bounds on the playback times and stamps a member sends, against our own shared clock (`now`, shared ms):
 * nothing more than a day ahead (wire/time.ts), HLC counters within MAX_HLC_COUNTER (hlc.ts). A command or a
 * snapshot that breaks them is dropped whole, with the reason for the log line: taking part of it would order
 * it differently on different peers. Pure.
 */
import { MAX_CLOCK_OFFSET_MS } from '../wire/time.ts'
import { stampInBounds } from './hlc.ts'
import { LEAD_MAX_MS, type Command, type Timeline } from './timeline.ts'

/**
 * A live command takes effect its lead (≤ LEAD_MAX_MS) after it was issued; it may reach us late by a busy
 * page's or network's delay, or early by our clock's error. Further from our shared now than these, it is
 * no honest member's.
 */
export const COMMAND_AHEAD_MAX_MS = LEAD_MAX_MS + 4_000
export const COMMAND_BEHIND_MAX_MS = 30_000

/** Null when the command can be believed at `now`; otherwise why not. */
export function commandOutOfBounds(command: Command, now: number): string | null {
  if (!stampInBounds(command.stamp, now)) return 'its stamp is out of bounds'
  if (command.effectiveAt > now + MAX_CLOCK_OFFSET_MS) return 'it takes effect more than a day ahead'
  return null
}

/** Null when a snapshot's base and commands can be believed at `now`; otherwise why not. */
export function logOutOfBounds(base: Timeline, commands: readonly Command[], now: number): string | null {
  if (base.stamp && !stampInBounds(base.stamp, now)) return 'its base stamp is out of bounds'
  const latest = now + MAX_CLOCK_OFFSET_MS
  if (base.at > latest || base.releasedAt > latest) return 'its base is more than a day ahead'
  for (const command of commands) {
    const why = commandOutOfBounds(command, now)
    if (why) return `a command: ${why}`
  }
  return null
}

/**
 * Null when a live command (in our shared frame) takes effect at a believable instant: not more than
 * COMMAND_AHEAD_MAX_MS ahead of `now` (a release an hour ahead would hold the room for that hour), nor more than
 * COMMAND_BEHIND_MAX_MS behind (a release that far back would replay the room from then).
 */
export function commandInstantOutOfBounds(command: Command, now: number): string | null {
  if (command.effectiveAt > now + COMMAND_AHEAD_MAX_MS) return 'it takes effect too far ahead'
  if (command.effectiveAt < now - COMMAND_BEHIND_MAX_MS) return 'it took effect too long ago'
  return null
}

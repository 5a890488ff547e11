/**
 * Starting a new item together. Not the moment the adder's video can play: a friend whose torrent is a few
 * hundred milliseconds behind would miss the first frames and come in with a seek. Every member keeps
 * waiting until it can play the item itself and every other present member reports that it can too
 * (`readyFor` in its status); whoever completes that set starts the item (session.ts) — usually the last
 * member to get ready, at once, rather than one message later through the adder. Two members completing it
 * together both send a play; the second changes nothing. The member who added the item also starts it after
 * `START_WAIT_MS` at most: a member whose torrent has no peers, or whose browser cannot play the file, must
 * not keep the room from starting; it then joins as a late joiner does. Members who opted out of holding the
 * room are not waited for.
 */

/** The longest the room's first play of an item waits for its members (from the adder's own readiness). */
export const START_WAIT_MS = 3_000

/** What a member's last status report says about starting. */
export interface StartReport {
  /** the item this member can play from the room's position, or null */
  readyFor?: string | null | undefined
  optOut: boolean
}

/** The present members (other than us) the start of `item` still waits for, in the members' order. */
export function waitingToStart(
  item: string,
  members: readonly string[],
  self: string,
  reports: ReadonlyMap<string, StartReport>,
): string[] {
  return members.filter((id) => {
    if (id === self) return false
    const report = reports.get(id)
    return !report?.optOut && report?.readyFor !== item
  })
}

/**
 * Whether to start now: nobody left to wait for, or waited long enough. `waitedMs` is null for a member who
 * did not add the item: it never starts without the others (the adder does, after `START_WAIT_MS`).
 */
export function shouldStart(waiting: readonly string[], waitedMs: number | null): boolean {
  return waiting.length === 0 || (waitedMs !== null && waitedMs >= START_WAIT_MS)
}

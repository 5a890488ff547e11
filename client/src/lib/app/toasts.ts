/**
 * Brief notes over the video about what happens in the room: "Ana paused at 12:03", "Ben seeked to 1:02:03",
 * "Cleo joined". Pure: the stage feeds in the room's timeline and chat, and shows and expires what comes out.
 *
 * Playback changes are read off the timeline (sync/timeline.ts): each segment carries the stamp of the
 * command that made it, and so who gave it, and the segment before it, so comparing the two says what the
 * command did. Joins, leaves and host changes are the room's own chat notices.
 */
import type { ChatEntry } from '../room/chat.ts'
import { formatClock } from '../stream/format.ts'
import type { Stamp } from '../sync/hlc.ts'
import { positionAt, type Timeline } from '../sync/timeline.ts'

/** How long a toast stays, and how many show at once (the oldest goes first). */
export const TOAST_MS = 3_000
export const MAX_TOASTS = 3
/** A command older than this (shared ms) is the room's past, as a joiner's snapshot brings it: no toast. */
export const RECENT_MS = 5_000
/** A jump smaller than this is not a seek anyone would notice (media seconds). */
const SEEK_EPSILON_S = 0.5
/** Segments walked back per timeline change: the timeline keeps a few behind the newest. */
const MAX_WALK = 4

export type PlaybackEvent =
  | { kind: 'start'; position: number }
  | { kind: 'play'; peer: string; position: number }
  | { kind: 'pause'; peer: string; position: number }
  | { kind: 'seek'; peer: string; position: number }
  | { kind: 'rate'; peer: string; rate: number }

export interface Toast {
  id: number
  text: string
}

function sameStamp(a: Stamp | null, b: Stamp | null): boolean {
  return a === b || (!!a && !!b && a.wall === b.wall && a.counter === b.counter && a.peer === b.peer)
}

/** What one segment's command changed, compared with the segment before it. Holds and releases say nothing. */
function eventsOf(segment: Timeline, before: Timeline, peer: string): PlaybackEvent[] {
  const events: PlaybackEvent[] = []
  const expected = positionAt(before, segment.at)
  if (Math.abs(segment.position - expected) > SEEK_EPSILON_S)
    events.push({ kind: 'seek', peer, position: segment.position })
  // The first play of an untouched item is the room starting it together (start.ts): whichever member's
  // tab completed the set sends it, and nobody pressed anything.
  if (segment.playing && !before.playing && before.stamp === null)
    events.push({ kind: 'start', position: segment.position })
  else if (segment.playing !== before.playing)
    events.push({ kind: segment.playing ? 'play' : 'pause', peer, position: segment.position })
  if (segment.rate !== before.rate) events.push({ kind: 'rate', peer, rate: segment.rate })
  return events
}

/**
 * The people's playback changes in `timeline` since the segment stamped `seen` (oldest first), counting only
 * commands issued within `RECENT_MS` of `sharedNow`; nothing while shared time is unknown.
 */
export function playbackEvents(
  timeline: Timeline,
  seen: Stamp | null,
  sharedNow: number | undefined,
): PlaybackEvent[] {
  if (sharedNow === undefined) return []
  const fresh: Timeline[] = []
  for (let t: Timeline | null = timeline; t && t.stamp && fresh.length < MAX_WALK; t = t.previous) {
    if (sameStamp(t.stamp, seen)) break
    fresh.push(t)
  }
  return fresh.reverse().flatMap((segment) => {
    const stamp = segment.stamp!
    if (!segment.previous || stamp.wall < sharedNow - RECENT_MS) return []
    return eventsOf(segment, segment.previous, stamp.peer)
  })
}

/** The sentence for one playback change; `name` is the member's display name, or null for this person. */
export function describePlayback(event: PlaybackEvent, name: string | null): string {
  const who = name ?? 'You'
  switch (event.kind) {
    case 'start':
      return `Playing together from ${formatClock(event.position)}`
    case 'play':
      return `${who} played at ${formatClock(event.position)}`
    case 'pause':
      return `${who} paused at ${formatClock(event.position)}`
    case 'seek':
      return `${who} seeked to ${formatClock(event.position)}`
    case 'rate':
      return `${who} set the speed to ${event.rate}×`
    default:
      return event satisfies never
  }
}

/**
 * The chat entries not seen before, as toast texts: the room's notices ("Cleo joined"), and members'
 * messages when `messages` (fullscreen with the chat closed, where the chat cannot be seen). Returns the ids
 * seen now, to pass in next time.
 */
export function chatToasts(
  entries: readonly ChatEntry[],
  seen: ReadonlySet<string>,
  options: { messages: boolean; selfId: string },
): { texts: string[]; seen: Set<string> } {
  const texts: string[] = []
  for (const entry of entries) {
    if (seen.has(entry.id)) continue
    if (entry.kind === 'notice') texts.push(entry.text)
    else if (options.messages && entry.from !== options.selfId) texts.push(`${entry.name}: ${entry.text}`)
  }
  return { texts, seen: new Set(entries.map((entry) => entry.id)) }
}

/** The toasts on screen after one more: at most `MAX_TOASTS`, the newest last. */
export function addToast(toasts: readonly Toast[], toast: Toast): Toast[] {
  return [...toasts, toast].slice(-MAX_TOASTS)
}

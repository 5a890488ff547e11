/**
 * On-screen reactions, the pure part: the fixed palette, the wire body of the room's `reaction` feature and
 * the per-member rate limit. A reaction carries only the index of an emoji of the palette, never text, so a
 * member cannot make another's screen show words; its sender is the channel it arrived on (feature.ts).
 */
import * as v from 'valibot'
import { parseWith } from '../wire/parse.ts'
import type { WireResult } from '../wire/result.ts'

export const REACTION_FEATURE = 'reaction'

/** The palette, in the order it is shown; `label` is each button's accessible name. */
export const REACTIONS = [
  { emoji: '👍', label: 'Thumbs up' },
  { emoji: '😂', label: 'Laughing' },
  { emoji: '😮', label: 'Surprised' },
  { emoji: '😢', label: 'Sad' },
  { emoji: '❤️', label: 'Love' },
  { emoji: '👏', label: 'Applause' },
] as const

export type ReactionEmoji = (typeof REACTIONS)[number]['emoji']

/** Reactions one member may send (and we show from it) per window; an honest burst of clicks fits. */
export const REACTION_BURST = 5
export const REACTION_WINDOW_MS = 3_000
/** How long a reaction stays on screen, fading out. */
export const REACTION_SHOW_MS = 4_000
/** Reactions on screen at once: the newest are kept. */
export const MAX_SHOWN_REACTIONS = 12
/** A media time no film reaches (a week, in seconds): anything beyond is not a position. */
const MAX_MEDIA_SECONDS = 604_800

const ReactionBody = v.object({
  emoji: v.picklist(REACTIONS.map((reaction) => reaction.emoji)),
  /** The sender's media time when it reacted, seconds; null when it had no video. */
  at: v.nullable(v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(MAX_MEDIA_SECONDS))),
})
export type ReactionBody = v.InferOutput<typeof ReactionBody>

/** Validates a `reaction` feature body from a member; never throws. */
export function parseReaction(raw: unknown): WireResult<ReactionBody> {
  return parseWith(ReactionBody, raw)
}

export function isReactionEmoji(value: string): value is ReactionEmoji {
  return REACTIONS.some((reaction) => reaction.emoji === value)
}

/** `1:05` or `1:02:05`, for the media time a reaction was stamped with. */
export function formatMediaTime(seconds: number): string {
  const whole = Math.floor(seconds)
  const s = String(whole % 60).padStart(2, '0')
  const m = Math.floor(whole / 60) % 60
  const h = Math.floor(whole / 3600)
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`
}

export type ReactionVerdict = 'ok' | 'over' | 'dropped'

/**
 * A sliding window per member: at most `burst` reactions in any `windowMs`. The first reaction beyond it
 * is `over` (worth one log line), the rest of that flood `dropped` quietly until the window has room again.
 */
export class ReactionLimiter {
  readonly #burst: number
  readonly #windowMs: number
  readonly #sent = new Map<string, number[]>()
  readonly #flooding = new Set<string>()

  constructor(burst = REACTION_BURST, windowMs = REACTION_WINDOW_MS) {
    this.#burst = burst
    this.#windowMs = windowMs
  }

  take(peerId: string, now: number): ReactionVerdict {
    const recent = (this.#sent.get(peerId) ?? []).filter((at) => now - at < this.#windowMs)
    if (recent.length >= this.#burst) {
      this.#sent.set(peerId, recent)
      if (this.#flooding.has(peerId)) return 'dropped'
      this.#flooding.add(peerId)
      return 'over'
    }
    this.#flooding.delete(peerId)
    recent.push(now)
    this.#sent.set(peerId, recent)
    return 'ok'
  }

  forget(peerId: string): void {
    this.#sent.delete(peerId)
    this.#flooding.delete(peerId)
  }
}

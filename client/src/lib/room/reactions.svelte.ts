/**
 * The room's on-screen reactions: a member's click goes to everyone as a `reaction` feature message and shows
 * over the video on every screen, the sender's own included, with the sender's name and the media time it
 * was sent at, for `REACTION_SHOW_MS`. What members send is validated (reactions.ts) and rate-limited per
 * member here, on the receiving side: a modified client that floods is cut to the palette's burst, with one
 * log line per flood.
 */
import { realTimers, type Timers } from '../timers.ts'
import type { FeatureHandle, FeatureHost } from './feature.ts'
import {
  MAX_SHOWN_REACTIONS,
  REACTION_FEATURE,
  REACTION_SHOW_MS,
  ReactionLimiter,
  isReactionEmoji,
  parseReaction,
  type ReactionEmoji,
} from './reactions.ts'

export interface ShownReaction {
  id: number
  from: string
  /** The sender's display name when it arrived. */
  name: string
  emoji: ReactionEmoji
  /** The sender's media time, seconds; null when it had no video. */
  at: number | null
}

export interface ReactionOptions {
  room: FeatureHost
  /** This tab's media time, seconds; null without a video. */
  mediaTime: () => number | null
  timers?: Timers
  now?: () => number
}

export class ReactionStore {
  shown = $state.raw<ShownReaction[]>([])

  readonly #room: FeatureHost
  readonly #mediaTime: () => number | null
  readonly #timers: Timers
  readonly #now: () => number
  readonly #handle: FeatureHandle
  readonly #limiter = new ReactionLimiter()
  // The pending expiries: bookkeeping nothing renders, so a plain Set.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #expiries = new Set<unknown>()
  #nextId = 0
  #destroyed = false

  constructor({ room, mediaTime, timers = realTimers, now = Date.now }: ReactionOptions) {
    this.#room = room
    this.#mediaTime = mediaTime
    this.#timers = timers
    this.#now = now
    this.#handle = room.registerFeature(REACTION_FEATURE, {
      onMessage: (from, body) => this.#receive(from, body),
      onMemberLeft: (peerId) => this.#limiter.forget(peerId),
    })
  }

  /** Sends a reaction to everyone and shows it here; false when it is not one of the palette's or too many. */
  send(emoji: string): boolean {
    if (this.#destroyed || !isReactionEmoji(emoji)) return false
    const self = this.#room.selfId
    if (this.#limiter.take(self, this.#now()) !== 'ok') return false
    const time = this.#mediaTime()
    const at = time !== null && Number.isFinite(time) && time >= 0 ? time : null
    this.#handle.send({ emoji, at })
    this.#show(self, emoji, at)
    return true
  }

  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#handle.unregister()
    for (const timer of this.#expiries) this.#timers.clearTimeout(timer)
    this.#expiries.clear()
    this.shown = []
  }

  #receive(from: string, raw: unknown): void {
    if (this.#destroyed) return
    const parsed = parseReaction(raw)
    if (!parsed.ok) {
      console.warn(`reactions: ignored one from ${from}: ${parsed.error.code} ${parsed.error.message}`)
      return
    }
    const verdict = this.#limiter.take(from, this.#now())
    if (verdict === 'over')
      console.warn(`reactions: ${from} sends more than the palette allows: dropping its reactions for now`)
    if (verdict !== 'ok') return
    this.#show(from, parsed.value.emoji, parsed.value.at)
  }

  #show(from: string, emoji: ReactionEmoji, at: number | null): void {
    const name = this.#room.memberList.find((member) => member.id === from)?.name ?? '?'
    const reaction: ShownReaction = { id: ++this.#nextId, from, name, emoji, at }
    this.shown = [...this.shown, reaction].slice(-MAX_SHOWN_REACTIONS)
    const timer = this.#timers.setTimeout(() => {
      this.#expiries.delete(timer)
      this.shown = this.shown.filter((shown) => shown !== reaction)
    }, REACTION_SHOW_MS)
    this.#expiries.add(timer)
  }
}

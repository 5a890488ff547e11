/**
 * A per-member budget for what it sends: a token bucket for messages and one for bytes. An honest member's
 * busiest moments (a newcomer's snapshot, a `.torrent` and the first pieces of a file shared with an item, a
 * burst of ICE candidates) fit in the bursts; a member that keeps sending beyond the sustained rates is an
 * abuser: the room stops reading it, closes its links and ignores it for `PENALTY_MS`.
 */

export interface RateLimits {
  /** Messages a member may send at once, and per second after that. */
  burstMessages: number
  messagesPerSecond: number
  /** Bytes (UTF-16 code units of the JSON text) a member may send at once, and per second after that. */
  burstBytes: number
  bytesPerSecond: number
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  burstMessages: 1_000,
  messagesPerSecond: 200,
  burstBytes: 32_000_000,
  bytesPerSecond: 4_000_000,
}

/** How long the room ignores a member that went over its budget. */
export const PENALTY_MS = 60_000

interface Bucket {
  messages: number
  bytes: number
  at: number
}

export type RateVerdict = 'ok' | 'over' | 'ignored'

/** The budgets of every member, and who is being ignored until when. */
export class RateLimiter {
  readonly #limits: RateLimits
  readonly #buckets = new Map<string, Bucket>()
  readonly #ignored = new Map<string, number>()

  constructor(limits: RateLimits = DEFAULT_RATE_LIMITS) {
    this.#limits = limits
  }

  /**
   * Charge one message of `bytes` to `peerId` at `now` (ms): `ok`, `over` the first time it exceeds its budget
   * (it is ignored from now on), `ignored` while its penalty lasts.
   */
  take(peerId: string, bytes: number, now: number): RateVerdict {
    const until = this.#ignored.get(peerId)
    if (until !== undefined) {
      if (now < until) return 'ignored'
      this.#ignored.delete(peerId)
      this.#buckets.delete(peerId)
    }
    const limits = this.#limits
    const last = this.#buckets.get(peerId)
    const elapsed = last ? Math.max(0, now - last.at) / 1000 : 0
    const bucket: Bucket = last
      ? {
          messages: Math.min(limits.burstMessages, last.messages + elapsed * limits.messagesPerSecond),
          bytes: Math.min(limits.burstBytes, last.bytes + elapsed * limits.bytesPerSecond),
          at: now,
        }
      : { messages: limits.burstMessages, bytes: limits.burstBytes, at: now }
    bucket.messages -= 1
    bucket.bytes -= bytes
    if (bucket.messages < 0 || bucket.bytes < 0) {
      this.#buckets.delete(peerId)
      this.#ignored.set(peerId, now + PENALTY_MS)
      return 'over'
    }
    this.#buckets.set(peerId, bucket)
    return 'ok'
  }
}

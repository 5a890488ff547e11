import { isIP } from 'node:net'
import type { RateLimit } from './config.ts'

/**
 * Per-socket message rate: a token bucket refilled lazily from timestamps, so an idle socket costs
 * two numbers and no timer. The state lives in the caller's object (one per socket).
 */
export interface Bucket {
  tokens: number
  refilledAt: number
}

/** Take one token; false when the bucket is empty. A clock going backwards adds nothing. */
export function takeToken(bucket: Bucket, rate: RateLimit, now: number): boolean {
  if (rate.perSecond <= 0) return true
  const elapsed = Math.max(0, now - bucket.refilledAt) / 1000
  bucket.refilledAt = now
  bucket.tokens = Math.min(rate.burst, bucket.tokens + elapsed * rate.perSecond)
  if (bucket.tokens < 1) return false
  bucket.tokens -= 1
  return true
}

/** Milliseconds until the bucket holds a whole token again. */
export function refillDelayMs(bucket: Bucket, rate: RateLimit): number {
  return rate.perSecond <= 0 ? 0 : Math.max(0, ((1 - bucket.tokens) / rate.perSecond) * 1000)
}

/**
 * The address a connection counts against. Behind `trustedProxies` reverse proxies (each appends the
 * address it got the request from to `X-Forwarded-For`) every socket comes from the last proxy, and the
 * per-address limit would count the whole audience as one client. The client is then the entry that many
 * hops from the right of the chain `X-Forwarded-For…, socket address`; entries further left were written by
 * the client itself and are not trusted. With no trusted proxy, or an entry that is not an IP address, the
 * socket's own address counts.
 */
export function clientAddress(
  remote: string,
  forwardedFor: string | undefined,
  trustedProxies: number,
): string {
  if (trustedProxies <= 0 || forwardedFor === undefined) return remote
  const chain = [...forwardedFor.split(',').map((entry) => entry.trim()), remote]
  const entry = chain[Math.max(0, chain.length - 1 - trustedProxies)] ?? remote
  return isIP(entry) === 0 ? remote : entry
}

/** Open WebSocket connections per remote address. */
export class AddressCounter {
  readonly #counts = new Map<string, number>()
  readonly limit: number

  constructor(limit: number) {
    this.limit = limit
  }

  get size(): number {
    return this.#counts.size
  }

  /** Count one more connection from `address`; false (and nothing counted) when at the limit. */
  acquire(address: string): boolean {
    const count = this.#counts.get(address) ?? 0
    if (count >= this.limit) return false
    this.#counts.set(address, count + 1)
    return true
  }

  release(address: string): void {
    const count = this.#counts.get(address) ?? 0
    if (count <= 1) this.#counts.delete(address)
    else this.#counts.set(address, count - 1)
  }
}

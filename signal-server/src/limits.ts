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

/**
 * The key a client address is counted under. An IPv6 client usually holds a whole /64 (one customer
 * line, SLAAC and privacy addresses pick freely inside it), so a per-address limit on full IPv6
 * addresses would not limit anyone: IPv6 addresses count per /64. IPv4-mapped IPv6 (`::ffff:a.b.c.d`,
 * what a dual-stack listener reports for IPv4 clients) counts as the IPv4 address.
 */
export function addressKey(address: string): string {
  if (isIP(address) !== 6) return address
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped?.[1] !== undefined) return mapped[1]
  const groups = expandIpv6(address.split('%')[0] ?? address)
  return `${groups.slice(0, 4).join(':')}::/64`
}

/** The eight 16-bit groups of a valid IPv6 address, as lower-case hex without leading zeros. */
function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.split('::')
  const parse = (part: string): string[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [group]
          // An embedded IPv4 tail (`::1.2.3.4`) is the last two groups.
          const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number)
          return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)]
        })
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  const zeros = Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0')
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16).toString(16))
}

export type Admission = 'ok' | 'address' | 'total'

/** Open WebSocket connections (and upgrades in progress): per client address key, and in total. */
export class AddressCounter {
  readonly #counts = new Map<string, number>()
  readonly limit: number
  readonly totalLimit: number
  #total = 0

  constructor(limit: number, totalLimit = Number.POSITIVE_INFINITY) {
    this.limit = limit
    this.totalLimit = totalLimit
  }

  get size(): number {
    return this.#counts.size
  }

  get total(): number {
    return this.#total
  }

  /** Count one more connection from `address`; anything but 'ok' means nothing was counted. */
  acquire(address: string): Admission {
    if (this.#total >= this.totalLimit) return 'total'
    const count = this.#counts.get(address) ?? 0
    if (count >= this.limit) return 'address'
    this.#counts.set(address, count + 1)
    this.#total++
    return 'ok'
  }

  release(address: string): void {
    const count = this.#counts.get(address)
    if (count === undefined) return
    this.#total--
    if (count <= 1) this.#counts.delete(address)
    else this.#counts.set(address, count - 1)
  }
}

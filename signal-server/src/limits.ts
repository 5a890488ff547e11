/**
 * Per-socket message rate: a token bucket refilled lazily from timestamps, so an idle socket costs
 * two numbers and no timer.
 */
export class TokenBucket {
  #tokens: number
  #last: number
  readonly capacity: number
  readonly perSecond: number

  constructor(capacity: number, perSecond: number, now: number) {
    this.capacity = capacity
    this.perSecond = perSecond
    this.#tokens = capacity
    this.#last = now
  }

  /** Take one token; false when the bucket is empty. */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.#last) / 1000
    this.#last = now
    this.#tokens = Math.min(this.capacity, this.#tokens + elapsed * this.perSecond)
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }
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

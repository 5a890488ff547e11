import type { Timers } from '../src/lib/timers.ts'

/** Timers driven by hand: `advance(ms)` moves the clock and runs every timeout that is due by then. */
export class ManualTimers implements Timers {
  now = 0
  #next = 1
  readonly pending = new Map<number, { at: number; fn: () => void }>()
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++
    this.pending.set(id, { at: this.now + ms, fn })
    return id
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number)
  }
  setInterval(): unknown {
    throw new Error('not used')
  }
  clearInterval(): void {}
  advance(ms: number): void {
    this.now += ms
    for (const [id, t] of [...this.pending]) {
      if (t.at > this.now) continue
      this.pending.delete(id)
      t.fn()
    }
  }
}

/**
 * Frames forwarded to one socket within a tick leave in one write. `ws` writes every frame with its
 * own syscall (a corked header + payload pair); a pipe receives its frames in batches (one TCP read
 * holds dozens of 1 KiB frames, all delivered in the same tick), so holding the destination socket
 * corked until the end of the tick turns those dozens of writes into one `writev`. What a tick corks
 * is bounded by what the tick read, and `bufferedAmount` (the backpressure) counts it.
 */
import type { WebSocket } from 'ws'

export interface Corkable {
  cork(): void
  uncork(): void
}

/** The socket under a `ws` WebSocket (`ws` exposes no cork of its own); null once it is gone. */
export function socketOf(ws: WebSocket): Corkable | null {
  return (ws as unknown as { _socket: Corkable | null })._socket ?? null
}

export class TickCork {
  readonly #corked = new Set<Corkable>()

  /** Cork `ws`'s socket until the end of this tick (once per tick). */
  cork(ws: WebSocket): void {
    const socket = socketOf(ws)
    if (socket === null || this.#corked.has(socket)) return
    socket.cork()
    this.#corked.add(socket)
    if (this.#corked.size === 1) process.nextTick(this.#uncork)
  }

  readonly #uncork = (): void => {
    for (const socket of this.#corked) socket.uncork()
    this.#corked.clear()
  }
}

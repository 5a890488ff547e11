/**
 * A tiny typed event emitter. Transports use it instead of Node's `events` so their event
 * names and payloads are checked, and so `clear()` in every destroy() drops all listeners at once.
 */
export type Listener<A extends unknown[]> = (...args: A) => void

export class Emitter<E extends { [K in keyof E]: unknown[] }> {
  // Listeners are stored untyped; `on` and `emit` are where the types are enforced.
  #listeners = new Map<keyof E, Set<(...args: never[]) => void>>()

  /** Subscribe; returns the function that unsubscribes. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.#listeners.get(event)
    if (!set) this.#listeners.set(event, (set = new Set()))
    set.add(listener as unknown as (...args: never[]) => void)
    return () => set.delete(listener as unknown as (...args: never[]) => void)
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.#listeners.get(event)
    if (!set) return
    for (const listener of [...set]) (listener as unknown as Listener<E[K]>)(...args)
  }

  clear(): void {
    this.#listeners.clear()
  }
}

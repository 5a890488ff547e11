import type { Timers } from '../timers.ts'
import type { Member } from './registry.ts'

/** Round-trip pings to each member, also shown in the member list. */
export const PING_INTERVAL_MS = 2000
/**
 * A member we have heard nothing from (not even a pong) for this long is gone. A closed tab does not
 * always close its data channels, and the pipe alone cannot tell a closed tab from a lost server.
 */
export const LINK_SILENCE_MS = 6000

/**
 * The members whose open link has carried nothing for LINK_SILENCE_MS. Away members (their link is
 * closed already) and members never heard from are not silent.
 */
export function silentMembers(
  members: Iterable<Member>,
  lastHeard: ReadonlyMap<string, number>,
  now: number,
): string[] {
  const silent: string[] = []
  for (const member of members) {
    if (member.away || (member.transport !== 'webrtc' && member.transport !== 'relay')) continue
    if (now - (lastHeard.get(member.id) ?? now) < LINK_SILENCE_MS) continue
    silent.push(member.id)
  }
  return silent
}

export interface LivenessOptions {
  timers: Timers
  now: () => number
  /** The members as they are now. */
  members(): Iterable<Member>
  /** Ping everyone, stamped with our clock. */
  ping(t: number): void
  /** Close the link to a silent member. */
  disconnect(peerId: string): void
  /** Ask the signal server to introduce us again (heals a link that was in fact alive). */
  rejoin(): void
}

/**
 * Keeps each link honest: pings every member on an interval (the pongs give the round trip), notes
 * when each member was last heard from, and closes the links of members gone silent.
 */
export class Liveness {
  readonly #options: LivenessOptions
  readonly #lastHeard = new Map<string, number>()
  #timer: unknown = null

  constructor(options: LivenessOptions) {
    this.#options = options
  }

  start(): void {
    if (this.#timer === null)
      this.#timer = this.#options.timers.setInterval(() => this.#tick(), PING_INTERVAL_MS)
  }

  /** Anything arrived from the member. */
  heard(peerId: string): void {
    this.#lastHeard.set(peerId, this.#options.now())
  }

  /** Its link closed: a new link starts with a clean slate. */
  forget(peerId: string): void {
    this.#lastHeard.delete(peerId)
  }

  stop(): void {
    if (this.#timer !== null) this.#options.timers.clearInterval(this.#timer)
    this.#timer = null
  }

  #tick(): void {
    const now = this.#options.now()
    this.#options.ping(now)
    const silent = silentMembers(this.#options.members(), this.#lastHeard, now)
    for (const peerId of silent) this.#options.disconnect(peerId)
    // If such a member is in fact alive, joining again makes the server introduce us anew.
    if (silent.length > 0) this.#options.rejoin()
  }
}

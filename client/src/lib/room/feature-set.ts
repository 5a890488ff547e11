import type { OutgoingRoomMessage } from './protocol.ts'
import type { FeatureHandle, RoomFeature } from './feature.ts'

export interface FeatureSetOptions {
  /** To one member, or to everyone when `to` is undefined. */
  send(message: OutgoingRoomMessage, to: string | undefined): void
  /** Whether the member is in the room now. */
  isMember(peerId: string): boolean
  /** Feature names that may register later: their snapshots are kept until then. */
  expected?: readonly string[]
}

/**
 * The features plugged into a room (playlist, playback, torrents): routes each `feature` message to
 * its feature, collects their parts of the newcomer snapshot, hands them the snapshots members send,
 * and tells them who joins and leaves.
 */
export class FeatureSet {
  readonly #options: FeatureSetOptions
  readonly #features = new Map<string, RoomFeature>()
  /** Feature snapshots received before the feature registered: feature → sender → value. */
  readonly #unclaimed = new Map<string, Map<string, unknown>>()

  constructor(options: FeatureSetOptions) {
    this.#options = options
  }

  /**
   * Snapshots that arrived before the feature registered are handed to it now (those of members
   * still present), so a store created after the room connected still learns the room's state.
   */
  register(name: string, feature: RoomFeature): FeatureHandle {
    this.#features.set(name, feature)
    const unclaimed = this.#unclaimed.get(name)
    this.#unclaimed.delete(name)
    for (const [from, value] of unclaimed ?? []) {
      if (this.#options.isMember(from)) feature.applySnapshot?.(from, value)
    }
    return {
      send: (body, to) => this.#options.send({ type: 'feature', feature: name, body }, to),
      unregister: () => {
        if (this.#features.get(name) === feature) this.#features.delete(name)
      },
    }
  }

  /** A `feature` message; one for a feature not registered here is dropped. */
  receive(from: string, name: string, body: unknown): void {
    const feature = this.#features.get(name)
    if (feature) return feature.onMessage(from, body)
    if (!this.#isExpected(name))
      console.warn(`room: ignored a message from ${from} for unknown feature ${name}`)
  }

  /** The features' parts of the snapshot for a newly connected member. */
  snapshots(): Record<string, unknown> {
    const snapshots: Record<string, unknown> = {}
    for (const [name, feature] of this.#features) if (feature.snapshot) snapshots[name] = feature.snapshot()
    return snapshots
  }

  /** The feature parts of a member's snapshot: each to its feature, or kept until it registers. */
  applySnapshots(from: string, snapshots: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(snapshots)) {
      const feature = this.#features.get(name)
      if (feature) {
        feature.applySnapshot?.(from, value)
        continue
      }
      if (!this.#isExpected(name)) {
        console.warn(`room: ignored ${from}'s snapshot of unknown feature ${name}`)
        continue
      }
      let unclaimed = this.#unclaimed.get(name)
      if (!unclaimed) this.#unclaimed.set(name, (unclaimed = new Map()))
      unclaimed.set(from, value)
    }
  }

  memberJoined(peerId: string): void {
    for (const feature of this.#features.values()) feature.onMemberJoined?.(peerId)
  }

  memberLeft(peerId: string): void {
    for (const feature of this.#features.values()) feature.onMemberLeft?.(peerId)
  }

  /** Names that may register later; only these wait in `#unclaimed`, so what members make us keep is bounded. */
  #isExpected(name: string): boolean {
    return this.#options.expected?.includes(name) ?? false
  }

  clear(): void {
    this.#features.clear()
  }
}

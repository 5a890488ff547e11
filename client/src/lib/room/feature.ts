/**
 * The contract between the room and the layers that plug into it (playlist, torrent, playback): what a
 * feature gives the room (`RoomFeature`), what the room gives back on registration (`FeatureHandle`), and
 * what a feature sees of the room (`FeatureHost`). The Room implements `FeatureHost`; unit tests use fakes.
 */

/**
 * A later layer plugged into the room. It contributes a part of the newcomer snapshot and exchanges its own
 * messages; it validates what it receives itself (the sender is the channel a body arrived on, `from`).
 */
export interface RoomFeature {
  snapshot?(): unknown
  applySnapshot?(from: string, value: unknown): void
  onMessage(from: string, body: unknown): void
  onMemberJoined?(peerId: string): void
  onMemberLeft?(peerId: string): void
}

export interface FeatureHandle {
  /** To one member, or to everyone when `to` is omitted. */
  send(body: unknown, to?: string): void
  unregister(): void
}

/** A member as a feature sees it: its id and its unique display name. */
export interface FeatureMember {
  readonly id: string
  readonly name: string
}

/** What the features need of the room. */
export interface FeatureHost {
  readonly selfId: string
  /** The host every member computes (null while nobody is known). */
  readonly host: string | null
  /** Everyone present, self included, longest-present first. */
  readonly memberList: readonly FeatureMember[]
  registerFeature(name: string, feature: RoomFeature): FeatureHandle
  /** Whether a member (default: this tab) may play, pause, seek or edit the playlist under the host's lock. */
  canControlPlayback(peerId?: string): boolean
  /** A local notice in the room's chat (not sent, not history), when the room offers one. */
  notice?(text: string): void
}

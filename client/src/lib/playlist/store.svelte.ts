/**
 * The room's playlist as a store: the convergent state of playlist/playlist.ts, shared through the room's `playlist`
 * feature. Newcomers get `toSnapshot` in every hello and merge it; each local edit is applied here and
 * broadcast as one op.
 *
 * Who may edit: everyone, unless the host locked the controls — then only the host (the same rule as play,
 * pause and seek: `room.canControlPlayback`). An op is accepted only from the peer that stamped it
 * (`op.stamp.peer` must be the channel it arrived on). A snapshot is held to the same lock: taken as a whole
 * from a member who may edit now, dropped from one who may not. Counters are bounded against our clock
 * (wire.ts `counterCeiling`), so no member can push the playlist's clock where edits stop.
 *
 * A shared screen (`ScreenItemData`) is its owner's alone: only they add it (wire.ts), only they remove it, a
 * snapshot carries it only from them, and it is listed only while they are in the room.
 */
import type { FeatureHandle, FeatureHost } from '../room/feature.ts'
import {
  applyOp,
  emptyPlaylist,
  itemKey,
  makeAdd,
  makeMove,
  makeRemove,
  makeReady,
  makeSelect,
  sameTorrent,
  isScreenItem,
  mergeSnapshot,
  opOutOfBounds,
  parsePlaylistOp,
  snapshotOutOfBounds,
  parsePlaylistSnapshot,
  playlistItems,
  selectedItem,
  toSnapshot,
  type PlaylistItem,
  type PlaylistItemData,
  type PlaylistOp,
  type PlaylistSnapshot,
  type PlaylistState,
  type TorrentItemData,
} from './playlist.ts'

export const PLAYLIST_FEATURE = 'playlist'

export class PlaylistStore {
  state = $state.raw<PlaylistState>(emptyPlaylist())
  /** Who is in the room, as one string: the member list changes on every pong, this only when someone comes or goes. */
  readonly #present: string = $derived(this.#memberIds())
  readonly items: PlaylistItem[] = $derived(playlistItems(this.state, this.#isPresent(this.#present)))
  readonly selected: PlaylistItem | null = $derived(selectedItem(this.state, this.#isPresent(this.#present)))

  readonly #room: FeatureHost
  readonly #handle: FeatureHandle
  readonly #now: () => number
  /** This tab shares its screen now (between `shareScreen` and `endScreen`). */
  #sharing = false

  /** `now`: the wall clock, ms, that counters from members are bounded against. */
  constructor(room: FeatureHost, now: () => number = Date.now) {
    this.#room = room
    this.#now = now
    this.#handle = room.registerFeature(PLAYLIST_FEATURE, {
      snapshot: () => toSnapshot(this.state),
      applySnapshot: (from, raw) => this.#onSnapshot(from, raw),
      onMessage: (from, raw) => this.#onOp(from, raw),
    })
  }

  /** Whether this tab may edit now (the host may have locked the controls). */
  get canEdit(): boolean {
    return this.#room.canControlPlayback()
  }

  /** Adds an item at the end; selects it when nothing (visible) is selected. Returns its id, or null. */
  add(item: PlaylistItemData): string | null {
    if (!this.canEdit) return null
    const op = makeAdd(this.state, this.#room.selfId, item)
    this.#local(op)
    if (!this.selected) this.#local(makeSelect(this.state, this.#room.selfId, op.id))
    return op.id
  }

  /**
   * Adds an item, or — when an item of the same torrent is in the playlist already — selects that one for the
   * room: pasting a magnet someone already shares means "play this". Null when this tab may not edit.
   */
  addOrSelect(
    item: PlaylistItemData,
  ): { kind: 'added'; id: string } | { kind: 'selected'; item: PlaylistItem } | null {
    if (!this.canEdit) return null
    const known = this.items.find((i) => itemKey(i) === itemKey(item))
    if (!known) {
      const id = this.add(item)
      return id === null ? null : { kind: 'added', id }
    }
    if (this.selected?.id !== known.id) this.select(known.id)
    return { kind: 'selected', item: known }
  }

  /** Removes an item, and any concurrent add of the same torrent hidden behind it (playlist/playlist.ts). */
  remove(id: string): void {
    if (!this.canEdit || !this.items.some((i) => i.id === id)) return
    if (this.#screenOfAnother(id, this.#room.selfId)) return
    for (const same of sameTorrent(this.state, id))
      this.#local(makeRemove(this.state, this.#room.selfId, same))
  }

  /**
   * Puts this member's shared screen on the room's stage: a screen item, selected; the item selected before it
   * is where the room goes back to. Returns its id, or null when this tab may not edit.
   */
  shareScreen(title: string): string | null {
    if (!this.canEdit) return null
    const selfId = this.#room.selfId
    const current = this.selected
    const resume = current && !isScreenItem(current) ? current.id : undefined
    const item: PlaylistItemData = { kind: 'screen', owner: selfId, title, ...(resume ? { resume } : {}) }
    const op = makeAdd(this.state, selfId, item)
    this.#sharing = true
    this.#local(op)
    this.#local(makeSelect(this.state, selfId, op.id))
    return op.id
  }

  /**
   * This member stopped sharing: its screen items leave the playlist, and a room that watched one goes back to
   * the item selected before it. Allowed under the host's lock: a member always takes its own screen away.
   */
  endScreen(): void {
    this.#sharing = false
    const selfId = this.#room.selfId
    for (const entry of this.state.entries.values()) {
      const data = entry.data?.value
      if (entry.removed || data?.kind !== 'screen' || data.owner !== selfId) continue
      if (this.state.selected?.value === entry.id) {
        const resume = data.resume && this.items.some((i) => i.id === data.resume) ? data.resume : null
        this.#local(makeSelect(this.state, selfId, resume))
      }
      this.#local(makeRemove(this.state, selfId, entry.id))
    }
  }

  /** Moves an item to `index` among the visible items. */
  move(id: string, index: number): void {
    const from = this.items.findIndex((i) => i.id === id)
    if (!this.canEdit || from < 0 || index < 0 || index >= this.items.length || index === from) return
    this.#local(makeMove(this.state, this.#room.selfId, id, index))
  }

  /** Selects an item for the room (null: nothing), optionally a particular file of it. */
  select(id: string | null, fileIndex?: number): void {
    if (!this.canEdit) return
    if (id !== null && !this.items.some((i) => i.id === id)) return
    this.#local(makeSelect(this.state, this.#room.selfId, id, fileIndex))
  }

  /**
   * A `local` item this tab added has its torrent now (its hashing finished). Not an edit: the owner says
   * what the item is, even after the host locked the controls.
   */
  ready(id: string, torrent: TorrentItemData): void {
    const entry = this.state.entries.get(id)
    if (entry?.data?.stamp.peer !== this.#room.selfId || entry.data.value.kind !== 'local') return
    this.#local(makeReady(this.state, this.#room.selfId, id, torrent))
  }

  destroy(): void {
    this.#handle.unregister()
  }

  #local(op: PlaylistOp): void {
    this.state = applyOp(this.state, op)
    this.#handle.send(op)
  }

  #onSnapshot(from: string, raw: unknown): void {
    const parsed = parsePlaylistSnapshot(raw)
    if (!parsed.ok) return console.warn(`playlist: ignored a snapshot from ${from}: ${parsed.error.message}`)
    if (!this.#room.canControlPlayback(from))
      return console.warn(`playlist: ignored a snapshot from ${from}: the host locked the controls`)
    const outOfBounds = snapshotOutOfBounds(parsed.value, this.#now())
    if (outOfBounds) return console.warn(`playlist: ignored a snapshot from ${from}: ${outOfBounds}`)
    this.state = mergeSnapshot(this.state, this.#ownScreensOnly(from, parsed.value))
  }

  /**
   * A member's snapshot speaks for its own screen only: another member's screen item (which its owner's own
   * hello brings) or its removal is left out, so nobody can put a screen on the stage, or take one off, for
   * someone else. One of ours that the room kept while we do not share (a reload while sharing) is taken away.
   */
  #ownScreensOnly(from: string, snapshot: PlaylistSnapshot): PlaylistSnapshot {
    const selfId = this.#room.selfId
    let dropped = 0
    const stale: string[] = []
    const entries = snapshot.entries.flatMap((entry) => {
      const data = entry.data?.value
      if (data?.kind === 'screen' && data.owner !== from) {
        if (data.owner === selfId) stale.push(entry.id)
        else dropped++
        const { data: _data, ...rest } = entry
        return [rest]
      }
      if (entry.removed && this.#screenOfAnother(entry.id, from)) {
        dropped++
        return []
      }
      return [entry]
    })
    if (dropped > 0)
      console.warn(`playlist: left out ${dropped} screen item(s) of other members from ${from}'s snapshot`)
    if (!this.#sharing) for (const id of stale) this.#local(makeRemove(this.state, selfId, id))
    return dropped + stale.length === 0 ? snapshot : { ...snapshot, entries }
  }

  /** Item `id` is a screen shared by someone other than `peerId`. */
  #screenOfAnother(id: string, peerId: string): boolean {
    const owner = this.#screenOf(id)
    return owner !== null && owner !== peerId
  }

  /** Whose screen item `id` is; null when it is not a known screen item. */
  #screenOf(id: string): string | null {
    const data = this.state.entries.get(id)?.data?.value
    return data?.kind === 'screen' ? data.owner : null
  }

  #memberIds(): string {
    return this.#room.memberList
      .map((member) => member.id)
      .sort()
      .join(' ')
  }

  #isPresent(present: string): (owner: string) => boolean {
    // A lookup built once per change of the member list, read by the pure playlist functions.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const ids = new Set(present.split(' '))
    return (owner) => ids.has(owner)
  }

  #onOp(from: string, raw: unknown): void {
    const parsed = parsePlaylistOp(raw)
    if (!parsed.ok) return console.warn(`playlist: ignored an op from ${from}: ${parsed.error.message}`)
    const op = parsed.value
    if (op.stamp.peer !== from) return console.warn(`playlist: ignored an op ${from} stamped as another peer`)
    // A member always takes its own screen away, lock or not.
    const ownScreen = op.type === 'remove' && this.#screenOf(op.id) === from
    if (op.type === 'ready') {
      // Only the member who added a prepared file says what it is (and may, under the host's lock).
      const added = this.state.entries.get(op.id)?.data
      if (added?.stamp.peer !== from || added.value.kind !== 'local')
        return console.warn(`playlist: ignored a ready op from ${from}: not the owner of ${op.id}`)
    } else if (!ownScreen && !this.#room.canControlPlayback(from))
      return console.warn(`playlist: ${from} may not edit (locked)`)
    const outOfBounds = opOutOfBounds(op, this.#now())
    if (outOfBounds) return console.warn(`playlist: ignored an op from ${from}: ${outOfBounds}`)
    if (op.type === 'remove' && this.#screenOfAnother(op.id, from))
      return console.warn(`playlist: ${from} may not remove another member's screen`)
    this.state = applyOp(this.state, op)
  }
}

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
  type PlaylistState,
  type TorrentItemData,
} from './playlist.ts'

export const PLAYLIST_FEATURE = 'playlist'

export class PlaylistStore {
  state = $state.raw<PlaylistState>(emptyPlaylist())
  readonly items: PlaylistItem[] = $derived(playlistItems(this.state))
  readonly selected: PlaylistItem | null = $derived(selectedItem(this.state))

  readonly #room: FeatureHost
  readonly #handle: FeatureHandle
  readonly #now: () => number

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
    for (const same of sameTorrent(this.state, id))
      this.#local(makeRemove(this.state, this.#room.selfId, same))
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
    this.state = mergeSnapshot(this.state, parsed.value)
  }

  #onOp(from: string, raw: unknown): void {
    const parsed = parsePlaylistOp(raw)
    if (!parsed.ok) return console.warn(`playlist: ignored an op from ${from}: ${parsed.error.message}`)
    const op = parsed.value
    if (op.stamp.peer !== from) return console.warn(`playlist: ignored an op ${from} stamped as another peer`)
    if (op.type === 'ready') {
      // Only the member who added a prepared file says what it is (and may, under the host's lock).
      const added = this.state.entries.get(op.id)?.data
      if (added?.stamp.peer !== from || added.value.kind !== 'local')
        return console.warn(`playlist: ignored a ready op from ${from}: not the owner of ${op.id}`)
    } else if (!this.#room.canControlPlayback(from))
      return console.warn(`playlist: ${from} may not edit (locked)`)
    const outOfBounds = opOutOfBounds(op, this.#now())
    if (outOfBounds) return console.warn(`playlist: ignored an op from ${from}: ${outOfBounds}`)
    this.state = applyOp(this.state, op)
  }
}

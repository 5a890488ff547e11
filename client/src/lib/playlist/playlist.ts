/**
 * The room's playlist as pure state that converges: every peer that has seen the same set of ops (in any
 * order, any number of times) and the same snapshots holds the same playlist. It is a state-based CRDT:
 *
 * - every op is stamped (lamport counter, peer id); stamps are totally ordered;
 * - an item's data comes from its add op; its place is a last-writer-wins order key (see playlist/order-key.ts);
 * - remove wins over everything, forever (a tombstone stays, so a late move or a stale snapshot can't bring
 *   an item back);
 * - the selected item (and the file chosen in it) is last-writer-wins;
 * - a dropped file shared before its torrent exists (`local`) gains the torrent later, by one `ready` op that
 *   counts only from the member who added the item.
 *
 * Ops and snapshots both become partial entries merged by one commutative, idempotent function.
 * To edit locally: `const op = makeMove(state, me, id, 2); state = applyOp(state, op); send(op)`. Make each op
 * from the state that includes the previous one, so stamps stay unique.
 */
import { keyBetween } from './order-key.ts'

export {
  opOutOfBounds,
  parsePlaylistOp,
  parsePlaylistSnapshot,
  snapshotOutOfBounds,
  type WireResult,
} from './wire.ts'

const PLAYLIST_VERSION = 1

export interface Stamp {
  counter: number
  peer: string
}

/** A torrent: every member fetches it from the others (and the trackers and web seeds it names). */
export interface TorrentItemData {
  kind?: 'torrent' | undefined
  /** Magnet link (with info hash, name and trackers) every peer passes to WebTorrent. */
  torrentId: string
  infoHash: string
  title: string
}

/** A web link to a video file or an HLS stream (media/url.ts): every member plays it from the link. */
export interface UrlItemData {
  kind: 'url'
  url: string
  title: string
}

/**
 * A file a member dropped, shared while that member still hashes it (docs/streaming.md, "Streaming before
 * the torrent exists"): the others read its bytes from that member until its `ready` op gives it a torrent.
 * Until then it is listed only while that member is in the room (`playlistItems`): nobody else has its bytes.
 */
export interface LocalItemData {
  kind: 'local'
  /** 40 random hex digits: names the item's connections to its owner (torrent/links.ts). */
  localKey: string
  title: string
  /** The file's size in bytes. */
  size: number
  /**
   * Where the file's index starts when it follows the media data (an MP4's boxes after `mdat`), as the owner
   * read it: members ask for it first (media/mse-mp4.ts `prefetchTail`).
   */
  indexAt?: number | undefined
}

/**
 * A member's shared screen (call/call.svelte.ts), live: the others watch it over the call connections, with no
 * seeking. Only its owner adds or removes it (playlist/wire.ts, store.svelte.ts); it is listed while its owner
 * is in the room. `resume`: the item that was selected when the share began, which the room goes back to.
 */
export interface ScreenItemData {
  kind: 'screen'
  owner: string
  title: string
  resume?: string | undefined
}

export type PlaylistItemData = TorrentItemData | UrlItemData | LocalItemData | ScreenItemData

/** Where an item that was dropped came from, once it has its torrent: the item it was while being prepared. */
export interface LocalOrigin {
  localKey: string
  size: number
}

interface ItemPlace {
  id: string
  addedBy: string
  /** The file to play, when someone chose one; otherwise the player picks (media/files.ts). */
  fileIndex: number | undefined
  /** A torrent item that was shared as a `local` item before it had its torrent. */
  local?: LocalOrigin | undefined
}

export type PlaylistItem = PlaylistItemData & ItemPlace
export type TorrentItem = TorrentItemData & ItemPlace
export type UrlItem = UrlItemData & ItemPlace
export type LocalItem = LocalItemData & ItemPlace
export type ScreenItem = ScreenItemData & ItemPlace

export function isUrlItem<T extends PlaylistItemData>(item: T): item is Extract<T, UrlItemData> {
  return item.kind === 'url'
}

export function isLocalItem<T extends PlaylistItemData>(item: T): item is Extract<T, LocalItemData> {
  return item.kind === 'local'
}

export function isScreenItem<T extends PlaylistItemData>(item: T): item is Extract<T, ScreenItemData> {
  return item.kind === 'screen'
}

/** A torrent item (neither a link, a file still being prepared nor a screen). */
export function isTorrentItem<T extends PlaylistItemData>(item: T): item is Extract<T, TorrentItemData> {
  return item.kind === undefined || item.kind === 'torrent'
}

/** What makes two items the same video: a torrent's info hash, a link's URL, a prepared file's key, a screen's owner. */
export function itemKey(item: PlaylistItemData): string {
  switch (item.kind) {
    case 'url':
      return `url:${item.url}`
    case 'local':
      return `local:${item.localKey}`
    case 'screen':
      return `screen:${item.owner}`
    case undefined:
    case 'torrent':
      return item.infoHash
  }
}

/**
 * Which members are in the room: a member's screen, and a file it drops that has no torrent yet (nobody else
 * has its bytes), are listed only while it is; every member counts as present when not given.
 */
export type ScreenOwners = (owner: string) => boolean

const EVERY_OWNER: ScreenOwners = () => true

export type PlaylistOp =
  | {
      type: 'add'
      stamp: Stamp
      id: string
      key: string
      item: PlaylistItemData
      fileIndex?: number | undefined
    }
  | { type: 'remove'; stamp: Stamp; id: string }
  | { type: 'move'; stamp: Stamp; id: string; key: string }
  | { type: 'select'; stamp: Stamp; id: string | null; fileIndex?: number | undefined }
  /** The torrent of a `local` item, from the member who added it (from anyone else it counts for nothing). */
  | { type: 'ready'; stamp: Stamp; id: string; torrent: TorrentItemData }

interface Register<T> {
  value: T
  stamp: Stamp
}

/** One item's merged knowledge. A move may arrive before its add: then `data` is missing for a while. */
export interface Entry {
  id: string
  removed: boolean
  data?: Register<PlaylistItemData> | undefined
  key?: Register<string> | undefined
  file?: Register<number> | undefined
  /** A `local` item's torrent (`ready`), used only when stamped by the item's adder. */
  torrent?: Register<TorrentItemData> | undefined
}

export interface PlaylistState {
  /** Highest lamport counter seen; the next local op uses clock + 1. */
  readonly clock: number
  readonly entries: ReadonlyMap<string, Entry>
  readonly selected: Register<string | null> | null
}

/** What a newcomer receives; also plain JSON for the wire. */
export interface PlaylistSnapshot {
  version: typeof PLAYLIST_VERSION
  clock: number
  selected: Register<string | null> | null
  entries: Entry[]
}

export function emptyPlaylist(): PlaylistState {
  return { clock: 0, entries: new Map(), selected: null }
}

export function compareStamps(a: Stamp, b: Stamp): number {
  if (a.counter !== b.counter) return a.counter - b.counter
  return a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0
}

// ── reading ────────────────────────────────────────────────────────────────────────────────────────────

/**
 * The visible items, in order. One torrent (or link) shows once: when two people add it at the same moment (each before
 * seeing the other's add, so neither was told "already in the playlist"), every peer shows the earlier add.
 */
export function playlistItems(state: PlaylistState, present: ScreenOwners = EVERY_OWNER): PlaylistItem[] {
  const visible: { item: PlaylistItem; key: string }[] = []
  for (const e of firstAdds(state).values()) {
    const data = e.data.value
    if (data.kind === 'screen' && !present(data.owner)) continue
    const ready = readyTorrent(e)
    if (isLocalItem(data) && !ready && !present(e.data.stamp.peer)) continue
    const item: PlaylistItem = {
      id: e.id,
      ...(ready ?? data),
      addedBy: e.data.stamp.peer,
      fileIndex: e.file?.value,
      ...(ready && isLocalItem(data) ? { local: { localKey: data.localKey, size: data.size } } : {}),
    }
    visible.push({ item, key: e.key.value })
  }
  visible.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.item.id < b.item.id ? -1 : 1))
  return visible.map((v) => v.item)
}

/**
 * The selected item, or null when nothing is selected or the selected item was removed. A selected duplicate
 * add (see `playlistItems`) is its torrent's visible item. A selected screen whose owner left gives way to the
 * item selected before it (`resume`), as it does once its owner stops sharing (store.svelte.ts).
 */
export function selectedItem(state: PlaylistState, present: ScreenOwners = EVERY_OWNER): PlaylistItem | null {
  const id = state.selected?.value
  if (id == null) return null
  const items = playlistItems(state, present)
  const entry = state.entries.get(id)
  const key = entry ? keyOf(entry) : null
  const found = items.find((i) => i.id === id) ?? (key ? items.find((i) => itemKey(i) === key) : null)
  if (found) return found
  const data = entry?.data?.value
  const resume = data?.kind === 'screen' ? data.resume : undefined
  return resume === undefined ? null : (items.find((i) => i.id === resume && !isScreenItem(i)) ?? null)
}

/**
 * The files `self` dropped that are listed without their torrent though `self` no longer holds them (`holds`,
 * by their key): a reload before their hashing ended. Nobody else has their bytes, so their owner removes them.
 */
export function lostDrops(
  items: readonly PlaylistItem[],
  self: string,
  holds: (localKey: string) => boolean,
): (PlaylistItem & LocalItemData)[] {
  return items.filter(
    (i): i is PlaylistItem & LocalItemData => isLocalItem(i) && i.addedBy === self && !holds(i.localKey),
  )
}

/** The ids of every add of item `id`'s torrent (or link) still there: removing the item removes them all. */
export function sameTorrent(state: PlaylistState, id: string): string[] {
  const entry = state.entries.get(id)
  const key = entry ? keyOf(entry) : null
  if (key === null) return []
  const ids: string[] = []
  for (const e of state.entries.values()) if (!e.removed && keyOf(e) === key) ids.push(e.id)
  return ids
}

/** A `local` entry's torrent, when the member who added it sent it; null otherwise. */
function readyTorrent(e: Entry): TorrentItemData | null {
  if (!e.data || !isLocalItem(e.data.value) || !e.torrent) return null
  return e.torrent.stamp.peer === e.data.stamp.peer ? e.torrent.value : null
}

/** What an entry is the same video by (its torrent's, once a prepared file has one); null before its add. */
function keyOf(e: Entry): string | null {
  if (!e.data) return null
  return itemKey(readyTorrent(e) ?? e.data.value)
}

/** An entry that can be listed: not removed, its add and its place both known. */
type Listable = Entry & { data: Register<PlaylistItemData>; key: Register<string> }

/** Per info hash (or link), the listable entry of its earliest add (stamp order: the same on every peer). */
function firstAdds(state: PlaylistState): Map<string, Listable> {
  const first = new Map<string, Listable>()
  for (const e of state.entries.values()) {
    if (!isListable(e)) continue
    const key = keyOf(e) as string
    const other = first.get(key)
    if (!other || order(e.data, other.data) < 0) first.set(key, e)
  }
  return first
}

function isListable(e: Entry): e is Listable {
  return !e.removed && e.data !== undefined && e.key !== undefined
}

// ── making local ops ───────────────────────────────────────────────────────────────────────────────────

function nextStamp(state: PlaylistState, peer: string): Stamp {
  return { counter: state.clock + 1, peer }
}

/** Order key for a slot before the item now at `index` (index = length: at the end). */
function keyAt(state: PlaylistState, index: number, stamp: Stamp, skipId?: string): string {
  const items = playlistItems(state).filter((i) => i.id !== skipId)
  const at = Math.max(0, Math.min(index, items.length))
  const keyOf = (i: number) => {
    const id = items[i]?.id
    return id === undefined ? null : (state.entries.get(id)?.key?.value ?? null)
  }
  let before = at > 0 ? keyOf(at - 1) : null
  const after = at < items.length ? keyOf(at) : null
  // Equal neighbouring keys (a rare concurrent insert) leave no room between; go just after `before`'s group.
  if (before !== null && after !== null && before >= after) before = null
  return keyBetween(before, after, `${stamp.peer}:${stamp.counter}`)
}

/** Adds an item at `index` (default: the end). Its id is derived from the stamp, so it is unique. */
export function makeAdd(
  state: PlaylistState,
  peer: string,
  item: PlaylistItemData,
  options: { index?: number; fileIndex?: number } = {},
): PlaylistOp {
  const stamp = nextStamp(state, peer)
  const key = keyAt(state, options.index ?? Number.MAX_SAFE_INTEGER, stamp)
  const op: PlaylistOp = { type: 'add', stamp, id: `${peer}:${stamp.counter}`, key, item: { ...item } }
  return options.fileIndex === undefined ? op : { ...op, fileIndex: options.fileIndex }
}

export function makeRemove(state: PlaylistState, peer: string, id: string): PlaylistOp {
  return { type: 'remove', stamp: nextStamp(state, peer), id }
}

/** Moves item `id` so it ends up at `index` among the visible items. */
export function makeMove(state: PlaylistState, peer: string, id: string, index: number): PlaylistOp {
  const stamp = nextStamp(state, peer)
  return { type: 'move', stamp, id, key: keyAt(state, index, stamp, id) }
}

/** The torrent of a `local` item this peer added (its hashing finished). */
export function makeReady(
  state: PlaylistState,
  peer: string,
  id: string,
  torrent: TorrentItemData,
): PlaylistOp {
  return { type: 'ready', stamp: nextStamp(state, peer), id, torrent: { ...torrent } }
}

/** Selects an item for the room to play (null: nothing), optionally a particular file of it. */
export function makeSelect(
  state: PlaylistState,
  peer: string,
  id: string | null,
  fileIndex?: number,
): PlaylistOp {
  const op: PlaylistOp = { type: 'select', stamp: nextStamp(state, peer), id }
  return fileIndex === undefined ? op : { ...op, fileIndex }
}

// ── merging ────────────────────────────────────────────────────────────────────────────────────────────

/** Applies an op (local or remote, validated with `parsePlaylistOp`). Returns a new state. */
export function applyOp(state: PlaylistState, op: PlaylistOp): PlaylistState {
  const { stamp } = op
  const clock = Math.max(state.clock, stamp.counter)
  switch (op.type) {
    case 'add': {
      const file = op.fileIndex === undefined ? undefined : { value: op.fileIndex, stamp }
      const entry = {
        id: op.id,
        removed: false,
        data: { value: op.item, stamp },
        key: { value: op.key, stamp },
        file,
      }
      return withEntries(state, clock, [entry], null)
    }
    case 'remove':
      return withEntries(state, clock, [{ id: op.id, removed: true }], null)
    case 'move':
      return withEntries(state, clock, [{ id: op.id, removed: false, key: { value: op.key, stamp } }], null)
    case 'select': {
      const file = op.id !== null && op.fileIndex !== undefined ? [fileEntry(op.id, op.fileIndex, stamp)] : []
      return withEntries(state, clock, file, { value: op.id, stamp })
    }
    case 'ready':
      return withEntries(
        state,
        clock,
        [{ id: op.id, removed: false, torrent: { value: op.torrent, stamp } }],
        null,
      )
    default:
      return unreachable(op)
  }
}

export function toSnapshot(state: PlaylistState): PlaylistSnapshot {
  return {
    version: PLAYLIST_VERSION,
    clock: state.clock,
    selected: state.selected,
    entries: [...state.entries.values()],
  }
}

/** Merges a snapshot (from a newcomer's hello, or several of them) into the state. */
export function mergeSnapshot(state: PlaylistState, snapshot: PlaylistSnapshot): PlaylistState {
  return withEntries(state, Math.max(state.clock, snapshot.clock), snapshot.entries, snapshot.selected)
}

function fileEntry(id: string, index: number, stamp: Stamp): Entry {
  return { id, removed: false, file: { value: index, stamp } }
}

function withEntries(
  state: PlaylistState,
  clock: number,
  incoming: readonly Entry[],
  selected: Register<string | null> | null,
): PlaylistState {
  const entries = new Map(state.entries)
  for (const e of incoming) {
    const current = entries.get(e.id)
    entries.set(e.id, current ? mergeEntry(current, e) : tidy(e))
  }
  return { clock, entries, selected: later(state.selected, selected) ?? null }
}

/** The join of two entries: commutative, associative, idempotent, which is what makes peers converge. */
function mergeEntry(a: Entry, b: Entry): Entry {
  // Ids are unique per add; if two adds ever shared one, the earlier add's data wins on every peer.
  const data = earlier(a.data, b.data)
  return tidy({
    id: a.id,
    removed: a.removed || b.removed,
    data,
    key: later(a.key, b.key),
    file: later(a.file, b.file),
    torrent: later(owned(a.torrent, data), owned(b.torrent, data)),
  })
}

/** A `ready` register, unless the item's add is known and came from someone else (it never counts then). */
function owned<T>(torrent: Register<T> | undefined, data: Register<PlaylistItemData> | undefined) {
  return torrent && data && torrent.stamp.peer !== data.stamp.peer ? undefined : torrent
}

/** A removed item keeps only its tombstone. */
function tidy(e: Entry): Entry {
  return e.removed ? { id: e.id, removed: true } : e
}

function later<T>(a: Register<T> | null | undefined, b: Register<T> | null | undefined) {
  if (!a) return b ?? undefined
  if (!b) return a
  return order(a, b) < 0 ? b : a
}

function earlier<T>(a: Register<T> | undefined, b: Register<T> | undefined) {
  if (!a) return b
  if (!b) return a
  return order(a, b) > 0 ? b : a
}

/** Stamps are unique for honest peers; a repeated stamp with other content is still ordered the same everywhere. */
function order<T>(a: Register<T>, b: Register<T>): number {
  const byStamp = compareStamps(a.stamp, b.stamp)
  if (byStamp !== 0) return byStamp
  const x = JSON.stringify(a.value)
  const y = JSON.stringify(b.value)
  return x < y ? -1 : x > y ? 1 : 0
}

function unreachable(value: never): never {
  throw new Error(`unhandled playlist op ${JSON.stringify(value)}`)
}

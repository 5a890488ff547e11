/**
 * A member's connection to the owner of a dropped film, made when the film joins the playlist rather than when
 * it is selected: setting one up takes a signalling round trip through the room and ICE (40–180 ms on this
 * machine), which otherwise comes first in every start of such a film. The connection is idle until the
 * member plays the film (torrent/range-source.ts); one per film the owner is still hashing, for the last few.
 *
 * Once the film has its torrent, a member that is not playing it from its owner closes the connection: the
 * torrent serves whoever selects it from then on.
 */
import { isLocalItem, isTorrentItem, type LocalItem, type PlaylistItem } from '../playlist/playlist.ts'

/**
 * The most films a member links with before they are selected, the last in the playlist first (a new one
 * joins at the end): a member that adds many cannot make every other member open a connection for each (the
 * one being read does not count).
 */
export const MAX_EARLY_LINKS = 2

export interface EarlyLinkState {
  selfId: string
  /** Whether this tab would read a film of this name from its owner (through MSE). */
  readable(title: string): boolean
  /** Whether this tab announces the key (a film's key, or a torrent's info hash). */
  has(key: string): boolean
  /** The key of the dropped film this tab plays from its owner now, if any. */
  reading: string | null
}

export interface EarlyLinks {
  /** Films to link with their owners now. */
  open: LocalItem[]
  /** Keys whose links are no longer needed. */
  close: string[]
}

export function earlyLinks(items: readonly PlaylistItem[], state: EarlyLinkState): EarlyLinks {
  const open: LocalItem[] = []
  const close: string[] = []
  const others = items.filter(
    (item): item is LocalItem =>
      isLocalItem(item) && item.addedBy !== state.selfId && item.localKey !== state.reading,
  )
  let linked = others.filter((item) => state.has(item.localKey)).length
  for (const item of others.reverse()) {
    if (linked >= MAX_EARLY_LINKS) break
    if (state.has(item.localKey) || !state.readable(item.title)) continue
    open.push(item)
    linked++
  }
  for (const item of items) {
    if (isTorrentItem(item) && item.local) {
      const key = item.local.localKey
      if (
        item.addedBy !== state.selfId &&
        state.has(key) &&
        key !== state.reading &&
        !state.has(item.infoHash)
      )
        close.push(key)
    }
  }
  return { open, close }
}

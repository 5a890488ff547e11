/**
 * The person who drops a video plays it from their own disk, not through the torrent: a `blob:` URL of the
 * dropped `File` needs no service worker, no piece reads and no page round trip per chunk, so their player is
 * ready in tens of milliseconds and their page stays free to serve the pieces the room is asking for. This
 * lines the dropped files up with the torrent's file list (WebTorrent may order them differently from the
 * drop), by name and size.
 */
import type { FileLike } from '../media/files.ts'

/** What a dropped `File` offers for matching (a `File` fits). */
export interface LocalFileLike {
  name: string
  size: number
}

/**
 * For each torrent file, the dropped file with the same name and size (each used once), or undefined. The
 * torrent's `path` may add a folder (the torrent's name), so the file's own `name` is what is compared.
 */
export function alignLocalFiles<T extends LocalFileLike>(
  torrentFiles: readonly FileLike[],
  local: readonly T[],
): (T | undefined)[] {
  const unused = [...local]
  return torrentFiles.map((file) => {
    const at = unused.findIndex((l) => l.name === file.name && l.size === file.length)
    return at < 0 ? undefined : unused.splice(at, 1)[0]
  })
}

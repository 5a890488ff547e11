/**
 * The torrent's end of piece gathering (torrent/piece-gather.ts): whole pieces of a file that came from
 * elsewhere (the owner's range reads) are checked against the torrent's hashes and taken in as a wire's pieces
 * are (torrent/internals.ts `adoptPiece`), digested in a worker (torrent/piece-check.ts). A piece that does
 * not match is dropped with a log line, and the taker takes nothing more: an owner whose bytes differ from its
 * own torrent's is not worth checking again.
 * The torrent then downloads those pieces as before, so nothing unverified is ever stored or served.
 */
import type { Torrent } from 'webtorrent/dist/webtorrent.min.js'
import { adoptPiece } from './internals.ts'
import { pieceChecker } from './piece-check.ts'
import type { PieceTaker } from './piece-gather.ts'
import { trace } from '../trace.ts'

/** Pieces checked and stored at once; past this a gathered piece is left to the torrent (memory stays bounded). */
export const MAX_ADOPTING = 4

/** A taker for the file at `fileOffset` in `torrent`, which must be ready (its pieces known). */
export function adoptingTaker(torrent: Torrent, fileOffset: number): PieceTaker {
  let adopting = 0
  let forged = false
  return {
    layout: { pieceLength: torrent.pieceLength, fileOffset, length: torrent.length },
    has: (index) => torrent.bitfield?.get(index) === true,
    take: (index, bytes) => {
      if (forged || adopting >= MAX_ADOPTING || torrent.destroyed) return
      adopting++
      adoptPiece(torrent, index, bytes, pieceChecker.check)
        .then((result) => {
          trace('torrent:adopt', { piece: index, result })
          if (result !== 'forged' || forged) return
          forged = true
          console.warn(`torrent: piece ${index} from the owner does not match its hash; taking no more`)
        })
        .catch((err: unknown) => console.warn(`torrent: piece ${index} was not stored`, err))
        .finally(() => adopting--)
    },
  }
}

/**
 * A Web Worker that hashes batches of a dropped file's pieces (torrent/piece-hash.ts): it reads them from the
 * file itself and answers with their SHA-1s, so the page's thread never holds the file's bytes. While the page
 * says a member reads the file (`paused`), it starts no new read (torrent/read-priority.ts).
 */
import {
  hashPieceRange,
  READ_BYTES,
  type HashAnswer,
  type HashPause,
  type HashRequest,
} from './piece-hash.ts'
import { ReadGate } from './read-priority.ts'

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<HashRequest | HashPause>) => void) | null
  postMessage(answer: HashAnswer, transfer: Transferable[]): void
}

const gate = new ReadGate()

scope.onmessage = ({ data }) => {
  if ('paused' in data) return gate.set(data.paused)
  const { id, blob, pieceLength, first, end } = data
  hashPieceRange(blob, pieceLength, first, end, READ_BYTES, gate.mayRead).then(
    (hashes) => scope.postMessage({ id, hashes }, [hashes.buffer]),
    (err: unknown) => scope.postMessage({ id, error: String(err) }, []),
  )
}

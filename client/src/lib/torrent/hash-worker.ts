/**
 * A Web Worker that hashes batches of a dropped file's pieces (torrent/piece-hash.ts): it reads them from the
 * file itself and answers with their SHA-1s, so the page's thread never holds the file's bytes.
 */
import { hashPieceRange, type HashAnswer, type HashRequest } from './piece-hash.ts'

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<HashRequest>) => void) | null
  postMessage(answer: HashAnswer, transfer: Transferable[]): void
}

scope.onmessage = ({ data }) => {
  const { id, blob, pieceLength, first, end } = data
  hashPieceRange(blob, pieceLength, first, end).then(
    (hashes) => scope.postMessage({ id, hashes }, [hashes.buffer]),
    (err: unknown) => scope.postMessage({ id, error: String(err) }, []),
  )
}

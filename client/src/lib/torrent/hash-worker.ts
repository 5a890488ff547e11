/**
 * A Web Worker that hashes batches of a dropped file's pieces (torrent/piece-hash.ts): it reads them from the
 * file itself and answers with their SHA-1s, so the page's thread never holds the file's bytes. It picks its
 * SHA-1 once, as it starts (torrent/sha1.ts), while its first read is under way. While the page says a member
 * reads the file (`paused`), it starts no new read (torrent/read-priority.ts).
 */
import { hashPieceRange, type HashAnswer, type HashPause, type HashRequest } from './piece-hash.ts'
import { ReadGate } from './read-priority.ts'
import { chooseSha1 } from './sha1.ts'

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<HashRequest | HashPause>) => void) | null
  postMessage(answer: HashAnswer, transfer: Transferable[]): void
}

const gate = new ReadGate()
const choice = chooseSha1()

scope.onmessage = ({ data }) => {
  if ('paused' in data) return gate.set(data.paused)
  const { id, blob, pieceLength, first, end } = data
  choice
    .then(async ({ name, trials, sha1 }) => {
      const hashes = await hashPieceRange(blob, pieceLength, first, end, { mayRead: gate.mayRead, sha1 })
      scope.postMessage({ id, hashes, sha1: { name, trials } }, [hashes.buffer])
    })
    .catch((err: unknown) => scope.postMessage({ id, error: String(err) }, []))
}

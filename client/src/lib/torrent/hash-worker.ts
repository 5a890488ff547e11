/**
 * A Web Worker that hashes batches of a dropped file's pieces (torrent/piece-hash.ts): it reads them from the
 * file itself and answers with their SHA-1s, so the page's thread never holds the file's bytes. It picks its
 * SHA-1 once, on its first batch (torrent/sha1.ts), while its first read is under way. While the page says a
 * member reads the file (`paused`), it starts no new read (torrent/read-priority.ts).
 */
import { hashPieceRange, type HashAnswer, type HashPause, type HashRequest } from './piece-hash.ts'
import { ReadGate } from './read-priority.ts'
import { chooseSha1, sha1When, type Sha1, type Sha1Choice } from './sha1.ts'

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<HashRequest | HashPause>) => void) | null
  postMessage(answer: HashAnswer, transfer: Transferable[]): void
}

const gate = new ReadGate()
/**
 * Chosen on the first batch, on a sample of its piece length (a worker hashes one file). The first read goes out
 * while the choice is made; the pieces read meanwhile wait for it as copies (`sha1When`).
 */
let sha1: Sha1 | null = null
let choice: Promise<Sha1Choice> | null = null

scope.onmessage = ({ data }) => {
  if ('paused' in data) return gate.set(data.paused)
  const { id, blob, pieceLength, first, end } = data
  const chosen = (choice ??= chooseSha1(pieceLength))
  sha1 ??= sha1When(chosen)
  hashPieceRange(blob, pieceLength, first, end, { mayRead: gate.mayRead, sha1 })
    .then(async (hashes) => {
      const { name, trials } = await chosen
      scope.postMessage({ id, hashes, sha1: { name, trials } }, [hashes.buffer])
    })
    .catch((err: unknown) => scope.postMessage({ id, error: String(err) }, []))
}

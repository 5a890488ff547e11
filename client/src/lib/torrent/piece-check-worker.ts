/**
 * A Web Worker that digests the pieces a page takes in from elsewhere (torrent/piece-check.ts): each comes
 * moved, not copied, and goes back the same way with its SHA-1. It uses hash-wasm's SHA-1, which reads its
 * input where it lies; WebCrypto's, the fallback where WebAssembly may not be compiled, copies it first. Which
 * of the two is faster does not matter for the odd piece checked here (the hashing's workers measure it,
 * torrent/sha1.ts); the copy is what costs.
 */
import type { CheckAnswer, CheckRequest } from './piece-check.ts'
import { wasmSha1, webCryptoSha1, type Sha1 } from './sha1.ts'

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<CheckRequest>) => void) | null
  postMessage(answer: CheckAnswer, transfer: Transferable[]): void
}

const sha1: Promise<Sha1> = wasmSha1().catch(() => webCryptoSha1)

scope.onmessage = ({ data: { id, bytes } }) => {
  sha1
    .then((digest) => digest(bytes))
    .then(
      (digest) => scope.postMessage({ id, bytes, digest }, [bytes.buffer]),
      (err: unknown) => scope.postMessage({ id, bytes, error: String(err) }, [bytes.buffer]),
    )
}

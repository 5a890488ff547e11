import { base64url } from '../random.ts'
import { canonical, fromBase64url, type Bytes } from './signing.ts'

/**
 * End-to-end encryption of a signal-server pipe once its handshake (handshake.ts) is done: AES-256-GCM,
 * one key per direction derived from the room key and the handshake's transcript (so per link and per
 * handshake), and a counter per direction as the nonce. The receiver opens frame n only as the n-th
 * frame, so a replayed, dropped, reordered or altered frame fails to open, and after one failure the
 * pipe opens nothing more (the session drops the link). The server sees only ciphertext, its size and
 * its timing.
 */
export const PIPE_KEY_LABEL = 'theatron/pipe/v1'

/** Derives `length` bytes from the room key (HandshakeCrypto.derive). */
export type Derive = (salt: Bytes, info: Bytes) => Promise<Bytes>

export class SecureFrames {
  readonly #seal: Promise<CryptoKey>
  readonly #open: Promise<CryptoKey>
  #sent = 0
  #received = 0
  #broken = false

  constructor(derive: Derive, transcriptHash: Bytes, localId: string, remoteId: string) {
    this.#seal = directionKey(derive, transcriptHash, localId, remoteId, 'encrypt')
    this.#open = directionKey(derive, transcriptHash, remoteId, localId, 'decrypt')
  }

  /** Encrypt the next outgoing frame; frames must be sent in the order of these calls. */
  async seal(text: string): Promise<string> {
    const iv = counterNonce(this.#sent++)
    const sealed = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv },
      await this.#seal,
      encoder.encode(text),
    )
    return base64url(new Uint8Array(sealed))
  }

  /** Decrypt the next incoming frame (call in arrival order); null when it is not that frame. */
  async open(frame: string): Promise<string | null> {
    const iv = counterNonce(this.#received++)
    const bytes = fromBase64url(frame)
    if (this.#broken || !bytes) return this.#break()
    try {
      const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, await this.#open, bytes)
      if (this.#broken) return null
      return decoder.decode(plain)
    } catch {
      return this.#break()
    }
  }

  #break(): null {
    this.#broken = true
    return null
  }
}

async function directionKey(
  derive: Derive,
  transcriptHash: Bytes,
  from: string,
  to: string,
  usage: 'encrypt' | 'decrypt',
): Promise<CryptoKey> {
  const raw = await derive(transcriptHash, canonical([PIPE_KEY_LABEL, from, to]))
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, [usage])
}

/** The 96-bit GCM nonce of frame `n`: 4 zero bytes, then `n` as a 64-bit big-endian integer. */
function counterNonce(n: number): Bytes {
  const iv = new Uint8Array(12)
  new DataView(iv.buffer).setBigUint64(4, BigInt(n))
  return iv
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

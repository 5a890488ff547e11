import { base64url } from '../random.ts'

/**
 * Member identities that sign. Each tab holds an Ed25519 key pair (WebCrypto; the private key is not
 * extractable) and its peer id is the hash of the public key, so an id cannot be claimed without the
 * key: the link handshake (handshake.ts) proves possession, and chat lines carry their author's
 * signature (room/chat-signing.ts).
 *
 * Ed25519 rather than ECDSA P-256: one fixed encoding (32-byte keys, 64-byte signatures, no DER or
 * malleable signatures), deterministic signing (no per-signature nonce to get wrong), and small
 * enough to travel with every chat line in a snapshot.
 */
export const SIGNING_ALGORITHM = 'Ed25519'
/** Bytes as WebCrypto takes them (backed by an ArrayBuffer). */
export type Bytes = Uint8Array<ArrayBuffer>
export const PUBLIC_KEY_BYTES = 32
export const SIGNATURE_BYTES = 64

/** What signs for this tab: its public key and a signature over bytes with the private key. */
export interface Signer {
  readonly peerId: string
  readonly publicKey: Bytes
  sign(bytes: Bytes): Promise<Bytes>
}

export async function generateSigningKeys(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(SIGNING_ALGORITHM, false, ['sign', 'verify'])) as CryptoKeyPair
}

/** The signer of a key pair (the public key is always exportable). */
export async function signerFor(keys: CryptoKeyPair): Promise<Signer> {
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey))
  const peerId = await peerIdFor(publicKey)
  return {
    peerId,
    publicKey,
    sign: async (bytes) =>
      new Uint8Array(await crypto.subtle.sign(SIGNING_ALGORITHM, keys.privateKey, bytes)),
  }
}

/** The peer id of a public key: base64url SHA-256 (43 characters, within the signal server's id rule). */
export async function peerIdFor(publicKey: Bytes): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', publicKey)))
}

/** Whether `signature` is `publicKey`'s over `bytes`; false (never a throw) for malformed input. */
export async function verify(publicKey: Bytes, bytes: Bytes, signature: Bytes): Promise<boolean> {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false
  try {
    const key = await crypto.subtle.importKey('raw', publicKey, SIGNING_ALGORITHM, false, ['verify'])
    return await crypto.subtle.verify(SIGNING_ALGORITHM, key, signature, bytes)
  } catch {
    return false
  }
}

/**
 * The canonical encoding of what is signed or hashed: each part as a 4-byte big-endian length and its
 * bytes (strings as UTF-8, numbers as their shortest decimal string). Unambiguous, so no two different
 * lists of parts encode to the same bytes.
 */
export function canonical(parts: readonly (string | number | Bytes)[]): Bytes {
  const encoded = parts.map((part) =>
    part instanceof Uint8Array ? part : encoder.encode(typeof part === 'number' ? String(part) : part),
  )
  const out = new Uint8Array(encoded.reduce((sum, part) => sum + 4 + part.length, 0))
  const view = new DataView(out.buffer)
  let offset = 0
  for (const part of encoded) {
    view.setUint32(offset, part.length)
    out.set(part, offset + 4)
    offset += 4 + part.length
  }
  return out
}

/** base64url (no padding) back to bytes; null when it is not base64url. */
export function fromBase64url(text: string): Bytes | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4))
  return Uint8Array.from(binary, (char) => char.charCodeAt(0))
}

const encoder = new TextEncoder()

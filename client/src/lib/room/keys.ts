import { base64url } from '../random.ts'
import { fromBase64url, type Bytes } from '../mesh/signing.ts'

/**
 * What a room's 128-bit secret (the link's fragment) yields, by HKDF-SHA-256 with one label per use:
 * - the document id, the one thing the signal server learns (it names the room on the server);
 * - the room key, from which every link derives its handshake proofs and pipe keys (mesh/handshake.ts,
 *   mesh/secure-pipe.ts). It never leaves the browser and is not extractable.
 * The two are independent outputs: the document id tells nothing about the room key.
 */
export interface RoomKeys {
  documentId: string
  /** An HKDF base key (not extractable). */
  roomKey: CryptoKey
}

export const DOCUMENT_ID_INFO = 'theatron/v2/document-id'
export const ROOM_KEY_INFO = 'theatron/v2/room-key'

/** Needs `crypto.subtle`, i.e. a secure context. Throws on a secret that is not 16 bytes of base64url. */
export async function deriveRoomKeys(secret: string): Promise<RoomKeys> {
  if (!globalThis.crypto?.subtle) throw new Error('crypto.subtle is unavailable: not a secure context')
  const bytes = fromBase64url(secret)
  if (!bytes || bytes.length !== 16) throw new Error('a room secret is 16 bytes of base64url')
  const master = await crypto.subtle.importKey('raw', bytes, 'HKDF', false, ['deriveBits'])
  const documentId = base64url(await expand(master, DOCUMENT_ID_INFO))
  const roomKey = await crypto.subtle.importKey('raw', await expand(master, ROOM_KEY_INFO), 'HKDF', false, [
    'deriveBits',
  ])
  return { documentId, roomKey }
}

/** 32 bytes of HKDF-SHA-256 output for `info` (empty salt: the secret is uniformly random already). */
export async function expand(key: CryptoKey, info: string, salt = new Uint8Array()): Promise<Bytes> {
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt, info: new TextEncoder().encode(info) },
    key,
    256,
  )
  return new Uint8Array(bits)
}

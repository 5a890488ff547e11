import { base64url, hex, randomBytes } from '../random.ts'

/**
 * A room is named by a 128-bit secret kept in the URL fragment, which browsers never send to a
 * server. The signal server only sees a hash of it (the document id), so it cannot learn the secret
 * nor join the room itself.
 */
const ROOM_SECRET_BYTES = 16
const ROUTE_PATTERN = /^#\/r\/([A-Za-z0-9_-]{22})$/
/** Domain separation: the same bytes used elsewhere never hash to a room's document id. */
const DOCUMENT_ID_DOMAIN = 'theatron/room-document-id/v1:'

export function createRoomSecret(): string {
  return base64url(randomBytes(ROOM_SECRET_BYTES))
}

/** The fragment route of a room: `#/r/<secret>`. */
export function roomHash(secret: string): string {
  return `#/r/${secret}`
}

export function roomLink(origin: string, secret: string): string {
  return `${origin}/${roomHash(secret)}`
}

/** The room secret in a location hash, or null when the hash is not a room route. */
export function parseRoomHash(hash: string): string | null {
  return ROUTE_PATTERN.exec(hash)?.[1] ?? null
}

/** Hex SHA-256 of the domain-separated secret. Needs `crypto.subtle`, i.e. a secure context. */
export async function documentIdFor(secret: string): Promise<string> {
  if (!globalThis.crypto?.subtle) throw new Error('crypto.subtle is unavailable: not a secure context')
  const data = new TextEncoder().encode(DOCUMENT_ID_DOMAIN + secret)
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', data)))
}

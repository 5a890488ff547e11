import { base64url, randomBytes } from '../random.ts'
import { deriveRoomKeys } from './keys.ts'

/**
 * A room is named by a 128-bit secret kept in the URL fragment, which browsers never send to a
 * server. Everything else comes from it (keys.ts): the document id, all the signal server learns, and
 * the room key every link proves before it carries room messages.
 *
 * Links are `#/r2/<secret>`. A `#/r/<secret>` link (the first version, whose document id was a plain
 * hash of the secret) still opens: the same secret, with this version's keys. Rooms live only while
 * someone is in them, so nothing is lost by the change.
 */
const ROOM_SECRET_BYTES = 16
const ROUTE_PATTERN = /^#\/r2?\/([A-Za-z0-9_-]{22})$/

export function createRoomSecret(): string {
  return base64url(randomBytes(ROOM_SECRET_BYTES))
}

/** The fragment route of a room: `#/r2/<secret>`. */
export function roomHash(secret: string): string {
  return `#/r2/${secret}`
}

export function roomLink(origin: string, secret: string): string {
  return `${origin}/${roomHash(secret)}`
}

/** The room secret in a location hash (either link version), or null when the hash is not a room route. */
export function parseRoomHash(hash: string): string | null {
  return ROUTE_PATTERN.exec(hash)?.[1] ?? null
}

/** The document id of a room: the only name of it the signal server sees. */
export async function documentIdFor(secret: string): Promise<string> {
  return (await deriveRoomKeys(secret)).documentId
}

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
 *
 * `#/r2/<secret>/remote` opens the same room as a remote control: the room's controls, chat and members,
 * with no video and nothing downloaded (a phone on the sofa while the film plays on the TV's browser).
 */
const ROOM_SECRET_BYTES = 16
const ROUTE_PATTERN = /^#\/r2?\/([A-Za-z0-9_-]{22})(\/remote)?$/

/** A room route: the room's secret, and whether this tab joins it as a remote control. */
export interface RoomRoute {
  secret: string
  remote: boolean
}

export function createRoomSecret(): string {
  return base64url(randomBytes(ROOM_SECRET_BYTES))
}

/** The fragment route of a room: `#/r2/<secret>`, or `#/r2/<secret>/remote` to join it as a remote. */
export function roomHash(secret: string, remote = false): string {
  return `#/r2/${secret}${remote ? '/remote' : ''}`
}

export function roomLink(origin: string, secret: string, remote = false): string {
  return `${origin}/${roomHash(secret, remote)}`
}

/** The room secret in a location hash (either link version), or null when the hash is not a room route. */
export function parseRoomHash(hash: string): string | null {
  return parseRoomRoute(hash)?.secret ?? null
}

/** The room route in a location hash, or null when the hash is not one. */
export function parseRoomRoute(hash: string): RoomRoute | null {
  const match = ROUTE_PATTERN.exec(hash)
  const secret = match?.[1]
  return secret ? { secret, remote: match?.[2] !== undefined } : null
}

/** The document id of a room: the only name of it the signal server sees. */
export async function documentIdFor(secret: string): Promise<string> {
  return (await deriveRoomKeys(secret)).documentId
}

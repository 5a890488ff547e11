import { randomId } from '../random.ts'

/**
 * Who this tab is. The peer id and takeover token live in sessionStorage: they survive a reload
 * (the signal server lets the same id+token take over its old registration at once, and the room
 * keeps the member) but a new tab is a new member. The display name lives in localStorage so it is
 * remembered for the next room.
 */
export interface Identity {
  peerId: string
  token: string
}

/** What this tab remembers about one room it is in (sessionStorage, keyed by document id). */
export interface RoomMembership {
  creator: boolean
  /** Wall-clock ms when this tab first joined; orders members for host hand-over. */
  joinedAt: number
}

const PEER_KEY = 'theatron:peer'
const NAME_KEY = 'theatron:name'
const roomKey = (documentId: string) => `theatron:room:${documentId}`
export const MAX_NAME_LENGTH = 32

export function loadIdentity(session: Storage): Identity {
  const stored = parse(session.getItem(PEER_KEY))
  if (stored && typeof stored.peerId === 'string' && typeof stored.token === 'string') {
    return { peerId: stored.peerId, token: stored.token }
  }
  const identity = { peerId: randomId(), token: randomId() }
  session.setItem(PEER_KEY, JSON.stringify(identity))
  return identity
}

export function loadName(local: Storage): string {
  return cleanName(local.getItem(NAME_KEY) ?? '')
}

export function saveName(local: Storage, name: string): void {
  local.setItem(NAME_KEY, cleanName(name))
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g

/** Trim, drop control characters, cap the length. An empty result means "no name". */
export function cleanName(name: string): string {
  return name.replace(CONTROL_CHARACTERS, '').trim().slice(0, MAX_NAME_LENGTH)
}

export function loadMembership(session: Storage, documentId: string): RoomMembership | null {
  const stored = parse(session.getItem(roomKey(documentId)))
  if (stored && typeof stored.creator === 'boolean' && typeof stored.joinedAt === 'number') {
    return { creator: stored.creator, joinedAt: stored.joinedAt }
  }
  return null
}

export function saveMembership(session: Storage, documentId: string, membership: RoomMembership): void {
  session.setItem(roomKey(documentId), JSON.stringify(membership))
}

function parse(raw: string | null): Record<string, unknown> | null {
  if (!raw) return null
  try {
    const value: unknown = JSON.parse(raw)
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

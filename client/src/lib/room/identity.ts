import { randomId } from '../random.ts'
import { generateSigningKeys, signerFor, type Signer } from '../mesh/signing.ts'

/**
 * Who this tab is: a signing key pair (mesh/signing.ts) whose public key's hash is the peer id, and a
 * takeover token. The peer id and token live in sessionStorage and the key pair (its private key not
 * extractable) in a `KeyStore` (IndexedDB in the app) under the peer id: they survive a reload (the
 * signal server lets the same id+token take over its old registration at once, and the room keeps the
 * member) but a new tab is a new member. The display name lives in localStorage so it is remembered
 * for the next room.
 */
export interface Identity {
  peerId: string
  token: string
  signer: Signer
}

/** Where key pairs are kept across reloads, by peer id (room/key-store.ts in the app). */
export interface KeyStore {
  load(peerId: string): Promise<CryptoKeyPair | null>
  save(peerId: string, keys: CryptoKeyPair): Promise<void>
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

/** The stored identity when its key pair is still there and matches its peer id, else a new one. */
export async function loadIdentity(session: Storage, keys: KeyStore): Promise<Identity> {
  const stored = storedIdentity(session)
  const pair = stored ? await keys.load(stored.peerId).catch(() => null) : null
  if (stored && pair) {
    const signer = await signerFor(pair)
    if (signer.peerId === stored.peerId) return { ...stored, signer }
  }
  return newIdentity(session, keys)
}

function storedIdentity(session: Storage): { peerId: string; token: string } | null {
  const stored = parse(session.getItem(PEER_KEY))
  if (stored && typeof stored.peerId === 'string' && typeof stored.token === 'string') {
    return { peerId: stored.peerId, token: stored.token }
  }
  return null
}

async function newIdentity(session: Storage, keys: KeyStore): Promise<Identity> {
  const pair = await generateSigningKeys()
  const signer = await signerFor(pair)
  const identity = { peerId: signer.peerId, token: randomId() }
  await keys.save(identity.peerId, pair)
  session.setItem(PEER_KEY, JSON.stringify(identity))
  return { ...identity, signer }
}

/** What `claimIdentity` needs of the Web Locks API (`navigator.locks`). */
export interface IdentityLocks {
  request(
    name: string,
    options: { signal?: AbortSignal },
    callback: (lock: unknown) => Promise<void>,
  ): Promise<void>
}

/** A reloaded tab's old page may still hold its lock this long while it unloads. */
export const IDENTITY_RELEASE_WAIT_MS = 500

/**
 * This tab's identity, held for the page's life with a Web Lock named after its peer id. The browser's
 * "Duplicate tab" copies sessionStorage, so a duplicate would be the same member as the original: the signal
 * server hands a registration to whoever presents its token, and the two tabs would take it from each other.
 * A tab that finds its peer id's lock held by a live tab (after giving a reloaded page's old document time to
 * let go) takes a new identity and is a new member (`duplicated`). Without Web Locks: as stored.
 */
export async function claimIdentity(
  session: Storage,
  locks: IdentityLocks | undefined,
  keys: KeyStore,
): Promise<{ identity: Identity; duplicated: boolean }> {
  const stored = await loadIdentity(session, keys)
  if (!locks) return { identity: stored, duplicated: false }
  if (await holdLock(locks, stored.peerId)) return { identity: stored, duplicated: false }
  const identity = await newIdentity(session, keys)
  await holdLock(locks, identity.peerId)
  return { identity, duplicated: true }
}

/** Takes the lock for `peerId` and keeps it until the page goes; false if a live tab holds it. */
function holdLock(locks: IdentityLocks, peerId: string): Promise<boolean> {
  const name = `theatron:peer:${peerId}`
  const forever = () => new Promise<void>(() => {})
  return new Promise<boolean>((resolve) => {
    locks
      .request(name, { signal: AbortSignal.timeout(IDENTITY_RELEASE_WAIT_MS) }, () => {
        resolve(true)
        return forever()
      })
      .catch(() => resolve(false)) // timed out: another tab has it
  })
}

export function loadName(local: Storage): string {
  return cleanName(local.getItem(NAME_KEY) ?? '')
}

export function saveName(local: Storage, name: string): void {
  local.setItem(NAME_KEY, cleanName(name))
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g
/** Format characters (zero-width spaces and joiners, bidi overrides, soft hyphens): invisible in a name. */
const FORMAT_CHARACTERS = /\p{Cf}/gu

/**
 * A name as the room shows and compares it: NFKC-normalised (full-width and other compatibility forms
 * become their plain letters), without control or format characters, trimmed, length capped. So two names
 * that look the same are the same name, and uniqueness (members.ts) sees it. Empty means "no name".
 */
export function cleanName(name: string): string {
  return name
    .normalize('NFKC')
    .replace(CONTROL_CHARACTERS, '')
    .replace(FORMAT_CHARACTERS, '')
    .trim()
    .slice(0, MAX_NAME_LENGTH)
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

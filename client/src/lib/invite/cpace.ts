/**
 * CPace (draft-irtf-cfrg-cpace) over ristretto255: a balanced PAKE. Both sides hash the shared password
 * and the channel's identity onto the group to get a generator, each sends that generator times a fresh
 * secret scalar, and each multiplies what it receives by its own scalar. Only someone who used the same
 * password reaches the same point, and a transcript gives an eavesdropper or a wrong guesser nothing to
 * test other passwords against offline: each run is worth one guess.
 *
 * The group, hash-to-group and hashes come from `@noble/curves` and `@noble/hashes` (audited, used by the
 * field); this file only composes them. Pure and synchronous.
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js'
import { bytesToNumberLE } from '@noble/curves/utils.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { concatBytes } from '@noble/hashes/utils.js'
import { sameBytes } from '../bytes.ts'

const Point = ristretto255.Point
const DSI = 'Theatron-CPace-ristretto255-v1'
const encoder = new TextEncoder()

export const SHARE_BYTES = 32
export const TAG_BYTES = 32

/** Length-value concatenation: no two different inputs give the same bytes. */
function lv(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(
    ...parts.flatMap((part) => [new Uint8Array([part.length & 0xff, part.length >>> 8]), part]),
  )
}

function generator(password: Uint8Array, channel: Uint8Array) {
  return ristretto255_hasher.hashToCurve(lv(password, channel), { DST: DSI })
}

export interface CpaceStart {
  readonly scalar: bigint
  /** What this side sends: the generator times its scalar, 32 bytes. */
  readonly share: Uint8Array
}

/** Picks this run's scalar from 64 random bytes (uniform modulo the group order) and computes its share. */
export function cpaceStart(password: Uint8Array, channel: Uint8Array, random64: Uint8Array): CpaceStart {
  if (random64.length !== 64) throw new RangeError('cpaceStart needs 64 random bytes')
  let scalar = Point.Fn.create(bytesToNumberLE(random64))
  if (scalar === 0n) scalar = 1n
  return { scalar, share: generator(password, channel).multiply(scalar).toBytes() }
}

/**
 * The intermediate session key from our start and the other side's share. `newcomerShare` and
 * `answererShare` fix the transcript's order, so both sides hash the same bytes. Null when the other
 * share is not a valid group element, or is the identity (which would fix the key for any password).
 */
export function cpaceKey(
  start: CpaceStart,
  otherShare: Uint8Array,
  channel: Uint8Array,
  transcript: { newcomerShare: Uint8Array; answererShare: Uint8Array },
): Uint8Array | null {
  if (otherShare.length !== SHARE_BYTES) return null
  let other
  try {
    other = Point.fromBytes(otherShare)
  } catch {
    return null
  }
  if (other.is0()) return null
  const shared = other.multiply(start.scalar)
  if (shared.is0()) return null
  return sha512(
    lv(
      encoder.encode(`${DSI}_ISK`),
      channel,
      shared.toBytes(),
      transcript.newcomerShare,
      transcript.answererShare,
    ),
  )
}

export type Role = 'newcomer' | 'answerer'

/** The key confirmation tag a role sends: proves it holds the same key without revealing it. */
export function confirmTag(key: Uint8Array, role: Role): Uint8Array {
  return hmac(sha256, key, encoder.encode(`confirm/${role}`))
}

/** Seals a short payload (the room secret) under the session key: a one-time pad from HKDF plus a MAC. */
export function sealPayload(key: Uint8Array, payload: Uint8Array): { box: Uint8Array; tag: Uint8Array } {
  const pad = hkdf(sha256, key, undefined, encoder.encode('payload/pad'), payload.length)
  const box = payload.map((byte, i) => byte ^ pad[i]!)
  return { box, tag: hmac(sha256, key, concatBytes(encoder.encode('payload/tag'), box)) }
}

/** The payload, or null when the tag does not match (a wrong key, or a changed box). */
export function openPayload(key: Uint8Array, box: Uint8Array, tag: Uint8Array): Uint8Array | null {
  const expected = hmac(sha256, key, concatBytes(encoder.encode('payload/tag'), box))
  if (!sameBytes(expected, tag)) return null
  const pad = hkdf(sha256, key, undefined, encoder.encode('payload/pad'), box.length)
  return box.map((byte, i) => byte ^ pad[i]!)
}

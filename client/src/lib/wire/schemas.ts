/** Primitives that several wires share, so each is one rule everywhere. */
import * as v from 'valibot'

/**
 * A peer id: the signal server's id rule (`ID_PATTERN` in signal-server/src/ids.ts), since every peer id on
 * a wire is one the server registered. 1–128 URL-unreserved characters, not `.` or `..`.
 */
export const PEER_ID_PATTERN = /^(?!\.\.?$)[A-Za-z0-9._~-]{1,128}$/
export const PeerId = v.pipe(v.string(), v.regex(PEER_ID_PATTERN))

/** A BitTorrent v1 info hash as every wire carries it: 40 lower-case hex digits. */
export const INFO_HASH_PATTERN = /^[0-9a-f]{40}$/
export const InfoHash = v.pipe(v.string(), v.regex(INFO_HASH_PATTERN))

/** A time in milliseconds on some member's clock: any finite number. */
export const TimeMs = v.pipe(v.number(), v.finite())

/** An integer from `min` to `max` (no upper bound when `max` is omitted). */
export function integer(min: number, max = Infinity) {
  return v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max))
}

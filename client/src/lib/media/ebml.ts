/**
 * EBML, the binary format under WebM and Matroska: variable-length integers, element headers, unsigned
 * integers. Both readers of it (webm.ts for the MSE head and cues, matroska-subtitles.ts for subtitle
 * tracks) read bytes from peers, so what EBML forbids is an `EbmlError`, never a wrong value.
 */
export class EbmlError extends Error {
  override name = 'EbmlError'
}

export interface EbmlHeader {
  id: number
  /** Where the body starts, from the start of the bytes given. */
  start: number
  /** The body's size; null when unknown (a live stream's Segment or Cluster). */
  size: number | null
}

/** A variable-length integer at `at`: its value (marker removed unless `keepMarker`) and length; null when cut. */
export function vint(
  bytes: Uint8Array,
  at: number,
  keepMarker: boolean,
): { value: number; length: number } | null {
  if (at >= bytes.length) return null
  const first = bytes[at] as number
  let length = 1
  while (length <= 8 && !(first & (0x80 >> (length - 1)))) length++
  if (length > 8) throw new EbmlError('a variable-length integer has no marker')
  if (at + length > bytes.length) return null
  let value = keepMarker ? first : first & (0xff >> length)
  let allOnes = value === 0xff >> length
  for (let i = 1; i < length; i++) {
    const byte = bytes[at + i] as number
    value = value * 256 + byte
    if (byte !== 0xff) allOnes = false
  }
  return { value: !keepMarker && allOnes ? -1 : value, length }
}

/** The element header at `at`; null when the bytes stop inside it. */
export function header(bytes: Uint8Array, at: number): EbmlHeader | null {
  const id = vint(bytes, at, true)
  if (!id) return null
  if (id.length > 4) throw new EbmlError('an element ID is longer than 4 bytes')
  const size = vint(bytes, at + id.length, false)
  if (!size) return null
  return { id: id.value, start: at + id.length + size.length, size: size.value < 0 ? null : size.value }
}

/** A big-endian unsigned integer of `size` bytes. */
export function uint(bytes: Uint8Array, start: number, size: number): number {
  let value = 0
  for (let i = 0; i < size; i++) value = value * 256 + (bytes[start + i] as number)
  return value
}

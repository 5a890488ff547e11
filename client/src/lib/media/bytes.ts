/** Byte helpers shared by the media readers and the torrent's coalescing reads. */

/**
 * The parts one after another in one array (`total`: their summed length, when the caller has it); a single
 * part as it is, uncopied.
 */
export function concat(
  parts: readonly Uint8Array[],
  total = parts.reduce((sum, part) => sum + part.byteLength, 0),
): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array
  const out = new Uint8Array(total)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}

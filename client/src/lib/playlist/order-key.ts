/**
 * Fractional order keys: strings over 0-9a-z compared with `<`, so a key can always be made between any two
 * others and a move changes one item only. Keys never end in "0", which keeps room below every key.
 *
 * Two peers inserting at the same spot at the same time would compute the same midpoint; `keyBetween`
 * appends a short suffix derived from the op's stamp, so their keys differ and the order is decided by the
 * keys alone (the playlist still breaks exact ties by item id).
 */

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz'
export const ORDER_KEY = /^[0-9a-z]*[1-9a-z]$/

/** A key k with a < k < b (null: unbounded). `salt` makes keys from different ops differ. */
export function keyBetween(a: string | null, b: string | null, salt = ''): string {
  if (a !== null && b !== null && a >= b) throw new RangeError(`keyBetween: "${a}" is not before "${b}"`)
  const mid = midpoint(a ?? '', b)
  // `mid` is never a prefix of `b`, so anything appended keeps it below `b`, and it stays above `a`.
  return salt === '' ? mid : mid + suffix(salt)
}

function midpoint(a: string, b: string | null): string {
  if (b !== null) {
    let n = 0
    while ((a[n] ?? '0') === b[n]) n++
    if (n > 0) return b.slice(0, n) + midpoint(a.slice(n), b.slice(n))
  }
  const digitA = a === '' ? 0 : DIGITS.indexOf(a[0] ?? '0')
  const digitB = b === null ? DIGITS.length : DIGITS.indexOf(b[0] ?? '0')
  if (digitB - digitA > 1) return DIGITS[Math.round((digitA + digitB) / 2)] ?? 'i'
  // Adjacent first digits: keep a's digit and go one level deeper, above the rest of a.
  return (DIGITS[digitA] ?? '0') + midpoint(a.slice(1), null)
}

/** FNV-1a of the salt in base 36, never ending in "0". */
function suffix(salt: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < salt.length; i++) h = Math.imul(h ^ salt.charCodeAt(i), 0x01000193)
  const s = (h >>> 0).toString(36)
  return s.endsWith('0') ? `${s}1` : s
}

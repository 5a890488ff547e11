/**
 * Peer and document ids: 1–128 characters of RFC 3986 "unreserved" characters. No '/' or ':' can
 * appear, so keys built by joining ids with '/' cannot collide, and every id is safe in a URL path
 * (`.` and `..` alone are not ids: URL parsers resolve them as path segments).
 */
export const ID_PATTERN = /^(?!\.\.?$)[A-Za-z0-9._~-]{1,128}$/
/** Takeover tokens: long enough to be unguessable when random, same safe alphabet. */
export const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{16,256}$/

export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value)
}

export function isValidToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_PATTERN.test(value)
}

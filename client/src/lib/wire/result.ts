/**
 * The one shape every wire parser returns: a typed value, or an error with a stable code. Parsers never
 * throw on what a peer sends; the receiver logs `code` and `message` and drops the message.
 *
 * Error codes (stable: tests and log readers may rely on them; messages are for people and may change):
 *
 * | code               | meaning                                                                 |
 * |--------------------|-------------------------------------------------------------------------|
 * | `ERR_TOO_LARGE`    | the text is longer than the wire's bound, so it is not even decoded      |
 * | `ERR_NOT_JSON`     | the text is not JSON                                                    |
 * | `ERR_VERSION`      | the message carries a protocol version this side does not speak         |
 * | `ERR_NOT_OBJECT`   | the value is not an object (or one that cannot be read)                 |
 * | `ERR_UNKNOWN_TYPE` | the message's type is not one this wire knows                           |
 * | `ERR_INVALID`      | a field is missing, of the wrong type or out of bounds; the message names it |
 */
export type WireErrorCode =
  'ERR_TOO_LARGE' | 'ERR_NOT_JSON' | 'ERR_VERSION' | 'ERR_NOT_OBJECT' | 'ERR_UNKNOWN_TYPE' | 'ERR_INVALID'

export interface WireError {
  code: WireErrorCode
  /** For people reading a warning: which field and why, when known. Not stable. */
  message: string
}

export type WireResult<T> = { ok: true; value: T } | { ok: false; error: WireError }

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value }
}

export function fail(code: WireErrorCode, message: string): { ok: false; error: WireError } {
  return { ok: false, error: { code, message } }
}

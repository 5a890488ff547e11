/**
 * Stable error codes and WebSocket close codes. Every refusal the server makes carries one of these,
 * so clients and tests can tell reasons apart without parsing prose.
 */
export const CloseCode = {
  /** Standard "going away": the server is shutting down. */
  GoingAway: 1001,
  /** Standard "internal error": a check the server could not complete. */
  InternalError: 1011,
  /** Repeated malformed or unknown messages. */
  BadMessages: 4400,
  /**
   * A pipe request not backed by a live registration: the local peer id is not registered (or the
   * request does not carry the registration's token), or either peer has not joined the document.
   */
  Forbidden: 4403,
  /** Held frames waited too long for the other side of a pipe; an introduction socket joined nothing in time. */
  HeldTooLong: 4408,
  /** The peer id is registered by a live socket (introduction) or the pipe request was replaced. */
  Conflict: 4409,
  /** This registration was taken over by a newer socket (same token, or the old one stopped answering). */
  Superseded: 4410,
  /** Too many or too large held frames for a pipe whose other side has not arrived. */
  HeldTooMuch: 4413,
  /** Message rate limit exceeded repeatedly. */
  RateLimited: 4429,
} as const
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

/** Codes of errors reported to clients (JSON dialect) and counted in metrics. */
export type ErrorCode =
  | 'invalid-json'
  | 'invalid-msgpack'
  | 'invalid-message'
  | 'unknown-type'
  | 'invalid-document-id'
  | 'too-many-documents'
  | 'rate-limited'

/** Reasons an HTTP upgrade is refused, also the `reason` label of the rejections metric. */
export type RejectReason =
  | 'not-found'
  | 'bad-id'
  | 'bad-token'
  | 'same-peer'
  | 'origin'
  | 'ip-limit'
  | 'capacity'
  | 'pipe-forbidden'
  | 'join-timeout'
  | 'shutting-down'
  | 'duplicate-peer'
  | 'pipe-replaced'
  | 'held-too-much'
  | 'held-too-long'
  | 'bad-messages'
  | 'rate-limited'

export class ProtocolError {
  readonly code: ErrorCode
  readonly message: string
  constructor(code: ErrorCode, message: string) {
    this.code = code
    this.message = message
  }
}

/**
 * The back-off for what a tab retries against other members: a failed torrent or call link, and the mesh's
 * new Join after a link that never came up. The first retry waits RETRY_MIN_MS, each further one twice as
 * long, up to RETRY_MAX_MS.
 */
export const RETRY_MIN_MS = 2_000
export const RETRY_MAX_MS = 30_000

/** The wait before retry number `attempt` (1 for the first). */
export function retryDelayMs(attempt: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (attempt - 1))
}

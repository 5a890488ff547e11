/** The part of the browser's WebSocket the transports use, so tests can hand in a fake. */
export interface SocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onerror: ((event: unknown) => void) | null
}

/** Opens a WebSocket to `url`, offering `protocols` (the signal server reads the token there). */
export type SocketFactory = (url: string, protocols?: string[]) => SocketLike

export const SOCKET_OPEN = 1

export const browserSocket: SocketFactory = (url, protocols) =>
  new WebSocket(url, protocols) as unknown as SocketLike

/** Detach every handler and close: a socket we let go of never calls back into us. */
export function releaseSocket(socket: SocketLike, code = 1000, reason = ''): void {
  socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null
  try {
    socket.close(code, reason)
  } catch {
    // already closed or closing
  }
}

/**
 * The slice of simple-peer the mesh uses. The real one is made by `simplePeerFactory`
 * (simple-peer.ts); tests hand in fakes. Only the mesh and the torrent links (torrent/links.ts, which
 * hand theirs to WebTorrent) hold a peer; stores and components see messages and transports.
 */
export interface PeerLike {
  signal(data: unknown): void
  send(data: string): void
  destroy(): void
  on(event: 'signal', listener: (data: unknown) => void): void
  on(event: 'connect' | 'close', listener: () => void): void
  on(event: 'data', listener: (data: Uint8Array | string) => void): void
  on(event: 'error', listener: (error: Error) => void): void
}

/** Makes a peer; throws when this browser cannot do WebRTC (the mesh then relays over the pipe). */
export type PeerFactory = (options: { initiator: boolean }) => PeerLike

/** Deterministic initiator: exactly one side offers, so there is never glare. */
export function isInitiator(localId: string, remoteId: string): boolean {
  return localId < remoteId
}

import type { BrowserContext } from '@playwright/test'

/**
 * Keeps every RTCPeerConnection the context's pages make in `window.__peerConnections`, so a test can read
 * their state and statistics. Added before the pages load.
 */
export async function keepPeerConnections(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const Native = window.RTCPeerConnection
    const made: RTCPeerConnection[] = []
    ;(window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections = made
    window.RTCPeerConnection = class extends Native {
      constructor(configuration?: RTCConfiguration) {
        super(configuration)
        made.push(this)
      }
    }
  })
}

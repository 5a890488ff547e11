/**
 * A room with its real transports: reads who this tab is and what it remembers from the browser's storage,
 * then composes the room (app/room-app.ts) with WebSockets, simple-peer, WebTorrent and the settings.
 */
import { iceRelayOnly, iceServers, signalUrl } from '../config.ts'
import { simplePeerFactory } from '../mesh/simple-peer.ts'
import { RtcCallConnection } from '../call/connection.ts'
import { claimIdentity, loadMembership, loadName, saveMembership, saveName } from '../room/identity.ts'
import { indexedDbKeyStore } from '../room/key-store.ts'
import { deriveRoomKeys } from '../room/keys.ts'
import { createRoomSecret, roomHash } from '../room/link.ts'
import { browserSocket } from '../signaling/socket.ts'
import { fetchTurnServers, iceConfiguration, turnUrl } from '../signaling/turn.ts'
import { testHooks } from '../testing/hooks.ts'
import { DEFAULT_TRACKERS, TorrentClient } from '../torrent/client.ts'
import { shareEarly, streamVia, trackerList } from '../torrent/config.ts'
import { RoomApp } from './room-app.ts'

/** Set by "Create room" so the tab that created a room enters it as its host. */
const CREATED_KEY = 'theatron:created'

/** "Create room": a new secret, remembered as created by this tab, and the room route. */
export function createRoom(): void {
  const secret = createRoomSecret()
  sessionStorage.setItem(CREATED_KEY, secret)
  location.hash = roomHash(secret)
}

/**
 * The room of `secret`, connected (`remote`: as a remote control). `onMoved` hears of a new link when the host
 * rotates it; the address bar shows the new link already (without a reload or a history entry).
 */
export async function connectRoom(
  secret: string,
  onMoved?: (secret: string) => void,
  remote = false,
): Promise<RoomApp> {
  performance.mark('theatron:join:connect')
  const signal = signalUrl(localStorage, location)
  // Asked at once, while the room's keys are derived and the identity claimed: the first peer connection
  // needs them. The three wait on nothing of each other.
  const turn = fetchTurnServers(turnUrl(signal))
  const claimed = claimIdentity(sessionStorage, navigator.locks, indexedDbKeyStore())
  claimed.catch(() => {}) // awaited below; not unhandled meanwhile
  const { documentId, roomKey } = await deriveRoomKeys(secret)
  const { identity, duplicated } = await claimed
  // A duplicated tab is a new member: what the original remembered of the room is not its own.
  let membership = duplicated ? null : loadMembership(sessionStorage, documentId)
  const fresh = membership === null
  if (!membership) {
    const creator = sessionStorage.getItem(CREATED_KEY) === secret
    membership = { creator, joinedAt: Date.now() }
    saveMembership(sessionStorage, documentId, membership)
  }
  sessionStorage.removeItem(CREATED_KEY)
  // Where this tab keeps its membership: the current document's key, which a rotation changes.
  let current = { documentId, membership }

  const ice = iceConfiguration(iceServers(localStorage), await turn, iceRelayOnly(localStorage))
  const trackers = trackerList(localStorage)
  const via = streamVia(localStorage)
  const torrentClient = new TorrentClient({
    rtcConfig: ice,
    streamVia: via,
    ...(trackers ? { trackers } : {}),
  })
  return new RoomApp({
    room: {
      selfId: identity.peerId,
      documentId,
      membership,
      fresh,
      name: loadName(localStorage),
      rememberName: (name) => saveName(localStorage, name),
      saveMembership: (next) => {
        current = { ...current, membership: next }
        saveMembership(sessionStorage, current.documentId, next)
      },
    },
    signer: identity.signer,
    roomKey,
    token: identity.token,
    signalUrl: signal,
    socket: browserSocket,
    remote,
    createPeer: simplePeerFactory(ice),
    createCallConnection: (initiator, events) => new RtcCallConnection(ice, initiator, events),
    devices: navigator.mediaDevices ?? null,
    trackers: trackers ?? DEFAULT_TRACKERS,
    torrentClient,
    streamVia: via,
    shareEarly: shareEarly(localStorage),
    onMoved: (next, nextDocument) => {
      current = { ...current, documentId: nextDocument }
      saveMembership(sessionStorage, nextDocument, current.membership)
      history.replaceState(history.state, '', roomHash(next, remote))
      onMoved?.(next)
    },
    // The e2e build's test hooks; the condition is false in every other build, which then leaves them out.
    ...(import.meta.env.MODE === 'e2e' ? { hooks: testHooks(torrentClient) } : {}),
  })
}

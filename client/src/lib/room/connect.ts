import { iceServers, signalUrl } from '../config.ts'
import { SocketChannel } from '../mesh/channel.ts'
import { Mesh } from '../mesh/mesh.ts'
import { simplePeerFactory } from '../mesh/simple-peer.ts'
import { SignalingClient } from '../signaling/client.ts'
import { browserSocket } from '../signaling/socket.ts'
import { claimIdentity, loadMembership, loadName, saveMembership, saveName } from './identity.ts'
import { createRoomSecret, documentIdFor, roomHash } from './link.ts'
import { Room } from './room.svelte.ts'

/** Set by "Create room" so the tab that created a room enters it as its host. */
const CREATED_KEY = 'theatron:created'

/** "Create room": a new secret, remembered as created by this tab, and the room route. */
export function createRoom(): void {
  const secret = createRoomSecret()
  sessionStorage.setItem(CREATED_KEY, secret)
  location.hash = roomHash(secret)
}

/** A room with its real transports: the composition root, and the one place that builds them. */
export interface RoomConnection {
  room: Room
  destroy(): void
}

export async function connectRoom(secret: string): Promise<RoomConnection> {
  const documentId = await documentIdFor(secret)
  const { identity, duplicated } = await claimIdentity(sessionStorage, navigator.locks)
  // A duplicated tab is a new member: what the original remembered of the room is not its own.
  let membership = duplicated ? null : loadMembership(sessionStorage, documentId)
  const fresh = membership === null
  if (!membership) {
    const creator = sessionStorage.getItem(CREATED_KEY) === secret
    membership = { creator, joinedAt: Date.now() }
    saveMembership(sessionStorage, documentId, membership)
  }
  sessionStorage.removeItem(CREATED_KEY)

  const signaling = new SignalingClient({
    baseUrl: signalUrl(localStorage, location),
    peerId: identity.peerId,
    token: identity.token,
    socket: browserSocket,
  })
  const mesh = new Mesh({
    localId: identity.peerId,
    documentId,
    introductions: signaling,
    openPipe: (remoteId) => new SocketChannel(browserSocket(signaling.pipeUrl(remoteId, documentId))),
    createPeer: simplePeerFactory(iceServers(localStorage)),
  })
  const room = new Room({
    selfId: identity.peerId,
    documentId,
    membership,
    fresh,
    name: loadName(localStorage),
    transport: mesh,
    signaling,
    rememberName: (name) => saveName(localStorage, name),
    saveMembership: (next) => saveMembership(sessionStorage, documentId, next),
  })
  room.start()
  const onError = (code: string, message: string) => console.warn(`signal server: ${code} ${message}`)
  signaling.on('error', onError)
  return {
    room,
    destroy() {
      room.destroy()
      mesh.destroy()
      signaling.destroy()
    },
  }
}

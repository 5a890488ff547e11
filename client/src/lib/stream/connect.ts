import { getContext, setContext } from 'svelte'
import { iceServers } from '../config.ts'
import { simplePeerFactory } from '../mesh/simple-peer.ts'
import type { Room } from '../room/room.svelte.ts'
import { streamVia, trackerList } from '../torrent/config.ts'
import { StreamingStore } from './streaming.svelte.ts'
import { TorrentClient } from '../torrent/client.ts'
import type { TorrentPeer } from '../torrent/links.ts'

/**
 * Streaming for a room with its real transports: the composition root for this layer. One TorrentClient per
 * room tab; the torrent connections to members use the mesh's simple-peer factory and ICE configuration.
 * The caller destroys the store with the room.
 */
export function openStreaming(room: Room): StreamingStore {
  const ice = iceServers(localStorage)
  const trackers = trackerList(localStorage)
  const client = new TorrentClient({
    rtcConfig: { iceServers: ice },
    streamVia: streamVia(localStorage),
    ...(trackers ? { trackers } : {}),
  })
  const createPeer = simplePeerFactory(ice)
  return new StreamingStore({
    room,
    client,
    // The mesh's peer is a full simple-peer instance, which is what WebTorrent takes as a peer.
    createPeer: (initiator): TorrentPeer => createPeer({ initiator }),
  })
}

/** Each room page provides its streaming store to the components below it (the player, sync's controls). */
const STREAMING = Symbol('streaming')

export function setStreamingContext(streaming: StreamingStore): StreamingStore {
  return setContext(STREAMING, streaming)
}

export function getStreamingContext(): StreamingStore {
  const streaming = getContext<StreamingStore | undefined>(STREAMING)
  if (!streaming) throw new Error('getStreamingContext() outside a room page')
  return streaming
}

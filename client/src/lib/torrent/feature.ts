/**
 * The room's `torrent` feature for one tab: what this tab announces it has, the dedicated torrent connections
 * to other members (torrent/links.ts), and the torrent metadata members share (torrent/meta.ts).
 *
 * - Every torrent this tab has (seeding or downloading, and still in the playlist) is announced with `have`;
 *   members that share a torrent connect for it directly (`signal`, `assign`).
 * - The `.torrent` bytes this tab made, opened or was sent (verified) are kept in a `MetaCache`, so the client
 *   needs no ut_metadata; the member who adds an item broadcasts them (`meta`) just before it, and the adder
 *   of the selected item puts them in its snapshot for newcomers. A member who dropped the file also sends
 *   the first pieces of the file to play with them (torrent/head.ts), kept here until the torrent starts.
 *
 * - A file this tab dropped and shares before its torrent exists is served by its key over the owner's links
 *   (torrent/range-server.ts); a member reads it from the owner's link only (torrent/range-source.ts): a key's
 *   links connect its owner with each member, never two members, and a link from anyone else is closed.
 *
 * A plain class: StreamingStore decides what the tab has and when; this one keeps the wire and the links.
 */
import type { FeatureHandle, FeatureHost } from '../room/feature.ts'
import type { TorrentClient } from './client.ts'
import { TorrentLinks, type TorrentPeer } from './links.ts'
import { addHeadPart, HEAD_PART_BYTES, headParts, type Head } from './head.ts'
import { decodeBase64, decodeMeta, encodeBase64, encodeMeta, MetaCache, setNewest } from './meta.ts'
import { parseTorrentMessage, parseTorrentSnapshot, type TorrentSnapshot } from './wire.ts'
import type { Timers } from '../timers.ts'
import { RANGE_SEND_HIGH, RANGE_SEND_LOW, RangeServer, type RangePeer } from './range-server.ts'
import { setSendBuffer } from '../mesh/send-buffer.ts'
import { ReadPriority } from './read-priority.ts'
import { OwnerRanges } from './range-source.ts'

export const TORRENT_FEATURE = 'torrent'

export interface TorrentFeatureOptions {
  room: FeatureHost
  /** What the feature uses of the TorrentClient: links are handed to it, snapshots read its `.torrent`s. */
  client: Pick<TorrentClient, 'addPeer' | 'torrentFile'>
  /** A dedicated WebRTC connection for one torrent with one member (the mesh's simple-peer factory). */
  createPeer: (initiator: boolean) => TorrentPeer
  /** The playlist's selected item, for the snapshot. */
  selected: () => { infoHash: string; addedBy: string } | null
  timers?: Timers
}

/** A link's connection as the range protocol uses it (simple-peer's stream), when it is one. */
function asRangePeer(peer: TorrentPeer): RangePeer | null {
  const candidate = peer as unknown as Partial<RangePeer>
  return typeof candidate.write === 'function' && typeof candidate.on === 'function'
    ? (peer as unknown as RangePeer)
    : null
}

export class TorrentFeature {
  readonly #selfId: string
  readonly #client: Pick<TorrentClient, 'addPeer' | 'torrentFile'>
  readonly #selected: () => { infoHash: string; addedBy: string } | null
  readonly #links: TorrentLinks
  readonly #feature: FeatureHandle
  /** Torrents in the client that are in the playlist: what this tab announces it has. */
  readonly #have = new Set<string>()
  /** `.torrent` bytes this tab made, opened or was sent (verified), so the client needs no ut_metadata. */
  readonly #metas = new MetaCache()
  /** First pieces members sent (torrent/head.ts), until the torrent starts with them; at most MAX_METAS. */
  readonly #heads = new Map<string, Head>()
  #announced = ''
  /** Files this tab dropped and serves by their key, and the servers answering each member. */
  readonly #served = new Map<string, { files: readonly Blob[]; servers: Set<RangeServer> }>()
  /** Per key of a file another member is preparing: its owner and the link to it. */
  readonly #ranges = new Map<string, { owner: string; ranges: OwnerRanges }>()
  /** Members' reads of the files this tab serves go before its own hashing of them (torrent/read-priority.ts). */
  readonly fileReads: ReadPriority

  constructor({ room, client, createPeer, selected, timers }: TorrentFeatureOptions) {
    this.#selfId = room.selfId
    this.fileReads = new ReadPriority(timers)
    this.#client = client
    this.#selected = selected
    this.#links = new TorrentLinks({
      selfId: room.selfId,
      createPeer,
      send: (peerId, message) => this.#feature.send(message, peerId),
      attach: (key, peer, peerId) => this.#attach(key, peer, peerId),
      timers,
    })
    this.#feature = room.registerFeature(TORRENT_FEATURE, {
      snapshot: () => this.#snapshot(),
      applySnapshot: (from, raw) => {
        const parsed = parseTorrentSnapshot(raw)
        if (!parsed.ok)
          return console.warn(`torrent: ignored a snapshot from ${from}: ${parsed.error.message}`)
        const { have, meta } = parsed.value
        if (meta) this.#offerMeta(meta.infoHash, meta.torrent)
        this.#links.setRemote(from, have)
      },
      onMessage: (from, raw) => this.#onMessage(from, raw),
      onMemberLeft: (peerId) => this.#links.removeMember(peerId),
    })
  }

  /** Whether this tab has (and announces) the torrent. */
  has(infoHash: string): boolean {
    return this.#have.has(infoHash)
  }

  /** What this tab has, in the order it got them (a copy). */
  have(): string[] {
    return [...this.#have]
  }

  /** This tab got (or dropped) a torrent: announce it when that changes what we have, then update the links. */
  setHave(infoHash: string, has: boolean): void {
    if (has) this.#have.add(infoHash)
    else this.#have.delete(infoHash)
    const have = [...this.#have].sort()
    const announced = have.join(',')
    if (announced === this.#announced) return
    this.#announced = announced
    // The announcement goes first: a member must learn we have a torrent before our first signal for it.
    this.#feature.send({ t: 'have', have })
    this.#links.setLocal(have)
  }

  /** The room selected this torrent (null: nothing): links to every member for it are made now. */
  expect(infoHash: string | null): void {
    this.#links.setExpected(infoHash)
  }

  /**
   * Our own metadata for an item we are about to add, with the first pieces of its file when we dropped it:
   * everyone gets them before the item.
   */
  shareMeta(infoHash: string, bytes: Uint8Array, head: Head | null = null): void {
    this.#metas.set(infoHash, bytes)
    if (!this.#metas.has(infoHash)) return
    this.#feature.send({ t: 'meta', infoHash, torrent: encodeMeta(bytes) })
    for (const { first, at, bytes: part } of head ? headParts(head) : [])
      this.#feature.send({ t: 'head', infoHash, first, at, pieces: encodeBase64(part) })
  }

  /** The first pieces a member sent for a torrent, once: the torrent's store takes them when it starts. */
  takeHead(infoHash: string): Head | null {
    const head = this.#heads.get(infoHash) ?? null
    this.#heads.delete(infoHash)
    return head
  }

  /** The torrent's verified `.torrent` bytes, waiting for a check still running; null when there are none. */
  meta(infoHash: string): Promise<Uint8Array | null> {
    return this.#metas.get(infoHash)
  }

  /** Forget a torrent's metadata (it left the playlist). */
  forgetMeta(infoHash: string): void {
    this.#metas.delete(infoHash)
    this.#heads.delete(infoHash)
  }

  /** Serves the files of a drop by its key to every member who asks (until `forgetLocal`). */
  serveLocal(key: string, files: readonly Blob[]): void {
    if (this.#served.has(key)) return
    this.#served.set(key, { files, servers: new Set() })
    this.#links.setOwner(key, this.#selfId)
  }

  /** The link to the owner of a file it is preparing, by its key: the bytes come from there alone. */
  ownerRanges(key: string, owner: string): OwnerRanges {
    const known = this.#ranges.get(key)
    if (known?.owner === owner) return known.ranges
    known?.ranges.close()
    const ranges = new OwnerRanges()
    this.#ranges.set(key, { owner, ranges })
    this.#links.setOwner(key, owner)
    return ranges
  }

  /** A prepared file's key is done with (the item left, or its torrent has every byte). */
  forgetLocal(key: string): void {
    const served = this.#served.get(key)
    for (const server of served?.servers ?? []) server.close()
    this.#served.delete(key)
    this.#ranges.get(key)?.ranges.close()
    this.#ranges.delete(key)
    this.#links.setOwner(key, null)
  }

  /** Leaves the room's feature and closes every link. */
  destroy(): void {
    this.#feature.unregister()
    for (const key of [...this.#served.keys(), ...this.#ranges.keys()]) this.forgetLocal(key)
    this.#links.destroy()
  }

  /** A link is up for a key: a prepared file's goes to its server or reader, a torrent's to WebTorrent. */
  #attach(key: string, peer: TorrentPeer, peerId: string): void {
    const served = this.#served.get(key)
    const reading = this.#ranges.get(key)
    if (!served && !reading) return this.#client.addPeer(key, peer)
    const rangePeer = asRangePeer(peer)
    if (!rangePeer) return peer.destroy()
    if (served) {
      setSendBuffer(peer, RANGE_SEND_HIGH, RANGE_SEND_LOW)
      const server = new RangeServer(rangePeer, served.files, peerId, this.fileReads)
      served.servers.add(server)
      rangePeer.on('close', () => served.servers.delete(server))
      return
    }
    // Only the owner has the file's bytes: a link for its key with anyone else carries nothing.
    if (reading?.owner !== peerId) {
      console.warn(`torrent: closed a link from ${peerId} for a file ${reading?.owner ?? 'someone'} owns`)
      return peer.destroy()
    }
    reading.ranges.setLink(rangePeer, peerId)
  }

  #onMessage(from: string, raw: unknown): void {
    const parsed = parseTorrentMessage(raw)
    if (!parsed.ok) return console.warn(`torrent: ignored a message from ${from}: ${parsed.error.message}`)
    const message = parsed.value
    switch (message.t) {
      case 'have':
        return this.#links.setRemote(from, message.have)
      case 'signal':
      case 'assign':
        return this.#links.receive(from, message)
      case 'meta':
        return this.#offerMeta(message.infoHash, message.torrent)
      case 'head':
        return this.#offerHeadPart(message)
      default:
        message satisfies never
    }
  }

  /**
   * A member's `.torrent` bytes, checked before use. Messages on a channel arrive in order, so the item's
   * `meta` (sent first) is being checked when the item itself shows up; the store's load waits for that check.
   */
  #offerMeta(infoHash: string, base64: string): void {
    if (this.#have.has(infoHash)) return
    const bytes = decodeMeta(base64)
    if (bytes) this.#metas.offer(infoHash, bytes)
  }

  /** A part of the first pieces a member sent (torrent/head.ts): kept until the torrent starts, if it still may. */
  #offerHeadPart(part: { infoHash: string; first: number; at: number; pieces: string }): void {
    if (this.#have.has(part.infoHash)) return
    const bytes = decodeBase64(part.pieces, HEAD_PART_BYTES)
    if (!bytes) return
    const head = addHeadPart(this.#heads.get(part.infoHash) ?? null, {
      first: part.first,
      at: part.at,
      bytes,
    })
    if (head) setNewest(this.#heads, part.infoHash, head)
    else this.#heads.delete(part.infoHash)
  }

  /** A newcomer gets the selected item's metadata from the member who added it (one copy, not one each). */
  #snapshot(): TorrentSnapshot {
    const have = [...this.#have]
    const selected = this.#selected()
    if (!selected || selected.addedBy !== this.#selfId) return { have }
    const bytes = this.#client.torrentFile(selected.infoHash)
    return bytes ? { have, meta: { infoHash: selected.infoHash, torrent: encodeMeta(bytes) } } : { have }
  }
}

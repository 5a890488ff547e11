/**
 * Room members as torrent peers. For every other member and every torrent both of us have (seeding or
 * downloading), there is one dedicated WebRTC connection — not the room's data channel — handed to WebTorrent
 * with `TorrentClient.addPeer`. The lower peer id initiates (no glare); signals travel over the room's
 * `torrent` feature, addressed to the one member. So a late joiner streams from everyone already watching.
 *
 * WARM SPARES. Setting up a WebRTC connection (ICE, DTLS, SCTP) takes hundreds of ms while the page is also
 * loading a video: most of the time to first frame. So the initiator of each pair keeps one
 * spare connection to the member, made as soon as the member is known and tied to no torrent. When a link is
 * wanted, the initiator takes the spare, tells the other end `assign {link, infoHash}` (same ordered channel
 * as the signals, so it always follows them), hands it to the torrent, and makes a new spare. A link then
 * costs one room message instead of a connection set-up. Cost: one idle connection per member pair.
 *
 * `wantedLinks` is the rule, pure and table-tested; `TorrentLinks` keeps the live connections equal to it.
 */
import { retryDelayMs } from '../backoff.ts'
import { isInitiator } from '../mesh/peer.ts'
import { randomId } from '../random.ts'
import { realTimers, type Timers } from '../timers.ts'

export interface WantedLink {
  peerId: string
  infoHash: string
  /** This side makes the offer (its peer id is the lower one). */
  initiator: boolean
}

/**
 * One link per (member, torrent) that both sides have; never one to ourselves. `expected`: the room's selected
 * torrent, which every member adds the moment it sees the selection: it counts as had by everyone, so the
 * link is ready when the torrent is (instead of one room round trip after its `have`). `owners`: keys that
 * link only with one member (a dropped file's key, torrent/range-source.ts: only its owner has its bytes).
 */
export function wantedLinks(
  selfId: string,
  mine: ReadonlySet<string>,
  theirs: ReadonlyMap<string, ReadonlySet<string>>,
  expected: string | null = null,
  owners: ReadonlyMap<string, string> = new Map(),
): WantedLink[] {
  const links: WantedLink[] = []
  for (const [peerId, hashes] of theirs) {
    if (peerId === selfId) continue
    const initiator = isInitiator(selfId, peerId)
    const candidates = expected === null ? hashes : new Set([...hashes, expected])
    for (const infoHash of candidates)
      if (linkWanted(infoHash, mine, hashes, expected) && ownerAllows(infoHash, selfId, peerId, owners))
        links.push({ peerId, infoHash, initiator })
  }
  return links.sort((a, b) => compare(a.peerId, b.peerId) || compare(a.infoHash, b.infoHash))
}

/** The rule for one torrent and one member: the room's selected torrent, or one both have. */
function linkWanted(
  infoHash: string,
  mine: ReadonlySet<string>,
  theirs: ReadonlySet<string>,
  expected: string | null,
): boolean {
  return infoHash === expected || (mine.has(infoHash) && theirs.has(infoHash))
}

/** A key with an owner links the owner with the others, never two others. */
function ownerAllows(
  key: string,
  selfId: string,
  peerId: string,
  owners: ReadonlyMap<string, string>,
): boolean {
  const owner = owners.get(key)
  return owner === undefined || owner === selfId || owner === peerId
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The slice of simple-peer a torrent link needs. It is never read by us: WebTorrent consumes its stream. */
export interface TorrentPeer {
  signal(data: unknown): void
  destroy(): void
  on(event: 'signal', listener: (data: unknown) => void): void
  on(event: 'connect' | 'close', listener: () => void): void
  on(event: 'error', listener: (error: Error) => void): void
}

/**
 * What the two ends of links say to each other. `link` names the initiator's connection, so a restarted link
 * replaces the old; a signal without `infoHash` belongs to a spare (or to the link it was since assigned to).
 */
export type LinkMessage =
  | { t: 'signal'; link: string; infoHash?: string | undefined; signal: unknown }
  | { t: 'assign'; link: string; infoHash: string }

export interface TorrentLinksOptions {
  selfId: string
  createPeer: (initiator: boolean) => TorrentPeer
  /** Deliver a message to one member (the room's `torrent` feature). */
  send: (peerId: string, message: LinkMessage) => void
  /** Hand a connection to the torrent (`TorrentClient.addPeer`); `peerId` is the member at its other end. */
  attach: (infoHash: string, peer: TorrentPeer, peerId: string) => void
  timers?: Timers
}

/** A failed or closed link (or spare) is retried by its initiator (back-off: backoff.ts). */
export { RETRY_MIN_MS } from '../backoff.ts'
/**
 * A connection (link or spare) that has not connected after this long is given up and, by its initiator,
 * retried. WebRTC on a working path connects in well under a second, on a slow TURN relay in a few; one that
 * hangs would otherwise hold a torrent link for WebTorrent's own connect timeout (25 s).
 */
export const CONNECT_TIMEOUT_MS = 8_000

interface Live {
  peerId: string
  /** null: a spare, tied to no torrent yet. */
  infoHash: string | null
  initiator: boolean
  link: string
  peer: TorrentPeer
  /** The connection is up (its 'connect' came): only then may a spare become a torrent's link. */
  connected: boolean
  /** Gives the connection up when it has not connected in time. */
  timeout: unknown
}

export class TorrentLinks {
  readonly #options: TorrentLinksOptions
  readonly #timers: Timers
  readonly #mine = new Set<string>()
  readonly #theirs = new Map<string, Set<string>>()
  /** The room's selected torrent, which everyone is adding (`wantedLinks`). */
  #expected: string | null = null
  /** Keys that link only with their owner (`wantedLinks`). */
  readonly #owners = new Map<string, string>()
  /** Links given to a torrent, by `peerId infoHash`. */
  readonly #live = new Map<string, Live>()
  /** One spare per member. */
  readonly #spares = new Map<string, Live>()
  /** Every connection (links and spares) by its link name, for routing signals. */
  readonly #byLink = new Map<string, Live>()
  /** Failed links and spares: attempts so far, and the back-off timer (null once it fired). */
  readonly #retries = new Map<string, { attempt: number; timer: unknown }>()
  #destroyed = false
  /** False once making a connection threw: this browser has no WebRTC. */
  #webrtc = true

  constructor(options: TorrentLinksOptions) {
    this.#options = options
    this.#timers = options.timers ?? realTimers
  }

  /** The torrents this tab has (seeding or downloading). */
  setLocal(infoHashes: Iterable<string>): void {
    this.#mine.clear()
    for (const hash of infoHashes) this.#mine.add(hash)
    this.#reconcile()
  }

  /** The room's selected torrent (null: none): every member is about to have it. */
  setExpected(infoHash: string | null): void {
    if (infoHash === this.#expected) return
    this.#expected = infoHash
    this.#reconcile()
  }

  /** Key `key` links only with `owner` (null: with anyone again). */
  setOwner(key: string, owner: string | null): void {
    if ((this.#owners.get(key) ?? null) === owner) return
    if (owner === null) this.#owners.delete(key)
    else this.#owners.set(key, owner)
    this.#reconcile()
  }

  /** The torrents a member says it has (and that the member is here: it gets a spare). */
  setRemote(peerId: string, infoHashes: Iterable<string>): void {
    if (peerId === this.#options.selfId) return
    this.#theirs.set(peerId, new Set(infoHashes))
    this.#reconcile()
  }

  /** A member left (or was removed): close every connection to it. */
  removeMember(peerId: string): void {
    this.#theirs.delete(peerId)
    this.#reconcile()
  }

  /** A message from `from`'s end. Anything for links we don't want is dropped. */
  receive(from: string, message: LinkMessage): void {
    if (this.#destroyed || !this.#theirs.has(from)) return
    const known = this.#byLink.get(message.link)
    if (known && known.peerId !== from) return // not theirs to talk about
    switch (message.t) {
      case 'signal':
        return this.#onSignal(from, known, message.link, message.infoHash, message.signal)
      case 'assign':
        return this.#onAssign(from, known, message.infoHash)
      default:
        message satisfies never
    }
  }

  /** Live links as `peerId infoHash` keys (tests and the UI's peer detail). */
  links(): string[] {
    return [...this.#live.keys()].sort()
  }

  /** Members we hold a spare connection to (tests). */
  spares(): string[] {
    return [...this.#spares.keys()].sort()
  }

  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    for (const { timer } of this.#retries.values()) if (timer !== null) this.#timers.clearTimeout(timer)
    this.#retries.clear()
    for (const live of [...this.#byLink.values()]) this.#close(live)
    this.#mine.clear()
    this.#theirs.clear()
  }

  #onSignal(
    from: string,
    known: Live | undefined,
    link: string,
    infoHash: string | undefined,
    signal: unknown,
  ) {
    if (known) return known.peer.signal(signal)
    // We offered; only answers to our current connections count.
    if (isInitiator(this.#options.selfId, from)) return
    if (infoHash === undefined) {
      // A new spare from the initiator replaces the old one (its side closed, or it reloaded).
      const old = this.#spares.get(from)
      if (old) this.#close(old)
      this.#open(from, null, false, link)?.peer.signal(signal)
      return
    }
    // Room channels are ordered: the member's `have` always arrives before its first signal.
    if (!this.#wants(from, infoHash)) return
    const old = this.#live.get(keyOf(from, infoHash))
    if (old) this.#close(old) // the initiator restarted the link
    this.#open(from, infoHash, false, link)?.peer.signal(signal)
  }

  /** The initiator gave its spare to a torrent: so do we, if we want that link too. */
  #onAssign(from: string, spare: Live | undefined, infoHash: string): void {
    if (!spare || spare.infoHash !== null || spare.initiator) return
    if (!this.#wants(from, infoHash)) return this.#close(spare) // its end sees the close and retries later
    const old = this.#live.get(keyOf(from, infoHash))
    if (old) this.#close(old)
    this.#assign(spare, infoHash)
  }

  #wants(peerId: string, infoHash: string): boolean {
    const theirs = this.#theirs.get(peerId)
    return (
      theirs !== undefined &&
      linkWanted(infoHash, this.#mine, theirs, this.#expected) &&
      ownerAllows(infoHash, this.#options.selfId, peerId, this.#owners)
    )
  }

  #reconcile(): void {
    if (this.#destroyed) return
    const wanted = new Map<string, WantedLink>()
    for (const w of wantedLinks(
      this.#options.selfId,
      this.#mine,
      this.#theirs,
      this.#expected,
      this.#owners,
    )) {
      wanted.set(keyOf(w.peerId, w.infoHash), w)
    }
    for (const [key, live] of [...this.#live]) if (!wanted.has(key)) this.#close(live)
    for (const [peerId, spare] of [...this.#spares]) if (!this.#theirs.has(peerId)) this.#close(spare)
    for (const [key, retry] of [...this.#retries]) {
      const [peerId = '', infoHash] = key.split(' ')
      if (infoHash === SPARE ? this.#theirs.has(peerId) : wanted.has(key)) continue
      if (retry.timer !== null) this.#timers.clearTimeout(retry.timer)
      this.#retries.delete(key)
    }
    for (const [key, w] of wanted) {
      // The answering side waits for the offer (or assignment); a link in back-off waits for its timer.
      if (!w.initiator || this.#live.has(key) || this.#backingOff(key)) continue
      // Only a spare that is up saves the set-up; one still connecting (or hung) keeps warming up aside, and
      // the link gets a connection of its own, so a torrent never waits on a spare that may not come.
      const spare = this.#spares.get(w.peerId)
      if (spare?.connected) {
        this.#options.send(w.peerId, { t: 'assign', link: spare.link, infoHash: w.infoHash })
        this.#assign(spare, w.infoHash)
      } else {
        this.#open(w.peerId, w.infoHash, true, randomId())
      }
    }
    for (const peerId of this.#theirs.keys()) {
      const initiator = isInitiator(this.#options.selfId, peerId)
      if (initiator && !this.#spares.has(peerId) && !this.#backingOff(keyOf(peerId, SPARE))) {
        this.#open(peerId, null, true, randomId())
      }
    }
  }

  #backingOff(key: string): boolean {
    return (this.#retries.get(key)?.timer ?? null) !== null
  }

  #assign(live: Live, infoHash: string): void {
    this.#spares.delete(live.peerId)
    live.infoHash = infoHash
    this.#live.set(keyOf(live.peerId, infoHash), live)
    this.#options.attach(infoHash, live.peer, live.peerId)
  }

  /** A new connection; null (and none ever again) when this browser cannot make one (no WebRTC). */
  #open(peerId: string, infoHash: string | null, initiator: boolean, link: string): Live | null {
    if (!this.#webrtc) return null
    let peer: TorrentPeer
    try {
      peer = this.#options.createPeer(initiator)
    } catch (error) {
      this.#webrtc = false
      console.warn(`torrent links: no WebRTC, members cannot be torrent peers: ${String(error)}`)
      return null
    }
    const live: Live = { peerId, infoHash, initiator, link, peer, connected: false, timeout: null }
    live.timeout = this.#timers.setTimeout(() => {
      live.timeout = null
      if (!live.connected) this.#onGone(live)
    }, CONNECT_TIMEOUT_MS)
    this.#byLink.set(link, live)
    if (infoHash === null) this.#spares.set(peerId, live)
    peer.on('signal', (signal) => {
      if (this.#byLink.get(link) !== live) return
      // A spare's signals carry no torrent; the other end routes later ones by the link's name.
      const hash = live.infoHash
      this.#options.send(
        peerId,
        hash === null ? { t: 'signal', link, signal } : { t: 'signal', link, infoHash: hash, signal },
      )
    })
    peer.on('connect', () => {
      if (this.#byLink.get(link) !== live) return
      live.connected = true
      this.#clearTimeout(live)
      this.#retries.delete(keyOf(peerId, live.infoHash ?? SPARE))
    })
    // simple-peer emits 'close' after 'error' too; either way this connection is over.
    peer.on('error', () => this.#onGone(live))
    peer.on('close', () => this.#onGone(live))
    onDisconnect(peer, () => this.#onGone(live))
    if (infoHash !== null) {
      this.#live.set(keyOf(peerId, infoHash), live)
      this.#options.attach(infoHash, peer, peerId)
    }
    return live
  }

  /** A connection closed by itself: its initiator tries again after a back-off while both still want it. */
  #onGone(live: Live): void {
    if (this.#byLink.get(live.link) !== live) return
    this.#close(live)
    if (!live.initiator || this.#destroyed) return
    const key = keyOf(live.peerId, live.infoHash ?? SPARE)
    const attempt = (this.#retries.get(key)?.attempt ?? 0) + 1
    const delay = retryDelayMs(attempt)
    const timer = this.#timers.setTimeout(() => {
      // Keep the attempt count (it grows until a connection succeeds) but end the back-off.
      this.#retries.set(key, { attempt, timer: null })
      this.#reconcile()
    }, delay)
    this.#retries.set(key, { attempt, timer })
  }

  #clearTimeout(live: Live): void {
    if (live.timeout !== null) this.#timers.clearTimeout(live.timeout)
    live.timeout = null
  }

  #close(live: Live): void {
    if (this.#byLink.get(live.link) !== live) return
    this.#clearTimeout(live)
    this.#byLink.delete(live.link)
    if (this.#spares.get(live.peerId) === live) this.#spares.delete(live.peerId)
    if (live.infoHash !== null && this.#live.get(keyOf(live.peerId, live.infoHash)) === live) {
      this.#live.delete(keyOf(live.peerId, live.infoHash))
    }
    live.peer.destroy()
  }
}

/**
 * simple-peer's 'disconnect': a connected peer is being destroyed, whichever way. When the other end closes
 * the channel, simple-peer tears itself down outside its stream's own destroy and never emits 'close': a link
 * waiting for 'close' would stay listed with a dead connection, and its initiator would never retry it
 * (docs/streaming.md, "Stalled members, traced"). Not in `TorrentPeer`'s typed events: other peers never emit it.
 */
function onDisconnect(peer: TorrentPeer, listener: () => void): void {
  ;(peer.on as (event: string, listener: () => void) => void).call(peer, 'disconnect', listener)
}

/** The retry key of a member's spare (info hashes are hex, so this never collides). */
const SPARE = '*'

function keyOf(peerId: string, infoHash: string): string {
  return `${peerId} ${infoHash}`
}

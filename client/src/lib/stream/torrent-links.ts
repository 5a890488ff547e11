/**
 * Room members as torrent peers. For every other member and every torrent both of us have (seeding or
 * downloading), there is one dedicated WebRTC connection — not the room's data channel — handed to WebTorrent
 * with `TorrentClient.addPeer`. The lower peer id initiates (no glare); signals travel over the room's
 * `torrent` feature, addressed to the one member. So a late joiner streams from everyone already watching.
 *
 * `wantedLinks` is the rule, pure and table-tested; `TorrentLinks` keeps the live connections equal to it.
 */
import { isInitiator } from '../mesh/peer.ts'
import { randomId } from '../random.ts'
import { realTimers, type Timers } from '../timers.ts'

export interface WantedLink {
  peerId: string
  infoHash: string
  /** This side makes the offer (its peer id is the lower one). */
  initiator: boolean
}

/** One link per (member, torrent) that both sides have; never one to ourselves. */
export function wantedLinks(
  selfId: string,
  mine: ReadonlySet<string>,
  theirs: ReadonlyMap<string, ReadonlySet<string>>,
): WantedLink[] {
  const links: WantedLink[] = []
  for (const [peerId, hashes] of theirs) {
    if (peerId === selfId) continue
    for (const infoHash of hashes) {
      if (mine.has(infoHash)) links.push({ peerId, infoHash, initiator: isInitiator(selfId, peerId) })
    }
  }
  return links.sort((a, b) => compare(a.peerId, b.peerId) || compare(a.infoHash, b.infoHash))
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

/** A signal for one link. `link` names the initiator's connection, so a restarted link replaces the old. */
export interface LinkSignal {
  infoHash: string
  link: string
  signal: unknown
}

export interface TorrentLinksOptions {
  selfId: string
  createPeer: (initiator: boolean) => TorrentPeer
  /** Deliver a signal to one member (the room's `torrent` feature). */
  sendSignal: (peerId: string, signal: LinkSignal) => void
  /** Hand a new connection to the torrent (`TorrentClient.addPeer`). */
  attach: (infoHash: string, peer: TorrentPeer) => void
  timers?: Timers
}

/** A failed or closed link is retried by its initiator after this long, doubling up to the maximum. */
export const RETRY_MIN_MS = 2_000
export const RETRY_MAX_MS = 30_000

interface Live {
  peerId: string
  infoHash: string
  initiator: boolean
  link: string
  peer: TorrentPeer
}

export class TorrentLinks {
  readonly #options: TorrentLinksOptions
  readonly #timers: Timers
  readonly #mine = new Set<string>()
  readonly #theirs = new Map<string, Set<string>>()
  readonly #live = new Map<string, Live>()
  /** Failed links: attempts so far, and the back-off timer (null once it fired). */
  readonly #retries = new Map<string, { attempt: number; timer: unknown }>()
  #destroyed = false

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

  /** The torrents a member says it has. */
  setRemote(peerId: string, infoHashes: Iterable<string>): void {
    if (peerId === this.#options.selfId) return
    this.#theirs.set(peerId, new Set(infoHashes))
    this.#reconcile()
  }

  /** A member left (or was removed): close every link to it. */
  removeMember(peerId: string): void {
    this.#theirs.delete(peerId)
    this.#reconcile()
  }

  /** A signal from `from`'s side of a link. Signals for links we don't want are dropped. */
  onSignal(from: string, { infoHash, link, signal }: LinkSignal): void {
    // Room channels are ordered: the member's `have` always arrives before its first signal.
    if (this.#destroyed || !this.#mine.has(infoHash) || !this.#theirs.get(from)?.has(infoHash)) return
    const key = keyOf(from, infoHash)
    let live = this.#live.get(key)
    if (isInitiator(this.#options.selfId, from)) {
      // We offered; only answers to our current connection count.
      if (live?.link === link) live.peer.signal(signal)
      return
    }
    if (live && live.link !== link) {
      // The initiator restarted the link (its side closed, or it reloaded): replace ours.
      this.#close(key)
      live = undefined
    }
    live ??= this.#open(from, infoHash, false, link)
    live.peer.signal(signal)
  }

  /** Live links as `peerId infoHash` keys (tests and the UI's peer detail). */
  links(): string[] {
    return [...this.#live.keys()].sort()
  }

  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    for (const { timer } of this.#retries.values()) if (timer !== null) this.#timers.clearTimeout(timer)
    this.#retries.clear()
    for (const key of [...this.#live.keys()]) this.#close(key)
    this.#mine.clear()
    this.#theirs.clear()
  }

  #reconcile(): void {
    if (this.#destroyed) return
    const wanted = new Map<string, WantedLink>()
    for (const w of wantedLinks(this.#options.selfId, this.#mine, this.#theirs)) {
      wanted.set(keyOf(w.peerId, w.infoHash), w)
    }
    for (const key of [...this.#live.keys()]) if (!wanted.has(key)) this.#close(key)
    for (const [key, retry] of [...this.#retries]) {
      if (wanted.has(key)) continue
      if (retry.timer !== null) this.#timers.clearTimeout(retry.timer)
      this.#retries.delete(key)
    }
    for (const [key, w] of wanted) {
      // The answering side waits for the offer; a link in back-off waits for its timer.
      const backingOff = (this.#retries.get(key)?.timer ?? null) !== null
      if (w.initiator && !this.#live.has(key) && !backingOff) {
        this.#open(w.peerId, w.infoHash, true, randomId())
      }
    }
  }

  #open(peerId: string, infoHash: string, initiator: boolean, link: string): Live {
    const key = keyOf(peerId, infoHash)
    const peer = this.#options.createPeer(initiator)
    const live: Live = { peerId, infoHash, initiator, link, peer }
    this.#live.set(key, live)
    peer.on('signal', (signal) => {
      if (this.#live.get(key) === live) this.#options.sendSignal(peerId, { infoHash, link, signal })
    })
    peer.on('connect', () => {
      if (this.#live.get(key) === live) this.#retries.delete(key)
    })
    // simple-peer emits 'close' after 'error' too; either way this connection is over.
    peer.on('error', () => this.#onGone(key, live))
    peer.on('close', () => this.#onGone(key, live))
    this.#options.attach(infoHash, peer)
    return live
  }

  /** A link closed by itself: its initiator tries again after a back-off while both still want it. */
  #onGone(key: string, live: Live): void {
    if (this.#live.get(key) !== live) return
    this.#live.delete(key)
    live.peer.destroy()
    if (!live.initiator || this.#destroyed) return
    const attempt = (this.#retries.get(key)?.attempt ?? 0) + 1
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (attempt - 1))
    const timer = this.#timers.setTimeout(() => {
      // Keep the attempt count (it grows until a connection succeeds) but end the back-off.
      this.#retries.set(key, { attempt, timer: null })
      this.#reconcile()
    }, delay)
    this.#retries.set(key, { attempt, timer })
  }

  #close(key: string): void {
    const live = this.#live.get(key)
    if (!live) return
    this.#live.delete(key)
    live.peer.destroy()
  }
}

function keyOf(peerId: string, infoHash: string): string {
  return `${peerId} ${infoHash}`
}

/**
 * A deterministic room simulation that runs the code that ships: every peer is a `PlaybackSession` (the
 * playback loop, member clocks with the host's clock as shared time, item logs, controller and hold
 * loops, room feature), on a fake room, fake timers and a simulated player. Around them: clocks skewed by
 * seconds and running slightly fast or slow, a jittery network that carries every body as JSON, players whose
 * media clocks drift and whose seeks take time. Everything is driven by one seeded PRNG and a 1 ms step of
 * true time.
 *
 * The room is modelled as far as the session sees it: a link between two members opens with a hello each way
 * (the sender's join time, its host, and the `playback` feature's snapshot), the member list is everyone a
 * peer has had a hello from, the host is resolved with the room's own rules (members.ts), and a member that
 * leaves is dropped by each peer once its departure reaches it.
 */
import { vi } from 'vitest'
import type { FeatureHandle, FeatureHost, RoomFeature } from '../../src/lib/room/feature.ts'
import { byJoinOrder, longestPresent, resolveHost, type MemberInfo } from '../../src/lib/room/members.ts'
import type { Timers } from '../../src/lib/timers.ts'
import type { PlayerSnapshot } from '../../src/lib/sync/decide.ts'
import { PLAYBACK_FEATURE } from '../../src/lib/sync/feature.ts'
import type { Player, UserAction } from '../../src/lib/sync/player.ts'
import { createPlaybackView, PlaybackSession, type PlaybackView } from '../../src/lib/sync/session.ts'
import type { Command, CommandBody } from '../../src/lib/sync/timeline.ts'

/** mulberry32: tiny, fast, good enough for simulation. */
export class Rng {
  #state: number
  constructor(seed: number) {
    this.#state = seed >>> 0
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0
    let t = this.#state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  range(min: number, max: number): number {
    return min + (max - min) * this.next()
  }
}

const HAVE_NOTHING = 0
const HAVE_METADATA = 1
const HAVE_CURRENT_DATA = 2
const HAVE_ENOUGH_DATA = 4

/**
 * A `<video>` on true time: nothing loaded until `load`, seeks that take `seekLatencyMs` (±15 %), a `play()`
 * that takes 5–40 ms to start, a media clock `rateError` off, `currentTime` read with ±1 ms noise, and windows
 * of true time where the network starves it. It tells its listeners when it can do more than before (metadata
 * loaded, a seek landed, data came back), as `Player.onMediaProgress` does.
 */
export class SimPlayer implements Player {
  position = 0
  paused = true
  rate = 1
  seekTarget: number | null = null
  seekDoneAt = 0
  seeks = 0
  rateChanges = 0
  /** true-time windows [from, to) where the network starves this player: no data, no motion */
  readonly stalls: [number, number][] = []
  #loaded = false
  #loadAt = Infinity
  #last = 0
  #startAt = 0
  #wasStarved = false
  readonly #progress = new Set<() => void>()
  readonly #userListeners = new Set<(action: UserAction) => void>()

  constructor(
    private readonly rng: Rng,
    /** true time, ms */
    private readonly clock: () => number,
    /** media clock error: 0.005 plays 0.5 % fast */
    readonly rateError: number,
    readonly seekLatencyMs: number,
  ) {}

  /** The source is set at true time `at`: its metadata and data are there from then on. */
  load(at: number): void {
    this.#loadAt = Math.min(this.#loadAt, at)
  }

  advance(t: number): void {
    if (this.seekTarget !== null && t >= this.seekDoneAt) {
      this.#last = this.seekDoneAt
      this.position = this.seekTarget
      this.seekTarget = null
    }
    if (!this.paused && this.seekTarget === null) {
      const from = Math.max(this.#last, this.#startAt)
      const starved = this.stalls.reduce(
        (ms, [a, b]) => ms + Math.max(0, Math.min(b, t) - Math.max(a, from)),
        0,
      )
      if (t > from) this.position += ((t - from - starved) / 1000) * this.rate * (1 + this.rateError)
    }
    this.#last = Math.max(this.#last, t)
  }

  /** What `currentTime` reads without noise: the seek target while seeking, like Chromium. */
  currentTime(t: number): number {
    this.advance(t)
    return this.seekTarget ?? this.position
  }

  stalledAt(t: number): boolean {
    return this.stalls.some(([a, b]) => t >= a && t < b)
  }

  /** Called every step of true time: fires the media events that are due. */
  poll(t: number): void {
    let progress = false
    if (!this.#loaded && t >= this.#loadAt) {
      this.#loaded = true // loadedmetadata, canplay
      progress = true
    }
    if (this.seekTarget !== null && t >= this.seekDoneAt) {
      this.advance(t) // seeked
      progress = true
    }
    const starved = this.stalledAt(t)
    if (this.#wasStarved && !starved) progress = true // canplay
    this.#wasStarved = starved
    if (progress) for (const listener of this.#progress) listener()
  }

  snapshot(): PlayerSnapshot {
    const t = this.clock()
    if (!this.#loaded) {
      return {
        currentTime: 0,
        paused: this.paused,
        playbackRate: this.rate,
        readyState: HAVE_NOTHING,
        seeking: false,
        bufferedAhead: 0,
        duration: NaN,
      }
    }
    const currentTime = this.currentTime(t)
    const seeking = this.seekTarget !== null
    const starved = this.stalledAt(t)
    const noise = this.rng.range(-0.001, 0.001)
    return {
      currentTime: Math.max(0, currentTime + (seeking ? 0 : noise)),
      paused: this.paused,
      playbackRate: this.rate,
      readyState: seeking ? HAVE_METADATA : starved ? HAVE_CURRENT_DATA : HAVE_ENOUGH_DATA,
      seeking,
      bufferedAhead: starved ? 0 : 30,
      duration: 7200,
    }
  }

  play(): Promise<void> {
    const t = this.clock()
    this.advance(t)
    if (this.paused) this.#startAt = t + this.rng.range(5, 40)
    this.paused = false
    return Promise.resolve()
  }

  pause(): void {
    this.advance(this.clock())
    this.paused = true
  }

  seek(position: number): void {
    const t = this.clock()
    this.advance(t)
    this.seeks++
    this.seekTarget = position
    this.seekDoneAt = t + this.seekLatencyMs * this.rng.range(0.85, 1.15)
  }

  setRate(rate: number): void {
    this.advance(this.clock())
    this.rateChanges++
    this.rate = rate
  }

  onUserAction(listener: (action: UserAction) => void): () => void {
    this.#userListeners.add(listener)
    return () => this.#userListeners.delete(listener)
  }

  onMediaProgress(listener: () => void): () => void {
    this.#progress.add(listener)
    return () => this.#progress.delete(listener)
  }

  destroy(): void {
    this.#progress.clear()
    this.#userListeners.clear()
  }
}

/** One member's view of the room: whom it has had a hello from, and its host (the Room's rules). */
class SimRoom implements FeatureHost {
  readonly members = new Map<string, MemberInfo>()
  hostId: string | null
  feature: RoomFeature | null = null

  constructor(
    private readonly sim: Simulation,
    readonly selfId: string,
    joinedAt: number,
    creator: boolean,
  ) {
    this.members.set(selfId, { id: selfId, name: selfId.toUpperCase(), joinedAt })
    this.hostId = creator ? selfId : null
  }

  get host(): string | null {
    return resolveHost([...this.members.values()], this.hostId)
  }

  get memberList(): { id: string; name: string }[] {
    return [...this.members.values()].sort(byJoinOrder).map(({ id, name }) => ({ id, name }))
  }

  registerFeature(name: string, feature: RoomFeature): FeatureHandle {
    if (name !== PLAYBACK_FEATURE) throw new Error(`unexpected feature ${name}`)
    this.feature = feature
    return {
      send: (body, to) => this.sim.send(this.selfId, body, to),
      unregister: () => (this.feature = null),
    }
  }

  canControlPlayback(): boolean {
    return true
  }

  /** A hello: the member is present, its host claim is resolved, its snapshot applied. */
  hello(from: string, joinedAt: number, hostId: string | null, snapshot: unknown): void {
    this.members.set(from, { id: from, name: from.toUpperCase(), joinedAt })
    const present = [...this.members.values()]
    if (this.hostId === null) this.hostId = hostId
    else if (hostId !== null && hostId !== this.hostId)
      this.hostId = resolveHost(present, this.hostId, hostId)
    this.feature?.applySnapshot?.(from, snapshot)
  }

  left(peerId: string): void {
    if (!this.members.delete(peerId)) return
    this.feature?.onMemberLeft?.(peerId)
    if (this.hostId === peerId) this.hostId = longestPresent([...this.members.values()])
  }
}

/** One member's timers on the simulation's true time; intervals come 0–9 ms late, as a busy page's do. */
class SimTimers implements Timers {
  constructor(
    private readonly sim: Simulation,
    private readonly ppm: number,
  ) {}
  setTimeout(fn: () => void, ms: number): unknown {
    return this.sim.schedule(fn, ms / (1 + this.ppm), null)
  }
  clearTimeout(handle: unknown): void {
    this.sim.cancel(handle as number)
  }
  setInterval(fn: () => void, ms: number): unknown {
    return this.sim.schedule(fn, ms, ms)
  }
  clearInterval(handle: unknown): void {
    this.sim.cancel(handle as number)
  }
}

export interface SimPeer {
  id: string
  skewMs: number
  /** clock frequency error, e.g. 30e-6 */
  ppm: number
  player: SimPlayer
  /** what the session shows (the store's fields) */
  view: PlaybackView
  room: SimRoom | null
  session: PlaybackSession | null
  joinedAt: number | null
  leftAt: number | null
  /** true ms from which the peer has shared time in the room's frame (the host's clock) */
  syncedAt: number | null
}

interface InFlight {
  at: number
  seq: number
  from: string
  to: string
  kind: 'hello' | 'feature' | 'left'
  json: string
}

interface Timer {
  at: number
  seq: number
  fn: () => void
  /** an interval's period, ms */
  every: number | null
}

export interface SimOptions {
  seed: number
  /** the first one creates the room (its host) */
  peers: string[]
  /** true ms at which each peer joins (default 0) */
  joinAt?: Record<string, number>
  /** true ms at which a peer leaves */
  leaveAt?: Record<string, number>
}

export class Simulation {
  readonly rng: Rng
  readonly peers = new Map<string, SimPeer>()
  now = 0
  /** every command issued, by whom and at what true ms */
  readonly commands: { peer: string; kind: Command['kind']; at: number }[] = []
  #queue: InFlight[] = []
  #seq = 0
  #linkBase = new Map<string, number>()
  /** when each directed link's hello arrives, and its last message */
  #helloAt = new Map<string, number>()
  #lastAt = new Map<string, number>()
  #timers = new Map<number, Timer>()
  readonly #joinAt: Record<string, number>
  readonly #leaveAt: Record<string, number>
  readonly #creator: string

  constructor(options: SimOptions) {
    this.rng = new Rng(options.seed)
    this.#joinAt = options.joinAt ?? {}
    this.#leaveAt = options.leaveAt ?? {}
    this.#creator = options.peers[0]!
    for (const id of options.peers) {
      const player = new SimPlayer(
        this.rng,
        () => this.now,
        this.rng.range(-0.005, 0.005),
        this.rng.range(40, 300),
      )
      this.peers.set(id, {
        id,
        skewMs: this.rng.range(-2000, 2000),
        ppm: this.rng.range(-50e-6, 50e-6),
        player,
        view: createPlaybackView(),
        room: null,
        session: null,
        joinedAt: null,
        leftAt: null,
        syncedAt: null,
      })
    }
  }

  localNow(peer: SimPeer): number {
    return this.now * (1 + peer.ppm) + peer.skewMs
  }

  /** The room's host (the member present longest: nobody claims another), whose clock is shared time. */
  get host(): SimPeer | undefined {
    const present = [...this.peers.values()].filter((p) => this.present(p))
    const id = longestPresent(present.map((p) => ({ id: p.id, name: p.id, joinedAt: p.joinedAt! })))
    return present.find((p) => p.id === id)
  }

  present(peer: SimPeer): boolean {
    return peer.joinedAt !== null && peer.leftAt === null
  }

  /** The true ms at which the host's clock reads `shared`. */
  trueTimeOf(shared: number): number {
    const host = this.host!
    return (shared - host.skewMs) / (1 + host.ppm)
  }

  /** Base one-way delay per link (symmetric path, a few ms of constant asymmetry per direction). */
  #delay(from: string, to: string): number {
    const key = from < to ? `${from}|${to}` : `${to}|${from}`
    let base = this.#linkBase.get(key)
    if (base === undefined) {
      base = this.rng.range(5, 60)
      this.#linkBase.set(key, base)
    }
    const asymmetry = from < to ? 2 : -2
    const queueing = -Math.log(1 - this.rng.next()) * 8 // exponential, mean 8 ms
    const spike = this.rng.next() < 0.03 ? this.rng.range(100, 400) : 0
    return base + asymmetry + queueing + spike
  }

  /**
   * Each message takes its own delay, so sync messages may overtake each other; but a link opens with its
   * hello and closes after everything sent on it (as the room sees it).
   */
  #post(from: string, to: string, kind: InFlight['kind'], value: unknown): void {
    const link = `${from}>${to}`
    const helloAt = this.#helloAt.get(link)
    if (kind === 'feature' && helloAt === undefined) return // no link
    const delayed = this.now + this.#delay(from, to)
    const at =
      kind === 'feature' ? Math.max(delayed, helloAt!) : Math.max(delayed, this.#lastAt.get(link) ?? 0)
    if (kind === 'hello') this.#helloAt.set(link, at)
    this.#lastAt.set(link, Math.max(at, this.#lastAt.get(link) ?? 0))
    this.#queue.push({ at, seq: this.#seq++, from, to, kind, json: JSON.stringify(value) })
  }

  /** A feature body from `from`, to one member or (without `to`) to every member it has a link with. */
  send(from: string, body: unknown, to?: string): void {
    const message = body as { type?: unknown; command?: { kind: Command['kind'] } }
    if (message.type === 'sync/command' && message.command)
      this.commands.push({ peer: from, kind: message.command.kind, at: this.now })
    for (const peer of this.peers.values()) {
      if (peer.id === from || !this.present(peer) || (to !== undefined && peer.id !== to)) continue
      this.#post(from, peer.id, 'feature', body)
    }
  }

  schedule(fn: () => void, ms: number, every: number | null): number {
    const seq = this.#seq++
    this.#timers.set(seq, { at: this.now + ms, seq, fn, every })
    return seq
  }

  cancel(handle: number): void {
    this.#timers.delete(handle)
  }

  #join(peer: SimPeer): void {
    peer.joinedAt = this.now
    const room = new SimRoom(this, peer.id, this.now, peer.id === this.#creator)
    peer.room = room
    const session = new PlaybackSession({
      room,
      view: peer.view,
      now: () => this.localNow(peer),
      timers: new SimTimers(this, peer.ppm),
    })
    peer.session = session
    // As the store wires its player: the person's actions and the element's progress go to the session.
    peer.player.onUserAction((action) => session.userAction(action))
    peer.player.onMediaProgress(() => session.tick())
    session.attach(peer.player)
    // The room's creator has its video at once; the others get theirs with the room's state (a hello).
    if (peer.id === this.#creator) peer.player.load(this.now)
    for (const other of this.peers.values()) {
      if (other === peer || !this.present(other)) continue
      this.#hello(peer, other)
      this.#hello(other, peer)
    }
  }

  #hello(from: SimPeer, to: SimPeer): void {
    const room = from.room!
    const hello = { joinedAt: from.joinedAt, hostId: room.host, snapshot: room.feature?.snapshot?.() }
    this.#post(from.id, to.id, 'hello', hello)
  }

  #leave(peer: SimPeer): void {
    peer.leftAt = this.now
    peer.session?.destroy()
    peer.player.destroy()
    for (const other of this.peers.values())
      if (this.present(other)) this.#post(peer.id, other.id, 'left', null)
  }

  #deliver(message: InFlight): void {
    const peer = this.peers.get(message.to)!
    const room = peer.room
    if (!room || !this.present(peer)) return // the link closed
    const value: unknown = JSON.parse(message.json)
    switch (message.kind) {
      case 'hello': {
        const hello = value as { joinedAt: number; hostId: string | null; snapshot: unknown }
        room.hello(message.from, hello.joinedAt, hello.hostId, hello.snapshot)
        peer.player.load(this.now + this.rng.range(50, 200))
        return
      }
      case 'feature':
        room.feature?.onMessage(message.from, value)
        return
      case 'left':
        room.left(message.from)
        return
    }
  }

  #fireTimers(): void {
    for (;;) {
      let next: Timer | undefined
      for (const timer of this.#timers.values())
        if (
          timer.at <= this.now &&
          (!next || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))
        )
          next = timer
      if (!next) return
      if (next.every === null) this.#timers.delete(next.seq)
      else next.at = this.now + next.every + Math.floor(this.rng.range(0, 10))
      next.fn()
    }
  }

  /** A person on `peerId` changes the room through its controls; returns the true ms until it takes effect. */
  command(peerId: string, body: CommandBody): number {
    const session = this.peers.get(peerId)!.session
    const command = session?.command(body)
    if (!command) throw new Error(`${peerId} has no shared clock yet`)
    return this.trueTimeOf(command.effectiveAt) - this.now
  }

  /** Runs until true time `until` (ms), calling `onMs` after every step. */
  run(until: number, onMs: (t: number) => void = () => {}): void {
    for (; this.now <= until; this.now++) {
      for (const peer of this.peers.values()) {
        if (peer.joinedAt === null && this.now >= (this.#joinAt[peer.id] ?? 0)) this.#join(peer)
        if (this.present(peer) && this.now >= (this.#leaveAt[peer.id] ?? Infinity)) this.#leave(peer)
      }
      const due = this.#queue.filter((m) => m.at <= this.now).sort((a, b) => a.at - b.at || a.seq - b.seq)
      if (due.length > 0) {
        this.#queue = this.#queue.filter((m) => m.at > this.now)
        for (const message of due) this.#deliver(message)
      }
      for (const peer of this.peers.values()) if (this.present(peer)) peer.player.poll(this.now)
      this.#fireTimers()
      const host = this.host?.id
      for (const peer of this.peers.values()) {
        if (peer.syncedAt !== null || !this.present(peer) || !peer.view.ready) continue
        if (peer.session?.inspect().frame() === host) peer.syncedAt = this.now
      }
      onMs(this.now)
    }
  }
}

/** Runs `fn` with `console.warn` captured: what the sessions warned about (ignored messages) is returned. */
export function captureWarnings<T>(fn: () => T): { result: T; warnings: string[] } {
  const warnings: string[] = []
  const spy = vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
    warnings.push(args.map(String).join(' '))
  })
  try {
    return { result: fn(), warnings }
  } finally {
    spy.mockRestore()
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

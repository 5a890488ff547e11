/**
 * A deterministic room simulation: peers with skewed, slightly fast or slow clocks, a jittery network that
 * carries real JSON through `parseSyncMessage`, and players whose media clocks drift and whose seeks take
 * time. Everything is driven by one seeded PRNG and a 1 ms step of true time.
 */
import { ClockSync, type OffsetEstimate } from '../../src/lib/sync/clock.ts'
import {
  decide,
  INITIAL_CONTROLLER_STATE,
  type Action,
  type ControllerState,
  type PlayerSnapshot,
} from '../../src/lib/sync/decide.ts'
import { offsetTo } from '../../src/lib/sync/feature.ts'
import { HLC_ZERO, hlcReceive, type Hlc } from '../../src/lib/sync/hlc.ts'
import {
  evaluateHold,
  INITIAL_HOLD_STATE,
  INITIAL_READINESS,
  updateReadiness,
  type HoldState,
  type MemberHoldReport,
  type Readiness,
} from '../../src/lib/sync/hold.ts'
import { parseSyncMessage, type SyncMessage } from '../../src/lib/sync/messages.ts'
import {
  addCommand,
  createLog,
  issueCommand,
  type CommandBody,
  type PlaybackLog,
} from '../../src/lib/sync/timeline.ts'

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

export class SimPlayer {
  position = 0
  paused = true
  rate = 1
  seekTarget: number | null = null
  seekDoneAt = 0
  #last = 0
  #startAt = 0
  seeks = 0
  rateChanges = 0
  /** true-time windows [from, to) where the network starves this player: no data, no motion */
  stalls: [number, number][] = []

  constructor(
    private readonly rng: Rng,
    /** media clock error: 0.005 plays 0.5 % fast */
    readonly rateError: number,
    readonly seekLatencyMs: number,
  ) {}

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

  /** What `currentTime` reads: the seek target while seeking, like Chromium. */
  currentTime(t: number): number {
    this.advance(t)
    return this.seekTarget ?? this.position
  }

  stalledAt(t: number): boolean {
    return this.stalls.some(([a, b]) => t >= a && t < b)
  }

  snapshot(t: number): PlayerSnapshot {
    const seeking = this.seekTarget !== null
    const starved = this.stalledAt(t)
    const noise = this.rng.range(-0.001, 0.001)
    return {
      currentTime: Math.max(0, this.currentTime(t) + (seeking ? 0 : noise)),
      paused: this.paused,
      playbackRate: this.rate,
      readyState: seeking ? 1 : starved ? 2 : 4,
      seeking,
      bufferedAhead: starved ? 0 : 30,
      duration: 7200,
    }
  }

  perform(t: number, action: Action): void {
    this.advance(t)
    switch (action.type) {
      case 'none':
        return
      case 'play':
        if (this.paused) this.#startAt = t + this.rng.range(5, 40)
        this.paused = false
        return
      case 'pause':
        this.paused = true
        return
      case 'seek':
        this.seeks++
        this.seekTarget = action.position
        this.seekDoneAt = t + this.seekLatencyMs * this.rng.range(0.85, 1.15)
        return
      case 'setRate':
        this.rateChanges++
        this.rate = action.rate
        return
    }
  }
}

export interface SimPeer {
  id: string
  skewMs: number
  /** clock frequency error, e.g. 30e-6 */
  ppm: number
  player: SimPlayer
  clocks: Map<string, ClockSync>
  nextPing: Map<string, number>
  hlc: Hlc
  log: PlaybackLog
  controller: ControllerState
  nextTick: number
  joined: boolean
  /** true ms of the first decide() this peer could run */
  firstDecideAt: number | null
  readiness: Readiness
  reports: Map<string, MemberHoldReport>
  hold: HoldState
  nextStatus: number
}

interface InFlight {
  at: number
  seq: number
  from: string
  to: string
  json: string
}

export interface SimOptions {
  seed: number
  peers: string[]
  /** true ms at which each peer joins (default 0) */
  joinAt?: Record<string, number>
  /** run the buffering-hold protocol (status reports, hold/release commands) */
  holds?: boolean
}

export class Simulation {
  readonly rng: Rng
  readonly peers = new Map<string, SimPeer>()
  now = 0
  warnings: string[] = []
  #queue: InFlight[] = []
  #seq = 0
  #linkBase = new Map<string, number>()
  #joinAt: Record<string, number>
  #holds: boolean
  readonly holdCommands: { peer: string; kind: 'hold' | 'release'; at: number }[] = []

  constructor(options: SimOptions) {
    this.rng = new Rng(options.seed)
    this.#joinAt = options.joinAt ?? {}
    this.#holds = options.holds ?? false
    for (const id of options.peers) {
      const player = new SimPlayer(this.rng, this.rng.range(-0.005, 0.005), this.rng.range(40, 300))
      this.peers.set(id, {
        id,
        skewMs: this.rng.range(-2000, 2000),
        ppm: this.rng.range(-50e-6, 50e-6),
        player,
        clocks: new Map(),
        nextPing: new Map(),
        hlc: HLC_ZERO,
        log: createLog(),
        controller: INITIAL_CONTROLLER_STATE,
        nextTick: 0,
        joined: false,
        firstDecideAt: null,
        readiness: INITIAL_READINESS,
        reports: new Map(),
        hold: INITIAL_HOLD_STATE,
        nextStatus: 0,
      })
    }
  }

  localNow(peer: SimPeer): number {
    return this.now * (1 + peer.ppm) + peer.skewMs
  }

  estimates(peer: SimPeer): Map<string, OffsetEstimate | undefined> {
    const result = new Map<string, OffsetEstimate | undefined>()
    for (const [id, clock] of peer.clocks) result.set(id, clock.estimate())
    return result
  }

  /** Shared time: the clock of the smallest peer id present, which every simulated peer picks alike. */
  sharedNow(peer: SimPeer): number | undefined {
    const estimates = this.estimates(peer)
    const reference = [...estimates.keys()].reduce((min, id) => (id < min ? id : min), peer.id)
    const offset = offsetTo(peer.id, reference, estimates)
    return offset === undefined ? undefined : this.localNow(peer) + offset
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

  send(from: string, to: string, message: SyncMessage): void {
    const at = this.now + this.#delay(from, to)
    this.#queue.push({ at, seq: this.#seq++, from, to, json: JSON.stringify(message) })
  }

  broadcast(from: string, message: SyncMessage): void {
    for (const peer of this.peers.values())
      if (peer.id !== from && peer.joined) this.send(from, peer.id, message)
  }

  #join(peer: SimPeer): void {
    peer.joined = true
    for (const other of this.peers.values()) {
      if (other === peer || !other.joined) continue
      this.#link(peer, other)
      this.#link(other, peer)
    }
    // The room hands a joiner its state: here the first other member does.
    const donor = [...this.peers.values()].find((p) => p.joined && p !== peer)
    if (donor) {
      this.send(donor.id, peer.id, {
        type: 'sync/state',
        base: donor.log.base,
        commands: [...donor.log.commands],
      })
    }
  }

  #link(peer: SimPeer, other: SimPeer): void {
    const clock = new ClockSync({
      now: () => this.localNow(peer),
      send: (message) => this.send(peer.id, other.id, message),
    })
    peer.clocks.set(other.id, clock)
    peer.nextPing.set(other.id, this.now)
  }

  #deliver(message: InFlight): void {
    const peer = this.peers.get(message.to)!
    const result = parseSyncMessage(JSON.parse(message.json))
    if (!result.ok) {
      this.warnings.push(`${result.error.code}: ${result.error.message}`)
      return
    }
    const parsed = result.value
    const local = this.localNow(peer)
    const clock = peer.clocks.get(message.from)
    switch (parsed.type) {
      case 'sync/ping':
        clock?.handlePing(parsed, local)
        return
      case 'sync/pong':
        clock?.handlePong(parsed, local)
        return
      case 'sync/command':
        peer.hlc = hlcReceive(peer.hlc, parsed.command.stamp, this.sharedNow(peer) ?? local)
        peer.log = addCommand(peer.log, parsed.command)
        return
      case 'sync/state':
        peer.log = parsed.commands.reduce(addCommand, createLog(parsed.base))
        return
      case 'sync/status':
        peer.reports.set(message.from, {
          stalled: parsed.stalled,
          since: parsed.since,
          at: parsed.at,
          optOut: parsed.optOut,
        })
        return
    }
  }

  /** A member changes the room (as its store would after a user action); returns the lead in ms. */
  issue(peerId: string, body: CommandBody): number {
    const peer = this.peers.get(peerId)!
    const sharedNow = this.sharedNow(peer)
    if (sharedNow === undefined) throw new Error(`${peerId} has no shared clock yet`)
    const maxRttMs = Math.max(0, ...[...this.estimates(peer).values()].map((e) => e?.rtt ?? 0))
    const { command, hlc } = issueCommand(body, { hlc: peer.hlc, peer: peer.id, sharedNow, maxRttMs })
    peer.hlc = hlc
    peer.log = addCommand(peer.log, command)
    this.broadcast(peer.id, { type: 'sync/command', command })
    return command.effectiveAt - sharedNow
  }

  #tick(peer: SimPeer): void {
    const shared = this.sharedNow(peer)
    if (shared === undefined) return
    peer.firstDecideAt ??= this.now
    const snapshot = peer.player.snapshot(this.now)
    const decision = decide(peer.log.timeline, snapshot, shared, peer.controller)
    peer.controller = decision.state
    peer.player.perform(this.now, decision.action)
    if (this.#holds) this.#holdTick(peer, snapshot, shared, decision.driftMs)
  }

  /** What a playback store does each tick for holds: report, evaluate, issue hold/release. */
  #holdTick(peer: SimPeer, snapshot: PlayerSnapshot, shared: number, driftMs: number | null): void {
    const timeline = peer.log.timeline
    const before = peer.readiness.stalled
    peer.readiness = updateReadiness(peer.readiness, snapshot, timeline.rate, shared)
    const { stalled, since } = peer.readiness
    peer.reports.set(peer.id, { stalled, since, at: shared, optOut: false })
    if (before !== peer.readiness.stalled || this.now >= peer.nextStatus) {
      peer.nextStatus = this.now + 250
      this.broadcast(peer.id, {
        type: 'sync/status',
        at: shared,
        position: snapshot.currentTime,
        bufferedAhead: snapshot.bufferedAhead,
        stalled: peer.readiness.stalled,
        since: peer.readiness.since,
        optOut: false,
        holding: peer.readiness.stalled,
        driftMs,
        rttMs: null,
      })
    }
    const evaluation = evaluateHold(peer.reports, timeline, shared, peer.hold)
    peer.hold = evaluation.state
    if (evaluation.decision === 'none') return
    this.holdCommands.push({ peer: peer.id, kind: evaluation.decision, at: this.now })
    this.issue(peer.id, { kind: evaluation.decision })
  }

  /** Runs until true time `until` (ms), calling `onMs` after every step. */
  run(until: number, onMs: (t: number) => void = () => {}): void {
    for (; this.now <= until; this.now++) {
      for (const peer of this.peers.values()) {
        if (!peer.joined && this.now >= (this.#joinAt[peer.id] ?? 0)) this.#join(peer)
      }
      const due = this.#queue.filter((m) => m.at <= this.now).sort((a, b) => a.at - b.at || a.seq - b.seq)
      if (due.length > 0) {
        this.#queue = this.#queue.filter((m) => m.at > this.now)
        for (const message of due) this.#deliver(message)
      }
      for (const peer of this.peers.values()) {
        if (!peer.joined) continue
        for (const [id, at] of peer.nextPing) {
          if (at > this.now) continue
          const clock = peer.clocks.get(id)!
          clock.ping()
          peer.nextPing.set(id, this.now + clock.nextPingDelayMs())
        }
        if (peer.nextTick <= this.now) {
          this.#tick(peer)
          peer.nextTick = this.now + 50 + Math.floor(this.rng.range(0, 10)) // setInterval jitter
        }
      }
      onMs(this.now)
    }
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

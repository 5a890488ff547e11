import { describe, expect, it } from 'vitest'
import type { FeatureHandle, FeatureHost, RoomFeature } from '../../src/lib/room/feature.ts'
import type { Timers } from '../../src/lib/timers.ts'
import { SEEK_LATENCY_INITIAL_MS, type PlayerSnapshot } from '../../src/lib/sync/decide.ts'
import { START_WAIT_MS } from '../../src/lib/sync/start.ts'
import { PLAYBACK_FEATURE } from '../../src/lib/sync/feature.ts'
import { PlaybackStore, TICK_MS } from '../../src/lib/sync/playback.svelte.ts'
import type { Player, UserAction } from '../../src/lib/sync/player.ts'
import { expectWarning } from '../console.ts'
import { snapshotOf } from './snapshot.ts'

/** True time of the test, ms; every member's app clock is this plus its skew. */
let trueNow = 0

/** Members of one room, delivering feature bodies through JSON at once (zero latency). */
class Hub {
  readonly rooms = new Map<string, FakeRoom>()
  host = 'a'
  locked = false
  /** While set, bodies wait in `queued` until `flush()` (messages in flight). */
  holding = false
  queued: (() => void)[] = []

  join(id: string): FakeRoom {
    const room = new FakeRoom(this, id)
    this.rooms.set(id, room)
    return room
  }

  deliver(from: string, body: unknown, to?: string): void {
    const json = JSON.stringify(body)
    if (this.holding) {
      this.queued.push(() => this.#deliverNow(from, json, to))
      return
    }
    this.#deliverNow(from, json, to)
  }

  /** Delivers what was in flight; what that sends is queued again while `holding`. */
  flush(): void {
    const queued = this.queued
    this.queued = []
    for (const deliver of queued) deliver()
  }

  #deliverNow(from: string, json: string, to?: string): void {
    for (const [id, room] of this.rooms) {
      if (id === from || (to !== undefined && id !== to)) continue
      room.features.get(PLAYBACK_FEATURE)?.onMessage(from, JSON.parse(json))
    }
  }
}

class FakeRoom implements FeatureHost {
  readonly features = new Map<string, RoomFeature>()
  constructor(
    private readonly hub: Hub,
    readonly selfId: string,
  ) {}
  get host(): string {
    return this.hub.host
  }
  get memberList(): { id: string; name: string }[] {
    return [...this.hub.rooms.keys()].map((id) => ({ id, name: id.toUpperCase() }))
  }
  registerFeature(name: string, feature: RoomFeature): FeatureHandle {
    this.features.set(name, feature)
    return {
      send: (body, to) => this.hub.deliver(this.selfId, body, to),
      unregister: () => this.features.delete(name),
    }
  }
  canControlPlayback(peerId: string = this.selfId): boolean {
    return !this.hub.locked || peerId === this.hub.host
  }
}

/** A perfect player on true time: seeks land at once, play starts at once. */
class FakePlayer implements Player {
  position = 0
  paused = true
  rate = 1
  #since = 0
  #listeners = new Set<(action: UserAction) => void>()
  get currentTime(): number {
    return this.paused ? this.position : this.position + ((trueNow - this.#since) / 1000) * this.rate
  }
  #rebase(): void {
    this.position = this.currentTime
    this.#since = trueNow
  }
  snapshot(): PlayerSnapshot {
    return snapshotOf({ currentTime: this.currentTime, paused: this.paused, playbackRate: this.rate })
  }
  play(): Promise<void> {
    this.#rebase()
    this.paused = false
    return Promise.resolve()
  }
  pause(): void {
    this.#rebase()
    this.paused = true
  }
  seek(position: number): void {
    this.position = position
    this.#since = trueNow
  }
  setRate(rate: number): void {
    this.#rebase()
    this.rate = rate
  }
  onUserAction(listener: (action: UserAction) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
  /** The person acted on the element. */
  user(action: UserAction): void {
    for (const listener of this.#listeners) listener(action)
  }
}

/** A player whose element has nothing loaded until `load()`, which tells the store at once (as media events do). */
class LoadingPlayer extends FakePlayer {
  loaded = false
  readonly #progress = new Set<() => void>()
  override snapshot(): PlayerSnapshot {
    return this.loaded ? super.snapshot() : { ...super.snapshot(), readyState: 0 }
  }
  onMediaProgress(listener: () => void): () => void {
    this.#progress.add(listener)
    return () => this.#progress.delete(listener)
  }
  load(): void {
    this.loaded = true
    for (const listener of this.#progress) listener()
  }
}

/** Timers the test drives: every store's interval runs at each step, and each timeout at the first step past it. */
class ManualTimers implements Timers {
  readonly intervals = new Map<number, () => void>()
  readonly timeouts = new Map<number, { fn: () => void; at: number }>()
  #next = 1
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++
    this.timeouts.set(id, { fn, at: trueNow + ms })
    return id
  }
  clearTimeout(handle: unknown): void {
    this.timeouts.delete(handle as number)
  }
  /** Runs the timeouts that are due. */
  fire(): void {
    for (const [id, { fn, at }] of [...this.timeouts])
      if (at <= trueNow) {
        this.timeouts.delete(id)
        fn()
      }
  }
  setInterval(fn: () => void): unknown {
    const id = this.#next++
    this.intervals.set(id, fn)
    return id
  }
  clearInterval(handle: unknown): void {
    this.intervals.delete(handle as number)
  }
}

interface Member {
  store: PlaybackStore
  player: FakePlayer
  room: FakeRoom
}

function setup(skews: Record<string, number>) {
  trueNow = 1_000_000
  const hub = new Hub()
  const timers = new ManualTimers()
  const members: Record<string, Member> = {}
  const add = (id: string, skew: number) => {
    const room = hub.join(id)
    const store = new PlaybackStore({ room, timers, now: () => trueNow + skew })
    const player = new FakePlayer()
    store.attachPlayer(player)
    members[id] = { store, player, room }
    return members[id]
  }
  for (const [id, skew] of Object.entries(skews)) add(id, skew)
  const run = (ms: number) => {
    for (let t = 0; t < ms; t += TICK_MS) {
      trueNow += TICK_MS
      timers.fire()
      for (const tick of [...timers.intervals.values()]) tick()
    }
  }
  return { hub, timers, members, add, run }
}

const spread = (members: Member[]) => {
  const times = members.map((m) => m.player.currentTime)
  return (Math.max(...times) - Math.min(...times)) * 1000
}

describe('PlaybackStore', () => {
  it('a play from one member plays every member on the same frame, clocks seconds apart', () => {
    const { members, run } = setup({ a: 0, b: 1500, c: -900 })
    const all = Object.values(members)
    expect(all.some((m) => m.store.timeKnown)).toBe(false)
    run(1_000) // clock bursts
    expect(all.every((m) => m.store.ready && m.store.timeKnown)).toBe(true)
    members.b!.store.play()
    run(2_000)
    for (const m of all) expect(m.player.paused).toBe(false)
    expect(spread(all)).toBeLessThan(5)
    expect(members.c!.store.timeline.playing).toBe(true)
  })

  it("the element's own pause and seek become room commands", () => {
    const { members, run } = setup({ a: 0, b: 700 })
    const all = Object.values(members)
    run(1_000)
    members.a!.store.play()
    run(1_000)
    members.b!.player.pause()
    members.b!.player.user({ type: 'pause' })
    run(500)
    expect(all.every((m) => m.player.paused)).toBe(true)
    members.b!.player.seek(42)
    members.b!.player.user({ type: 'seek', position: 42 })
    run(1_000)
    for (const m of all) expect(m.player.currentTime).toBeCloseTo(42, 2)
    expect(members.b!.store.counters.commands).toBe(2)
  })

  it('under the host lock, a guest cannot change the room and its forged commands are refused', () => {
    const { hub, members, run } = setup({ a: 0, b: 300 })
    run(1_000)
    hub.locked = true
    members.b!.store.play()
    run(1_000)
    expect(members.a!.player.paused).toBe(true)
    // b plays its element: no command, and the controller puts it back.
    members.b!.player.play()
    members.b!.player.user({ type: 'play' })
    run(500)
    expect(members.b!.player.paused).toBe(true)
    const forged = {
      type: 'sync/command',
      command: { kind: 'play', stamp: { wall: 2e6, counter: 0, peer: 'b' }, effectiveAt: 0 },
    }
    hub.deliver('b', forged, 'a')
    run(500)
    expect(members.a!.store.timeline.playing).toBe(false)
    expectWarning(/^playback: ignored play from b: the host locked the controls$/)
  })

  it('drops a command whose stamp is far ahead with a huge counter: playback goes on for everyone', () => {
    const { hub, members, run } = setup({ a: 0, b: 300, c: -200 })
    run(1_000)
    const forged = {
      type: 'sync/command',
      command: { kind: 'pause', stamp: { wall: 1e15, counter: 2 ** 53 - 2, peer: 'b' }, effectiveAt: 0 },
    }
    hub.deliver('b', forged)
    expectWarning(/^playback: ignored pause from b: its stamp is out of bounds$/)
    expectWarning(/^playback: ignored pause from b: its stamp is out of bounds$/)
    for (const step of ['play', 'pause', 'play'] as const) {
      if (step === 'play') members.a!.store.play()
      else members.a!.store.pause()
      run(1_000)
      for (const m of Object.values(members)) expect(m.store.timeline.playing).toBe(step === 'play')
    }
  })

  it("drops a snapshot with a stamp far ahead, and one from a guest under the host's lock", () => {
    const { hub, members, add, run } = setup({ a: 0, b: 300 })
    run(1_000)
    members.a!.store.play()
    run(1_000)
    const late = add('c', 100)
    const feature = late.room.features.get(PLAYBACK_FEATURE)!
    const good = JSON.parse(JSON.stringify(members.b!.room.features.get(PLAYBACK_FEATURE)!.snapshot!())) as {
      state: { commands: { stamp: { wall: number; counter: number } }[] }
    }
    const forged = structuredClone(good)
    for (const command of forged.state.commands) command.stamp.counter = 2 ** 40
    feature.applySnapshot!('b', forged)
    expectWarning(/^playback: ignored a snapshot from b: a command: its stamp is out of bounds$/)
    hub.locked = true
    feature.applySnapshot!('b', good)
    expectWarning(/^playback: ignored a snapshot from b: the host locked the controls$/)
    expect(late.store.timeline.playing).toBe(false)
    feature.applySnapshot!(
      'a',
      JSON.parse(JSON.stringify(members.a!.room.features.get(PLAYBACK_FEATURE)!.snapshot!())),
    )
    run(1_000)
    expect(late.store.timeline.playing).toBe(true)
  })

  it('a late joiner adopts the room from the snapshot and lands in sync', () => {
    const { members, add, run } = setup({ a: 0, b: -1500 })
    run(1_000)
    members.a!.store.play()
    run(3_000)
    const late = add('c', 900)
    // The room hands the newcomer every member's snapshot.
    for (const id of ['a', 'b']) {
      const snapshot = members[id]!.room.features.get(PLAYBACK_FEATURE)!.snapshot!()
      late.room.features.get(PLAYBACK_FEATURE)!.applySnapshot!(id, JSON.parse(JSON.stringify(snapshot)))
    }
    run(2_000)
    expect(late.player.paused).toBe(false)
    expect(spread(Object.values(members))).toBeLessThan(5)
  })

  it('a stalled member holds the room, which resumes together', () => {
    const { members, run } = setup({ a: 0, b: 400, c: -300 })
    const all = Object.values(members)
    run(1_000)
    members.a!.store.play()
    run(3_000)
    const stalled = members.c!.player
    const snapshot = stalled.snapshot.bind(stalled)
    stalled.snapshot = () => ({ ...snapshot(), readyState: 2, bufferedAhead: 0 })
    run(1_500)
    expect(members.a!.player.paused).toBe(true)
    expect(members.a!.store.held).toBe(true)
    expect(members.a!.store.waitingFor).toEqual(['C'])
    stalled.snapshot = snapshot
    run(2_000)
    for (const m of all) expect(m.player.paused).toBe(false)
    expect(spread(all)).toBeLessThan(5)
  })

  it('a member stuck longer than the room waits is dropped with a notice, and the room plays on', () => {
    const { members, run } = setup({ a: 0, b: 400, c: -300 })
    run(1_000)
    members.a!.store.play()
    run(3_000)
    const stalled = members.c!.player
    const snapshot = stalled.snapshot.bind(stalled)
    stalled.snapshot = () => ({ ...snapshot(), readyState: 2, bufferedAhead: 0 })
    run(1_500)
    expect(members.a!.player.paused).toBe(true)
    run(15_000)
    expect(members.a!.store.notices.join()).toContain('C has been buffering')
    expect(members.a!.player.paused).toBe(false)
    run(1_000)
    expect(members.a!.store.notices.join()).not.toContain('caught up') // still stuck
    stalled.snapshot = snapshot
    run(2_000)
    expect(members.a!.store.notices.at(-1)).toBe('C caught up')
  })

  it("when the host leaves, the next host's clock becomes the frame and the room plays on without a jump", () => {
    const { hub, members, run } = setup({ a: 0, b: 1500, c: -900 })
    run(1_000)
    members.b!.store.play()
    run(2_000)
    const rest = [members.b!, members.c!]
    const before = members.b!.player.currentTime
    members.a!.store.destroy()
    hub.rooms.delete('a')
    hub.host = 'b'
    run(2_000)
    // Rebased by the 1.5 s between a's clock and b's: playback ran on 2 s, it did not jump.
    for (const m of rest) expect(m.player.currentTime - before).toBeCloseTo(2, 1)
    expect(spread(rest)).toBeLessThan(5)
    members.c!.store.pause()
    run(1_000)
    for (const m of rest) expect(m.player.paused).toBe(true)
  })

  it('an element that gets its data is acted on at once, not at the next tick', () => {
    const { members, run } = setup({ a: 0, b: 400 })
    const loading = new LoadingPlayer()
    members.b!.store.attachPlayer(loading)
    run(1_000)
    members.a!.store.play()
    run(1_000)
    expect(loading.paused).toBe(true) // nothing loaded: nothing to play
    loading.load()
    expect(loading.paused).toBe(false)
    // It sought to the room's position, ahead by the seek latency it allows for (which this fake lacks).
    const aheadMs = (loading.currentTime - members.a!.player.currentTime) * 1000
    expect(Math.abs(aheadMs - SEEK_LATENCY_INITIAL_MS)).toBeLessThan(5)
  })

  it('an item starts when everyone can play it, all on the first frame', () => {
    const { members, run } = setup({ a: 0, b: 700 })
    const loading = new LoadingPlayer()
    members.b!.store.attachPlayer(loading)
    run(1_000)
    members.a!.store.setItem('item|0', true)
    members.b!.store.setItem('item|0')
    run(1_500)
    // a's own video is ready; b's is not: the room waits, and a's view says for whom.
    expect(members.a!.player.paused).toBe(true)
    expect(members.a!.store.timeline.playing).toBe(false)
    expect(members.a!.store.startingFor).toEqual(['B'])
    loading.load() // b can play, and everyone else can: b starts the room itself
    expect(members.a!.store.startingFor).toEqual([])
    expect(members.a!.store.timeline.playing).toBe(true)
    run(1_000)
    // No report to the adder and a play back: the last member to get ready sent the play.
    expect(members.b!.store.counters.commands).toBe(1)
    expect(members.a!.store.counters.commands).toBe(0)
    expect(loading.paused).toBe(false)
    expect(spread([members.a!, { ...members.b!, player: loading }])).toBeLessThan(5)
    // Nobody sought into a moving room: both started from the first frame.
    expect(loading.currentTime).toBeLessThan(1.2)
    expect(members.b!.store.counters.seeks).toBe(0)
  })

  it(`a member who never gets ready does not keep the room from starting: ${START_WAIT_MS} ms at most`, () => {
    const { members, run } = setup({ a: 0, b: -200 })
    members.b!.store.attachPlayer(new LoadingPlayer()) // never loads
    run(1_000)
    members.a!.store.setItem('item|0', true)
    members.b!.store.setItem('item|0')
    run(START_WAIT_MS - 200)
    expect(members.a!.store.timeline.playing).toBe(false)
    run(400)
    expect(members.a!.store.timeline.playing).toBe(true)
    run(500)
    expect(members.a!.player.paused).toBe(false)
    expect(members.a!.store.startingFor).toEqual([])
  })

  it('a member that holds the room while the item loads does not cancel the start: it plays on the release', () => {
    const { members, run } = setup({ a: 0, b: 300 })
    const adder = new LoadingPlayer()
    members.a!.store.attachPlayer(adder)
    const thin = new LoadingPlayer() // b can start, with too little buffered to keep playing: it holds
    members.b!.store.attachPlayer(thin)
    const full = thin.snapshot.bind(thin)
    thin.snapshot = () => ({ ...full(), bufferedAhead: 0.1 })
    run(1_000)
    members.a!.store.setItem('item|0', true)
    members.b!.store.setItem('item|0')
    thin.load()
    run(1_500)
    expect(members.a!.store.timeline.held).toBe(true) // b's hold reached the room before a was ready
    adder.load()
    run(500)
    expect(members.a!.store.timeline.playing).toBe(true) // a started it anyway, held
    expect(adder.paused).toBe(true)
    thin.snapshot = full // b has buffered enough: the room is released and plays, together
    run(1_500)
    expect(adder.paused).toBe(false)
    expect(thin.paused).toBe(false)
    expect(
      spread([
        { ...members.a!, player: adder },
        { ...members.b!, player: thin },
      ]),
    ).toBeLessThan(5)
  })

  it('two members who complete the start at the same moment both start it: the room plays once, together', () => {
    const { hub, members, run } = setup({ a: 0, b: 400 })
    const [pa, pb] = [new LoadingPlayer(), new LoadingPlayer()]
    members.a!.store.attachPlayer(pa)
    members.b!.store.attachPlayer(pb)
    run(1_000)
    members.a!.store.setItem('item|0', true)
    members.b!.store.setItem('item|0')
    run(500)
    hub.holding = true // each one's "ready" is still in flight when the other gets ready
    pa.load()
    pb.load()
    hub.flush() // the reports arrive: each sees everyone ready and sends a play
    hub.flush() // the plays arrive
    hub.holding = false
    run(1_000)
    expect(members.a!.store.counters.commands).toBe(1)
    expect(members.b!.store.counters.commands).toBe(1)
    expect(members.a!.store.timeline).toEqual(members.b!.store.timeline)
    expect(pa.paused || pb.paused).toBe(false)
    expect(
      spread([
        { ...members.a!, player: pa },
        { ...members.b!, player: pb },
      ]),
    ).toBeLessThan(5)
    expect(pa.currentTime).toBeLessThan(1.2) // from the first frame, no seek
    expect(members.a!.store.counters.seeks + members.b!.store.counters.seeks).toBe(0)
  })

  it('under the host lock, a guest who added the item leaves its start to the host', () => {
    const { hub, members, run } = setup({ a: 0, b: 250 })
    hub.locked = true // a hosts
    const loading = new LoadingPlayer()
    members.a!.store.attachPlayer(loading)
    run(1_000)
    members.b!.store.setItem('item|0', true) // b, a guest, added it
    members.a!.store.setItem('item|0')
    run(START_WAIT_MS + 500) // b's play would be refused by a: b sends none, not even after the wait
    expect(members.b!.store.counters.commands).toBe(0)
    expect(members.b!.store.timeline.playing).toBe(false)
    loading.load() // the host can play it too, and everyone else can: the host starts it
    run(500)
    expect(members.a!.store.counters.commands).toBe(1)
    expect(loading.paused).toBe(false)
    expect(members.b!.player.paused).toBe(false)
  })

  it('someone pressing play while the start waits ends the wait, with one play', () => {
    const { members, run } = setup({ a: 0, b: 300 })
    members.b!.store.attachPlayer(new LoadingPlayer())
    run(1_000)
    members.a!.store.setItem('item|0', true)
    members.b!.store.setItem('item|0')
    run(500)
    members.b!.store.play()
    run(START_WAIT_MS)
    expect(members.a!.player.paused).toBe(false)
    expect(members.a!.store.startingFor).toEqual([])
    expect(members.a!.store.counters.commands).toBe(0) // a never issued its own play
  })

  it('a change scheduled ahead runs every member at its instant, not at their next tick', () => {
    const { members, timers, run } = setup({ a: 0, b: 800 })
    run(1_000)
    members.a!.store.play()
    // Both the issuer and the receiver woke themselves for the command's instant.
    const due = [...timers.timeouts.values()].map((t) => t.at)
    expect(due).toHaveLength(2)
    expect(Math.abs(due[0]! - due[1]!)).toBeLessThan(2) // the same shared instant on both clocks
    trueNow = Math.max(...due) // between two ticks: no interval runs
    timers.fire()
    for (const m of [members.a!, members.b!]) expect(m.player.paused).toBe(false)
    expect(spread([members.a!, members.b!])).toBeLessThan(3)
  })

  it('a wake that comes early on the shared clock (its offset moved) wakes again for the rest, not a tick later', () => {
    let bSkew = 800
    const { members, timers, add, run } = setup({ a: 0 })
    const b = add('b', 0)
    b.store.destroy() // replaced by one whose clock the test moves
    const room = b.room
    const store = new PlaybackStore({ room, timers, now: () => trueNow + bSkew })
    const player = new FakePlayer()
    store.attachPlayer(player)
    run(1_000)
    members.a!.store.play()
    const due = Math.max(...[...timers.timeouts.values()].map((t) => t.at))
    bSkew -= 3 // b's clock steps back 3 ms (as a new offset sample can move shared time)
    trueNow = due
    timers.fire()
    expect(player.paused).toBe(true) // 3 ms early for b: not yet
    const again = [...timers.timeouts.values()].map((t) => t.at)
    expect(again).toEqual([due + 3]) // b woke itself for the rest
    trueNow = due + 3
    timers.fire()
    expect(player.paused).toBe(false)
  })

  it('a live screen has no timeline: play, pause, seek and speed are refused with a sentence', () => {
    trueNow = 1_000_000
    const hub = new Hub()
    const store = new PlaybackStore({ room: hub.join('a'), timers: new ManualTimers(), now: () => trueNow })
    store.attachPlayer(new FakePlayer())
    // What the store does when the playlist selects a screen item.
    store.setLive(true)
    store.setItem('')
    expect(store.live).toBe(true)
    store.toggle()
    expect(store.refused).toBe('This is a live screen share: it cannot be played.')
    store.seek(10)
    expect(store.refused).toBe('This is a live screen share: it cannot be sought.')
    store.setRate(2)
    expect(store.timeline.playing).toBe(false)
    expect(store.counters.commands).toBe(0)

    // Back to the film: commands go through again.
    store.setLive(false)
    store.setItem('a:1|')
    expect(store.live).toBe(false)
    expect(store.refused).toBeNull()
    store.play()
    expect(store.timeline.playing).toBe(true)
    store.destroy()
  })

  it("a seek bar's seek lands just past a keyframe within the pixel it points at; other seeks where asked", () => {
    trueNow = 1_000_000
    const hub = new Hub()
    const asked: number[] = []
    const store = new PlaybackStore({
      room: hub.join('a'),
      timers: new ManualTimers(),
      now: () => trueNow,
      keyframeAtOrAfter: (seconds) => {
        asked.push(seconds)
        return seconds <= 42.3 ? 42.3 : null
      },
    })
    store.attachPlayer(new FakePlayer())
    store.setItem('a:1|')
    store.seek(42, 0.5)
    expect(store.timeline.position).toBeCloseTo(42.301, 9)
    store.seek(41, 0.5) // the keyframe is 1.3 s on: further than the pixel spans
    expect(store.timeline.position).toBe(41)
    store.seek(50, 0.5) // none after it
    expect(store.timeline.position).toBe(50)
    expect(asked).toEqual([42, 41, 50])
    store.seek(42) // not from a bar: the index is not asked
    expect(store.timeline.position).toBe(42)
    expect(asked).toHaveLength(3)
    store.destroy()
  })

  it('destroy stops the loop and leaves the room feature', () => {
    const { timers, members } = setup({ a: 0 })
    members.a!.store.destroy()
    expect(timers.intervals.size).toBe(0)
    expect(members.a!.room.features.size).toBe(0)
  })
})

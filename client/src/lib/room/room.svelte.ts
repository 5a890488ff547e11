import { SvelteMap, SvelteSet } from 'svelte/reactivity'
import { randomId } from '../random.ts'
import { realTimers, type Timers } from '../timers.ts'
import type { SignalState } from '../signaling/client.ts'
import type { TransportDecision } from '../mesh/transport.ts'
import { appendEntry, chatHistory, chatText, mergeHistory, type ChatEntry } from './chat.ts'
import type { FeatureHandle, FeatureHost, RoomFeature } from './feature.ts'
import { cleanName, type RoomMembership } from './identity.ts'
import { byJoinOrder, longestPresent, resolveHost, uniqueNames, type MemberInfo } from './members.ts'
import {
  encodeRoomMessage,
  parseRoomMessage,
  type OutgoingRoomMessage,
  type RoomMessage,
  type Snapshot,
} from './protocol.ts'

/** A member whose connection dropped stays listed this long, so a reload is not a leave + join. */
export const LEAVE_GRACE_MS = 6000
/** How long the host keeps a removed member's link open so the removal reaches it. */
export const REMOVE_LINGER_MS = 1000
/** Round-trip pings to each member, also shown in the member list. */
export const PING_INTERVAL_MS = 2000
/**
 * A member we have heard nothing from (not even a pong) for this long is gone. A closed tab does not
 * always close its data channels, and the pipe alone cannot tell a closed tab from a lost server.
 */
export const LINK_SILENCE_MS = 6000
/** After joining, a newcomer moves its join time after everyone it finds (clocks disagree). */
export const JOIN_SETTLE_MS = 5000

/** What the room needs from the mesh (Mesh implements it; tests use an in-memory fake). */
export interface RoomTransport {
  on(event: 'transport', listener: (peerId: string, transport: TransportDecision) => void): () => void
  on(event: 'message', listener: (peerId: string, data: string) => void): () => void
  on(event: 'closed', listener: (peerId: string, reason: string) => void): () => void
  send(peerId: string, data: string): boolean
  broadcast(data: string): void
  /** Close the link to a member (it went silent); a later introduction may bring it back. */
  disconnect(peerId: string): void
  ban(peerId: string): void
}

/** What the room needs from the signaling client: its state, and to join the document. */
export interface RoomSignaling {
  readonly state: SignalState
  on(event: 'state', listener: (state: SignalState) => void): () => void
  /** Join (again): the server then introduces us to every member, healing dropped links. */
  join(documentId: string): void
}

export interface Member extends MemberInfo {
  transport: TransportDecision
  rtt: number | null
  /** Connection lost, within the grace period. */
  away: boolean
}

export interface MemberView {
  id: string
  name: string
  self: boolean
  host: boolean
  transport: TransportDecision | 'self'
  rtt: number | null
  away: boolean
}

export type RoomEnd = 'removed' | 'full'

export interface RoomOptions {
  selfId: string
  documentId: string
  membership: RoomMembership
  /** True when this tab's membership was created now (not restored after a reload). */
  fresh: boolean
  name: string
  transport: RoomTransport
  signaling: RoomSignaling
  /** Remember the chosen name for next time (localStorage in the app). */
  rememberName?: (name: string) => void
  /** Persist join-time changes (sessionStorage in the app). */
  saveMembership?: (membership: RoomMembership) => void
  timers?: Timers
  now?: () => number
}

export class Room implements FeatureHost {
  readonly selfId: string
  readonly documentId: string
  name = $state('')
  joinedAt = $state(0)
  connection = $state<SignalState>({ kind: 'connecting', attempt: 0 })
  hostId = $state<string | null>(null)
  locked = $state(false)
  chat = $state.raw<ChatEntry[]>([])
  ended = $state<RoomEnd | null>(null)
  started = $state(false)
  readonly members = new SvelteMap<string, Member>()
  readonly removed = new SvelteSet<string>()

  readonly #options: RoomOptions
  readonly #timers: Timers
  readonly #now: () => number
  // Bookkeeping nothing renders: plain Maps on purpose, not reactive ones.
  /* eslint-disable svelte/prefer-svelte-reactivity */
  readonly #features = new Map<string, RoomFeature>()
  readonly #graceTimers = new Map<string, unknown>()
  readonly #links = new Map<string, TransportDecision>()
  readonly #lastHeard = new Map<string, number>()
  /** Feature snapshots received before the feature registered: feature → sender → value. */
  readonly #unclaimedSnapshots = new Map<string, Map<string, unknown>>()
  /* eslint-enable svelte/prefer-svelte-reactivity */
  readonly #release: (() => void)[] = []
  #pingTimer: unknown = null
  #helloSeen = false
  #startedAt = 0

  constructor(options: RoomOptions) {
    this.#options = options
    this.#timers = options.timers ?? realTimers
    this.#now = options.now ?? Date.now
    this.selfId = options.selfId
    this.documentId = options.documentId
    this.name = cleanName(options.name)
    this.joinedAt = options.membership.joinedAt
    if (options.membership.creator) this.hostId = this.selfId
    this.connection = options.signaling.state
    const { transport } = options
    this.#release.push(
      options.signaling.on('state', (state) => (this.connection = state)),
      transport.on('transport', (peerId, decision) => this.#onTransport(peerId, decision)),
      transport.on('message', (peerId, data) => this.#onMessage(peerId, data)),
      transport.on('closed', (peerId, reason) => this.#onClosed(peerId, reason)),
    )
  }

  /** Everyone present (self included), with unique display names, longest-present first. */
  readonly memberList: MemberView[] = $derived.by(() => {
    const present = this.#presentInfo()
    const names = uniqueNames(present)
    const host = this.host
    return present.sort(byJoinOrder).map((info) => {
      const member = this.members.get(info.id)
      return {
        id: info.id,
        name: names.get(info.id) ?? info.name,
        self: info.id === this.selfId,
        host: info.id === host,
        transport: member ? member.transport : 'self',
        rtt: member?.rtt ?? null,
        away: member?.away ?? false,
      }
    })
  })

  /** The host as every member computes it: the known host if present, else the longest-present. */
  readonly host: string | null = $derived.by(() => resolveHost(this.#presentInfo(), this.hostId))
  readonly isHost: boolean = $derived.by(() => this.host === this.selfId)

  displayName(peerId: string): string {
    return (
      this.memberList.find((member) => member.id === peerId)?.name ?? this.members.get(peerId)?.name ?? '?'
    )
  }

  /** Whether a member may play, pause, seek or edit the playlist under the host's lock. */
  canControlPlayback(peerId: string = this.selfId): boolean {
    return !this.locked || peerId === this.host
  }

  /** Join the room on the signal server; needs a name first. */
  start(): void {
    if (this.started || !this.name || this.ended) return
    this.started = true
    this.#startedAt = this.#now()
    this.#options.signaling.join(this.documentId)
    this.#pingTimer = this.#timers.setInterval(() => this.#pingAll(), PING_INTERVAL_MS)
  }

  setName(input: string): void {
    const name = cleanName(input)
    if (!name) return
    this.name = name
    this.#options.rememberName?.(name)
    if (this.started) this.#broadcast({ type: 'presence', self: { name, joinedAt: this.joinedAt } })
    else this.start()
  }

  /** Returns false when the text is empty or too long. */
  sendChat(input: string): boolean {
    const text = chatText(input)
    if (text === null || !this.started || this.ended) return false
    const id = randomId().slice(0, 12)
    const at = this.#now()
    this.#addChat({
      kind: 'chat',
      id: `${this.selfId}:${id}`,
      from: this.selfId,
      name: this.displayName(this.selfId),
      text,
      at,
    })
    this.#broadcast({ type: 'chat', id, text, at })
    return true
  }

  setLocked(locked: boolean): void {
    if (!this.isHost || this.locked === locked) return
    this.locked = locked
    this.#broadcast({ type: 'lock', locked })
    this.#notice(locked ? 'Playback controls are locked to the host' : 'Everyone can control playback')
  }

  removeMember(peerId: string): void {
    if (!this.isHost || peerId === this.selfId) return
    this.#broadcast({ type: 'remove', peerId })
    // Ignore the member at once, but keep its link a moment so it learns it was removed.
    this.#drop(peerId, 'was removed', REMOVE_LINGER_MS)
  }

  /**
   * Plug a later layer into the room. Snapshots that arrived before it registered are handed to it
   * now, so a store created after the room connected still learns the room's state.
   */
  registerFeature(name: string, feature: RoomFeature): FeatureHandle {
    this.#features.set(name, feature)
    const unclaimed = this.#unclaimedSnapshots.get(name)
    this.#unclaimedSnapshots.delete(name)
    for (const [from, value] of unclaimed ?? []) {
      if (this.members.has(from)) feature.applySnapshot?.(from, value)
    }
    return {
      send: (body, to) => {
        const message: OutgoingRoomMessage = { type: 'feature', feature: name, body }
        if (to === undefined) this.#broadcast(message)
        else this.#send(to, message)
      },
      unregister: () => {
        if (this.#features.get(name) === feature) this.#features.delete(name)
      },
    }
  }

  /** A local notice in the chat (not history, not sent), for later layers: e.g. playback sync dropping a member. */
  notice(text: string): void {
    this.#notice(text)
  }

  destroy(): void {
    for (const release of this.#release.splice(0)) release()
    for (const timer of this.#graceTimers.values()) this.#timers.clearTimeout(timer)
    this.#graceTimers.clear()
    if (this.#pingTimer !== null) this.#timers.clearInterval(this.#pingTimer)
    this.#pingTimer = null
    this.#features.clear()
  }

  #presentInfo(): MemberInfo[] {
    const present: MemberInfo[] = [{ id: this.selfId, name: this.name, joinedAt: this.joinedAt }]
    for (const member of this.members.values())
      present.push({ id: member.id, name: member.name, joinedAt: member.joinedAt })
    return present
  }

  #onTransport(peerId: string, decision: TransportDecision): void {
    const previous = this.#links.get(peerId) ?? 'pending'
    this.#links.set(peerId, decision)
    const member = this.members.get(peerId)
    if (member) this.members.set(peerId, { ...member, transport: decision })
    // A new (or renegotiated) link: introduce ourselves with everything a newcomer needs.
    if (previous === 'pending' && (decision === 'webrtc' || decision === 'relay')) {
      this.#send(peerId, {
        type: 'hello',
        self: { name: this.name, joinedAt: this.joinedAt },
        snapshot: this.#snapshot(),
      })
    }
  }

  #onMessage(from: string, data: string): void {
    if (this.removed.has(from) || this.ended) return
    this.#lastHeard.set(from, this.#now())
    const parsed = parseRoomMessage(data)
    if (!parsed.ok) {
      console.warn(`room: ignored a message from ${from}: ${parsed.error.code} ${parsed.error.message}`)
      return
    }
    this.#handle(from, parsed.value)
  }

  #handle(from: string, message: RoomMessage): void {
    switch (message.type) {
      case 'hello':
        return this.#onHello(from, message.self, message.snapshot)
      case 'presence': {
        const member = this.members.get(from)
        if (member)
          this.members.set(from, {
            ...member,
            name: cleanName(message.self.name),
            joinedAt: message.self.joinedAt,
          })
        return
      }
      case 'chat':
        if (!this.members.has(from)) return
        this.#addChat({
          kind: 'chat',
          id: `${from}:${message.id}`,
          from,
          name: this.displayName(from),
          text: message.text,
          at: message.at,
        })
        return
      case 'lock':
        if (from !== this.host || this.locked === message.locked) return
        this.locked = message.locked
        this.#notice(
          message.locked ? 'Playback controls are locked to the host' : 'Everyone can control playback',
        )
        return
      case 'remove':
        if (from !== this.host || message.peerId === from) return
        if (message.peerId === this.selfId) {
          this.ended = 'removed'
          this.#notice('The host removed you from the room')
          return
        }
        this.#drop(message.peerId, 'was removed')
        return
      case 'ping':
        this.#send(from, { type: 'pong', t: message.t })
        return
      case 'pong': {
        const member = this.members.get(from)
        if (member) this.members.set(from, { ...member, rtt: Math.max(0, this.#now() - message.t) })
        return
      }
      case 'feature':
        this.#features.get(message.feature)?.onMessage(from, message.body)
        return
      default:
        message satisfies never
    }
  }

  #onHello(from: string, self: { name: string; joinedAt: number }, snapshot: Snapshot): void {
    const existing = this.members.get(from)
    const wasAway = existing?.away ?? false
    this.#cancelGrace(from)
    this.members.set(from, {
      id: from,
      name: cleanName(self.name),
      joinedAt: self.joinedAt,
      transport: this.#links.get(from) ?? 'pending',
      rtt: existing?.rtt ?? null,
      away: false,
    })
    const firstHello = !this.#helloSeen
    this.#helloSeen = true
    if (firstHello) {
      for (const id of snapshot.removed) this.removed.add(id)
      this.#settleJoinTime(self.joinedAt, snapshot)
    }
    if (!existing && self.joinedAt > this.joinedAt) this.#notice(`${this.displayName(from)} joined`)
    if (!existing || wasAway) {
      for (const feature of this.#features.values()) feature.onMemberJoined?.(from)
    }
    // The host: a newcomer adopts the room's; two different known hosts resolve the same way everywhere.
    if (this.hostId === null) this.hostId = snapshot.hostId
    else if (snapshot.hostId !== null && snapshot.hostId !== this.hostId) {
      this.hostId = resolveHost(this.#presentInfo(), this.hostId, snapshot.hostId)
    }
    if (firstHello || from === this.host) this.locked = snapshot.locked
    this.chat = mergeHistory(this.chat, snapshot.chat)
    for (const [name, value] of Object.entries(snapshot.features)) {
      const feature = this.#features.get(name)
      if (feature) {
        feature.applySnapshot?.(from, value)
        continue
      }
      let unclaimed = this.#unclaimedSnapshots.get(name)
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
      if (!unclaimed) this.#unclaimedSnapshots.set(name, (unclaimed = new Map()))
      unclaimed.set(from, value)
    }
  }

  /**
   * Clocks disagree, so a newcomer whose clock runs behind would claim to have been here first
   * (and later inherit the host role out of turn). The first hello a newcomer gets comes from
   * someone already in the room and lists who else is there: move our join time after all of them.
   */
  #settleJoinTime(joinedAt: number, snapshot: Snapshot): void {
    if (!this.#options.fresh || this.#options.membership.creator) return
    if (this.#now() - this.#startedAt > JOIN_SETTLE_MS) return
    const latest = Math.max(
      joinedAt,
      ...snapshot.members.filter((member) => member.id !== this.selfId).map((member) => member.joinedAt),
    )
    if (latest < this.joinedAt) return
    this.joinedAt = latest + 1
    this.#options.saveMembership?.({ creator: false, joinedAt: this.joinedAt })
    this.#broadcast({ type: 'presence', self: { name: this.name, joinedAt: this.joinedAt } })
  }

  #onClosed(peerId: string, reason: string): void {
    this.#links.delete(peerId)
    if (reason === 'full' && this.members.size === 0) {
      this.ended = 'full'
      return
    }
    this.#lastHeard.delete(peerId)
    const member = this.members.get(peerId)
    if (!member || this.#graceTimers.has(peerId) || this.removed.has(peerId)) return
    // Silent for LINK_SILENCE_MS already: that was the grace period.
    if (reason === 'silent') return this.#leave(peerId, 'left')
    this.members.set(peerId, { ...member, away: true, transport: 'closed', rtt: null })
    this.#graceTimers.set(
      peerId,
      this.#timers.setTimeout(() => {
        this.#graceTimers.delete(peerId)
        this.#leave(peerId, 'left')
      }, LEAVE_GRACE_MS),
    )
  }

  #cancelGrace(peerId: string): void {
    const timer = this.#graceTimers.get(peerId)
    if (timer === undefined) return
    this.#timers.clearTimeout(timer)
    this.#graceTimers.delete(peerId)
  }

  /** Everyone drops a removed member and ignores it from now on. */
  #drop(peerId: string, verb: string, lingerMs = 0): void {
    this.removed.add(peerId)
    this.#cancelGrace(peerId)
    if (lingerMs === 0) this.#options.transport.ban(peerId)
    else {
      this.#graceTimers.set(
        peerId,
        this.#timers.setTimeout(() => {
          this.#graceTimers.delete(peerId)
          this.#options.transport.ban(peerId)
        }, lingerMs),
      )
    }
    this.#leave(peerId, verb)
  }

  #leave(peerId: string, verb: string): void {
    const member = this.members.get(peerId)
    if (!member) return
    const name = this.displayName(peerId)
    const wasHost = this.host === peerId
    this.members.delete(peerId)
    this.#notice(`${name} ${verb}`)
    for (const feature of this.#features.values()) feature.onMemberLeft?.(peerId)
    // Hand-over without a vote: every member computes the same longest-present member.
    if (this.hostId === peerId) this.hostId = longestPresent(this.#presentInfo())
    if (wasHost && this.host) this.#notice(`${this.displayName(this.host)} is now the host`)
  }

  #snapshot(): Snapshot {
    const features: Record<string, unknown> = {}
    for (const [name, feature] of this.#features) if (feature.snapshot) features[name] = feature.snapshot()
    return {
      members: this.#presentInfo(),
      hostId: this.host,
      locked: this.locked,
      removed: [...this.removed],
      chat: chatHistory(this.chat),
      features,
    }
  }

  #pingAll(): void {
    const now = this.#now()
    this.#broadcast({ type: 'ping', t: now })
    let dropped = false
    for (const member of this.members.values()) {
      if (member.away || (member.transport !== 'webrtc' && member.transport !== 'relay')) continue
      if (now - (this.#lastHeard.get(member.id) ?? now) < LINK_SILENCE_MS) continue
      this.#options.transport.disconnect(member.id)
      dropped = true
    }
    // If that member is in fact alive, joining again makes the server introduce us anew.
    if (dropped) this.#options.signaling.join(this.documentId)
  }

  #addChat(entry: ChatEntry): void {
    this.chat = appendEntry(this.chat, entry)
  }

  #notice(text: string): void {
    this.#addChat({ kind: 'notice', id: `notice:${randomId()}`, text, at: this.#now() })
  }

  #send(peerId: string, message: OutgoingRoomMessage): void {
    this.#options.transport.send(peerId, encodeRoomMessage(message))
  }

  #broadcast(message: OutgoingRoomMessage): void {
    this.#options.transport.broadcast(encodeRoomMessage(message))
  }
}

import { base64url, randomId } from '../random.ts'
import { realTimers, type Timers } from '../timers.ts'
import type { SignalState } from '../signaling/client.ts'
import { carries, type TransportDecision } from '../mesh/transport.ts'
import type { Bytes, Signer } from '../mesh/signing.ts'
import { chatText, type ChatEntry } from './chat.ts'
import { signChat, verifyChat, verifyHistoryEntry } from './chat-signing.ts'
import {
  chainHost,
  genesisBody,
  handoverBody,
  nextRoster,
  nextState,
  rotateFault,
  successionBody,
  type Authority,
  type GrantBody,
  type RotateBody,
  type Signed,
  type StatementBody,
  type Verified,
  type VerifiedGrant,
} from './authority.ts'
import { signStatement, verifyAuthority, verifyStatement } from './authority-signing.ts'
import { createRoomSecret } from './link.ts'
import { ChatLog } from './chat-log.svelte.ts'
import type { FeatureHandle, FeatureHost, RoomFeature } from './feature.ts'
import { FeatureSet } from './feature-set.ts'
import { cleanName, type RoomMembership } from './identity.ts'
import { Liveness } from './liveness.ts'
import { boundMessageTimes } from './bounds.ts'
import { boundTime, withinDay } from '../wire/time.ts'
import { PENALTY_MS, RateLimiter, type RateLimits } from './rate-limit.ts'
import {
  encodeRoomMessage,
  parseRoomMessage,
  type OutgoingRoomMessage,
  type HistoryEntry,
  type RoomMessage,
  type Snapshot,
} from './protocol.ts'
import {
  JOIN_SETTLE_MS,
  authorityDue,
  hostOf,
  initialRegistry,
  lockedIn,
  presentIds,
  removedIn,
  memberViews,
  registrySnapshot,
  stepRegistry,
  type Member,
  type MemberView,
  type RegistryEffect,
  type RegistryEvent,
  type RegistryState,
  type RoomEnd,
} from './registry.ts'

export { JOIN_SETTLE_MS, LEAVE_GRACE_MS, REMOVE_LINGER_MS } from './registry.ts'
export type { Member, MemberView, RoomEnd } from './registry.ts'
export { LINK_SILENCE_MS, PING_INTERVAL_MS } from './liveness.ts'

/**
 * What one member may have sent a tab that is linked but has not entered yet (its person is still choosing a
 * name): kept in order and handled once it enters. Past either bound, the link to that member is dropped, and
 * the entry asks to be introduced again, for a fresh hello. The bytes (UTF-16 code units of the JSON text) are
 * a few hellos' worth: one may be up to 1,000,000 (protocol.ts).
 */
export const MAX_EARLY_MESSAGES = 512
export const MAX_EARLY_BYTES = 8_000_000

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
  /** The public key a member's link verified (its peer id is the key's hash); null before that. */
  publicKey(peerId: string): Bytes | null
}

/** What the room needs from the signaling client: its state, and to join the document. */
export interface RoomSignaling {
  readonly state: SignalState
  on(event: 'state', listener: (state: SignalState) => void): () => void
  /** Join (again): the server then introduces us to every member, healing dropped links. */
  join(documentId: string): void
}

export interface RoomOptions {
  selfId: string
  documentId: string
  membership: RoomMembership
  /** True when this tab's membership was created now (not restored after a reload). */
  fresh: boolean
  name: string
  transport: RoomTransport
  signaling: RoomSignaling
  /** This tab's identity: signs its chat lines (its peer id is `selfId`). */
  signer: Signer
  /** Remember the chosen name for next time (localStorage in the app). */
  rememberName?: (name: string) => void
  /** Persist join-time changes (sessionStorage in the app). */
  saveMembership?: (membership: RoomMembership) => void
  timers?: Timers
  now?: () => number
  /**
   * The feature names members may send besides those registered: features that register after the room
   * connected (their snapshots are kept until then). Anything else is dropped.
   */
  features?: readonly string[]
  /** Each member's message budget (rate-limit.ts). */
  rateLimits?: RateLimits
  /**
   * The host moves the room to a new link (`secret`): the app derives its keys and calls `moveTo` with the
   * new document and its transport. Without it, this tab cannot follow a rotation.
   */
  onRotate?: (secret: string) => void
}

/**
 * A room as the UI and the later layers see it. It wires the parts to the transports: the member
 * registry (who is here, host, lock: pure, in registry.ts), the chat log, liveness (pings, silent
 * links) and the plugged-in features; timers for grace periods and removals run here.
 */
export class Room implements FeatureHost {
  readonly selfId: string

  #registry: RegistryState
  #connection: SignalState
  #started = $state(false)
  // Each registry field through its own derived: a reader reruns when that field changes, not on every pong.
  readonly #name = $derived.by(() => this.#registry.self.name)
  readonly #joinedAt = $derived.by(() => this.#registry.self.joinedAt)
  readonly #authority = $derived.by(() => this.#registry.authority)
  readonly #hostId = $derived.by(() => (this.#authority ? chainHost(this.#authority) : null))
  readonly #locked = $derived.by(() => lockedIn(this.#registry))
  readonly #ended = $derived.by(() => this.#registry.ended)
  readonly #members = $derived.by(() => this.#registry.members)
  readonly #removed = $derived.by(() => removedIn(this.#registry))
  /** The document this room is in now; it changes when the host rotates the link. */
  #documentId = $state('')

  readonly #options: RoomOptions
  readonly #timers: Timers
  readonly #now: () => number
  readonly #chat: ChatLog
  readonly #features: FeatureSet
  readonly #liveness: Liveness
  readonly #limiter: RateLimiter
  // Bookkeeping nothing renders: plain Maps on purpose, not reactive ones.
  /* eslint-disable svelte/prefer-svelte-reactivity */
  /** Each member's pending timer: its grace period, or the host's wait before banning it. */
  readonly #memberTimers = new Map<string, unknown>()
  readonly #links = new Map<string, TransportDecision>()
  /** How many of `#early` (below) each member sent, and their size. */
  readonly #earlyCount = new Map<string, { messages: number; bytes: number }>()
  /* eslint-enable svelte/prefer-svelte-reactivity */
  readonly #release: (() => void)[] = []
  /** The current transport's listeners, released when the room moves to another document. */
  #releaseTransport: (() => void)[] = []
  #transport: RoomTransport
  /** Every document this room has been in: chat lines signed in an earlier one still check. */
  readonly #documents: string[] = []
  /** Chat signing and checking, one after the other so lines keep their order. */
  #chatWork: Promise<void> = Promise.resolve()
  /** Authority statements signed and checked one after the other, each on the latest chain. */
  #authorityWork: Promise<void> = Promise.resolve()
  #authorityQueued = false
  #settleTimer: unknown = null
  /** Joined on the signal server: links with the members form, whether or not this tab has entered. */
  #linking = false
  /** What members sent before this tab entered, in arrival order; handled when it enters. */
  #early: { from: string; message: RoomMessage }[] = []
  /** A link closed before this tab entered: the entry asks the signal server to introduce everyone again. */
  #rejoinOnEntry = false

  constructor(options: RoomOptions) {
    this.#options = options
    this.#timers = options.timers ?? realTimers
    this.#now = options.now ?? Date.now
    this.selfId = options.selfId
    this.#documentId = options.documentId
    this.#documents.push(options.documentId)
    this.#transport = options.transport
    const self = { id: this.selfId, name: cleanName(options.name), joinedAt: options.membership.joinedAt }
    this.#registry = $state.raw(initialRegistry(self))
    this.#connection = $state(options.signaling.state)
    this.#chat = new ChatLog(this.#now)
    this.#features = new FeatureSet({
      send: (message, to) => (to === undefined ? this.#broadcast(message) : this.#send(to, message)),
      isMember: (peerId) => this.members.has(peerId),
      expected: options.features ?? [],
    })
    this.#limiter = new RateLimiter(options.rateLimits)
    this.#liveness = new Liveness({
      timers: this.#timers,
      now: this.#now,
      members: () => this.members.values(),
      ping: (t) => this.#broadcast({ type: 'ping', t }),
      disconnect: (peerId) => this.#transport.disconnect(peerId),
      rejoin: () => options.signaling.join(this.documentId),
    })
    this.#release.push(options.signaling.on('state', (state) => (this.#connection = state)))
    this.#listen(options.transport)
  }

  #listen(transport: RoomTransport): void {
    this.#releaseTransport = [
      transport.on('transport', (peerId, decision) => this.#onTransport(peerId, decision)),
      transport.on('message', (peerId, data) => this.#onMessage(peerId, data)),
      transport.on('closed', (peerId, reason) => this.#onClosed(peerId, reason)),
    ]
  }

  get documentId(): string {
    return this.#documentId
  }

  get name(): string {
    return this.#name
  }
  get joinedAt(): number {
    return this.#joinedAt
  }
  get connection(): SignalState {
    return this.#connection
  }
  /** The host of the signed chain (present or not); `host` is who is host among those present. */
  get hostId(): string | null {
    return this.#hostId
  }
  get locked(): boolean {
    return this.#locked
  }
  get chat(): ChatEntry[] {
    return this.#chat.entries
  }
  get ended(): RoomEnd | null {
    return this.#ended
  }
  /** This tab entered the room: it has a name and introduced itself (its `hello`) on every link. */
  get started(): boolean {
    return this.#started
  }
  /** Links up (WebRTC or the relay) to other tabs, whether or not they or this tab entered yet. */
  get linkCount(): number {
    let count = 0
    for (const decision of this.#links.values()) if (carries(decision)) count++
    return count
  }
  /** Everyone else we had a hello from. */
  get members(): ReadonlyMap<string, Member> {
    return this.#members
  }
  /** Members the host removed. */
  get removed(): ReadonlySet<string> {
    return this.#removed
  }

  /** Everyone present (self included), with unique display names, longest-present first. */
  readonly memberList: MemberView[] = $derived.by(() => memberViews(this.#registry))
  /** The host as every member computes it: the known host if present, else the longest-present. */
  readonly host: string | null = $derived.by(() => hostOf(this.#registry))
  readonly isHost: boolean = $derived.by(() => this.host === this.selfId)
  /** The room's signed authority chain (authority.ts); null until this tab has one. */
  get authority(): Authority | null {
    return this.#authority
  }

  displayName(peerId: string): string {
    return (
      this.memberList.find((member) => member.id === peerId)?.name ?? this.members.get(peerId)?.name ?? '?'
    )
  }

  /** Whether a member may play, pause, seek or edit the playlist under the host's lock. */
  canControlPlayback(peerId: string = this.selfId): boolean {
    return !this.locked || peerId === this.host
  }

  /**
   * Join the room on the signal server: the links with the members form at once. With a name this tab also
   * enters; without one (its person is still choosing it) it stays silent on its links and unlisted, keeps
   * what the members send, and enters on `setName`.
   */
  start(): void {
    if (this.ended) return
    if (!this.#linking) {
      this.#linking = true
      this.#options.signaling.join(this.documentId)
    }
    if (this.name) this.#enter()
  }

  /**
   * Enter the room: introduce ourselves on every link that is up (the others do on theirs), then handle what
   * the members sent meanwhile, in the order it came, as if it came now.
   */
  #enter(): void {
    if (this.started || this.ended) return
    this.#started = true
    const { fresh, membership } = this.#options
    this.#dispatch({ type: 'start', settle: fresh && !membership.creator, mint: fresh && membership.creator })
    this.#settleTimer = this.#timers.setTimeout(() => this.#dispatch({ type: 'settled' }), JOIN_SETTLE_MS)
    if (this.#rejoinOnEntry) {
      this.#rejoinOnEntry = false
      this.#options.signaling.join(this.documentId)
    }
    this.#liveness.start()
    for (const [peerId, decision] of this.#links) if (carries(decision)) this.#hello(peerId)
    const early = this.#early
    this.#early = []
    this.#earlyCount.clear()
    for (const { from, message } of early)
      if (!this.removed.has(from) && !this.ended) this.#handle(from, message)
  }

  setName(input: string): void {
    const name = cleanName(input)
    if (!name) return
    this.#dispatch({ type: 'rename', name })
    this.#options.rememberName?.(name)
    if (this.started) this.#broadcast({ type: 'presence', self: { name, joinedAt: this.joinedAt } })
    else this.start()
  }

  /** Returns false when the text is empty or too long. The line shows and goes out once signed. */
  sendChat(input: string): boolean {
    const text = chatText(input)
    if (text === null || !this.started || this.ended) return false
    const id = randomId().slice(0, 12)
    const at = this.#now()
    const name = this.name
    const line = {
      documentId: this.documentId,
      id: `${this.selfId}:${id}`,
      from: this.selfId,
      name,
      text,
      at,
    }
    this.#queueChat(async () => {
      const signature = await signChat(this.#options.signer, line)
      const { documentId: _, ...entry } = line
      this.#chat.add({ kind: 'chat', ...entry, name: this.displayName(this.selfId), signature })
      this.#broadcast({ type: 'chat', id, name, text, at, sig: signature.sig })
    })
    return true
  }

  /** The public key a member's link verified, for checking what it signs; null when not linked. */
  publicKey(peerId: string): Bytes | null {
    return this.#transport.publicKey(peerId)
  }

  /** Resolves once the chat lines sent and received so far are signed or checked (for tests). */
  chatSettled(): Promise<void> {
    return this.#chatWork
  }

  /** Resolves once the authority statements sent and received so far are signed or checked (for tests). */
  authoritySettled(): Promise<void> {
    return this.#authorityWork
  }

  /** Host only: lock playback controls to the host, or unlock them (a signed state, authority.ts). */
  setLocked(locked: boolean): void {
    this.#hostStatement((authority) => nextState(authority, this.#roster(authority), { locked }))
  }

  /** Host only: everyone drops the member and ignores it from now on. */
  removeMember(peerId: string): void {
    if (peerId === this.selfId) return
    this.#hostStatement((authority) => nextState(authority, this.#roster(authority), { remove: peerId }))
  }

  /** Host only: hand the host role to a present member (a signed hand-over, authority.ts). */
  makeHost(peerId: string): void {
    if (peerId === this.selfId) return
    this.#hostStatement((authority) =>
      this.members.has(peerId) && !this.removed.has(peerId) ? handoverBody(authority, peerId) : null,
    )
  }

  /**
   * Host only: move the room to a new link. A fresh secret goes, signed, to each remaining member on its own
   * encrypted link; then this tab moves too (`onRotate`). Whoever is away or removed is left behind.
   */
  rotateLink(): void {
    const onRotate = this.#options.onRotate
    if (!onRotate) return
    this.#queueAuthority(async () => {
      const authority = this.#registry.authority
      if (!authority || chainHost(authority) !== this.selfId || this.ended) return
      const secret = createRoomSecret()
      const body: RotateBody = {
        kind: 'rotate',
        room: authority.grants[0]!.body.room,
        term: authority.grants.length - 1,
        from: this.documentId,
        secret,
      }
      const statement = await signStatement(this.#options.signer, body)
      for (const [peerId, member] of this.members)
        if (!member.away && !this.removed.has(peerId))
          this.#send(peerId, { type: 'rotate', statement: statement.signed })
      onRotate(secret)
    })
  }

  /**
   * Follow a rotation: the room is in `documentId` now, over `transport`. Members, chat, features and the
   * authority chain stay; every member's link is new, so each counts as away until its hello on the new
   * transport (the same grace as a dropped link).
   */
  moveTo(documentId: string, transport: RoomTransport): void {
    if (this.ended) return
    for (const release of this.#releaseTransport.splice(0)) release()
    const linked = [...this.#links.keys()]
    this.#transport = transport
    this.#documentId = documentId
    if (!this.#documents.includes(documentId)) this.#documents.push(documentId)
    this.#listen(transport)
    for (const peerId of this.removed) transport.ban(peerId)
    for (const peerId of linked) this.#onClosed(peerId, 'moved')
    this.#chat.notice('The host moved the room to a new link')
    if (this.#linking) this.#options.signaling.join(documentId)
  }

  /**
   * Plug a later layer into the room. Snapshots that arrived before it registered are handed to it
   * now, so a store created after the room connected still learns the room's state.
   */
  registerFeature(name: string, feature: RoomFeature): FeatureHandle {
    return this.#features.register(name, feature)
  }

  /** A local notice in the chat (not history, not sent), for later layers: e.g. playback sync dropping a member. */
  notice(text: string): void {
    this.#chat.notice(text)
  }

  destroy(): void {
    for (const release of this.#release.splice(0)) release()
    for (const release of this.#releaseTransport.splice(0)) release()
    for (const timer of this.#memberTimers.values()) this.#timers.clearTimeout(timer)
    this.#memberTimers.clear()
    if (this.#settleTimer !== null) this.#timers.clearTimeout(this.#settleTimer)
    this.#liveness.stop()
    this.#features.clear()
    this.#early = []
    this.#earlyCount.clear()
  }

  /** Run an event through the registry, take its state, and carry out its effects in order. */
  #dispatch(event: RegistryEvent): void {
    const now = this.#now()
    const { state, effects } = stepRegistry(this.#registry, event, now)
    this.#registry = state
    for (const effect of effects) this.#apply(effect, now)
    this.#signWhenDue()
  }

  #apply(effect: RegistryEffect, now: number): void {
    const transport = this.#transport
    switch (effect.type) {
      case 'notice':
        return this.#chat.notice(effect.text)
      case 'broadcast':
        return this.#broadcast(effect.message)
      case 'send':
        return this.#send(effect.to, effect.message)
      case 'warn':
        return console.warn(effect.text)
      case 'save-joined-at':
        return this.#options.saveMembership?.({ creator: false, joinedAt: effect.joinedAt })
      case 'grace': {
        const { peerId } = effect
        return this.#startTimer(peerId, effect.until - now, () =>
          this.#dispatch({ type: 'grace-over', peerId }),
        )
      }
      case 'ban': {
        const { peerId } = effect
        if (effect.at <= now) return transport.ban(peerId)
        return this.#startTimer(peerId, effect.at - now, () => transport.ban(peerId))
      }
      case 'cancel-timer':
        return this.#stopTimer(effect.peerId)
      case 'joined':
        return this.#features.memberJoined(effect.peerId)
      case 'left':
        return this.#features.memberLeft(effect.peerId)
      default:
        effect satisfies never
    }
  }

  #startTimer(peerId: string, ms: number, run: () => void): void {
    const timer = this.#timers.setTimeout(() => {
      this.#memberTimers.delete(peerId)
      run()
    }, ms)
    this.#memberTimers.set(peerId, timer)
  }

  #stopTimer(peerId: string): void {
    const timer = this.#memberTimers.get(peerId)
    if (timer === undefined) return
    this.#timers.clearTimeout(timer)
    this.#memberTimers.delete(peerId)
  }

  #onTransport(peerId: string, decision: TransportDecision): void {
    const previous = this.#links.get(peerId) ?? 'pending'
    this.#links.set(peerId, decision)
    this.#dispatch({ type: 'link', peerId, transport: decision })
    // A new (or renegotiated) link: introduce ourselves with everything a newcomer needs (once entered).
    if (previous === 'pending' && carries(decision) && this.started) this.#hello(peerId)
  }

  #hello(peerId: string): void {
    this.#send(peerId, {
      type: 'hello',
      self: { name: this.name, joinedAt: this.joinedAt },
      snapshot: this.#snapshot(),
    })
  }

  #onMessage(from: string, data: string): void {
    if (this.removed.has(from) || this.ended) return
    const now = this.#now()
    if (!this.#withinBudget(from, data.length, now)) return
    this.#liveness.heard(from)
    const parsed = parseRoomMessage(data)
    if (!parsed.ok) {
      console.warn(`room: ignored a message from ${from}: ${parsed.error.code} ${parsed.error.message}`)
      return
    }
    const { message, replaced } = boundMessageTimes(parsed.value, now)
    if (replaced.length > 0)
      console.warn(
        `room: ${from} sent times more than a day off our clock (${replaced.join(', ')}): kept the arrival time`,
      )
    if (this.started) this.#handle(from, message)
    else this.#keepEarly(from, message, data.length)
  }

  /**
   * Before this tab enters, what a member sends waits for the entry, in order (its pings go unanswered: this
   * tab is nobody's member yet). A member that sends more than `MAX_EARLY_MESSAGES` or `MAX_EARLY_BYTES`
   * meanwhile (a long wait at the name, or a flood) loses its link, and with it what it sent; the entry links
   * again and gets a fresh hello.
   */
  #keepEarly(from: string, message: RoomMessage, size: number): void {
    if (message.type === 'ping' || message.type === 'pong') return
    const kept = this.#earlyCount.get(from) ?? { messages: 0, bytes: 0 }
    const count = { messages: kept.messages + 1, bytes: kept.bytes + size }
    if (count.messages > MAX_EARLY_MESSAGES || count.bytes > MAX_EARLY_BYTES) {
      this.#dropEarly(from)
      this.#rejoinOnEntry = true
      this.#transport.disconnect(from)
      return
    }
    this.#earlyCount.set(from, count)
    this.#early.push({ from, message })
  }

  #dropEarly(from: string): void {
    if (this.#earlyCount.delete(from)) this.#early = this.#early.filter((kept) => kept.from !== from)
  }

  /**
   * Charges a message to its sender's budget (rate-limit.ts). A member over budget is dropped: its links
   * close and everything it sends is ignored until its penalty ends.
   */
  #withinBudget(from: string, bytes: number, now: number): boolean {
    const verdict = this.#limiter.take(from, bytes, now)
    if (verdict === 'ok') return true
    if (verdict === 'over') {
      console.warn(`room: ${from} sent more than its message budget: ignored for ${PENALTY_MS / 1000} s`)
      this.#transport.disconnect(from)
    }
    return false
  }

  #handle(from: string, message: RoomMessage): void {
    switch (message.type) {
      case 'hello':
        this.#dispatch({
          type: 'hello',
          from,
          self: message.self,
          snapshot: message.snapshot,
          transport: this.#links.get(from) ?? 'pending',
        })
        if (message.snapshot.authority) this.#receiveAuthority(from, message.snapshot.authority)
        this.#mergeHistory(from, message.snapshot.chat)
        this.#features.applySnapshots(from, message.snapshot.features)
        return
      case 'presence':
        return this.#dispatch({ type: 'presence', from, self: message.self })
      case 'chat':
        return this.#receiveChat(from, message)
      case 'authority':
        return this.#receiveAuthority(from, message.authority)
      case 'rotate':
        return this.#receiveRotate(from, message.statement)
      case 'ping':
        this.#send(from, { type: 'pong', t: message.t })
        return
      case 'pong':
        return this.#dispatch({ type: 'pong', from, t: message.t })
      case 'feature':
        this.#features.receive(from, message.feature, message.body)
        return
      default:
        message satisfies never
    }
  }

  /** A member's chain: its signatures checked here, its rules in the registry (authority.ts). */
  #receiveAuthority(from: string, wire: Parameters<typeof verifyAuthority>[0]): void {
    this.#queueAuthority(async () => {
      const authority = await verifyAuthority(wire)
      if (!authority) {
        console.warn(`room: ignored ${from}'s authority chain: a signature does not check`)
        return
      }
      if (!this.removed.has(from) && !this.ended) this.#dispatch({ type: 'authority', from, authority })
    })
  }

  /** The host's order to move to a new link: followed only when signed by the host, for this document. */
  #receiveRotate(from: string, signed: Signed<RotateBody>): void {
    const onRotate = this.#options.onRotate
    this.#queueAuthority(async () => {
      const rotate = await verifyStatement(signed)
      const documentId = this.documentId
      const fault = rotate ? rotateFault(this.#registry.authority, rotate, documentId) : 'a bad signature'
      if (fault || !rotate) {
        console.warn(`room: ignored ${from}'s new link: ${fault}`)
        return
      }
      if (!this.ended) onRotate?.(rotate.body.secret)
    })
  }

  /** Sign what the registry says is due (genesis, succession, roster), once at a time. */
  #signWhenDue(): void {
    if (this.#authorityQueued || !authorityDue(this.#registry)) return
    this.#authorityQueued = true
    this.#queueAuthority(async () => {
      this.#authorityQueued = false
      const state = this.#registry
      const authority = state.authority
      switch (authorityDue(state)) {
        case 'genesis':
          return this.#sign(null, genesisBody(randomId(), this.selfId))
        case 'succession': {
          const body = authority && successionBody(authority, this.selfId)
          return body ? this.#sign(authority, body) : undefined
        }
        case 'state':
          return authority ? this.#sign(authority, nextState(authority, this.#roster(authority))) : undefined
        case null:
          return
      }
    })
  }

  /** A statement only the chain's host may sign, made from the latest chain once earlier work is done. */
  #hostStatement(make: (authority: Authority) => StatementBody | null): void {
    this.#queueAuthority(async () => {
      const authority = this.#registry.authority
      if (!authority || chainHost(authority) !== this.selfId || this.ended) return
      const body = make(authority)
      if (body) await this.#sign(authority, body)
    })
  }

  /** Sign a statement onto the chain and take the result as our own authority event. */
  async #sign(authority: Authority | null, body: StatementBody): Promise<void> {
    const statement = await signStatement(this.#options.signer, body)
    let next: Authority
    if (statement.body.kind === 'state') {
      if (!authority) return
      next = { grants: authority.grants, state: statement as Verified<typeof statement.body> }
    } else if (statement.body.kind === 'rotate') {
      return
    } else {
      // A succession carries the roster it stands on, signed by that roster's host.
      const afterBy = statement.body.kind === 'succession' ? authority?.state?.by : undefined
      const grant: VerifiedGrant = { ...(statement as Verified<GrantBody>), ...(afterBy ? { afterBy } : {}) }
      next = { grants: [...(authority?.grants ?? []), grant], state: authority?.state ?? null }
    }
    this.#dispatch({ type: 'authority', from: this.selfId, authority: next })
  }

  #roster(authority: Authority): string[] {
    return nextRoster(authority, presentIds(this.#registry))
  }

  #queueAuthority(work: () => Promise<void>): void {
    this.#authorityWork = this.#authorityWork.then(work).catch((error: unknown) => {
      console.warn(`room: authority work failed: ${String(error)}`)
    })
  }

  #queueChat(work: () => Promise<void>): void {
    this.#chatWork = this.#chatWork.then(work).catch((error: unknown) => {
      console.warn(`room: chat signature work failed: ${String(error)}`)
    })
  }

  /** A member's own line, signed with the key its link verified; a line that does not check is dropped. */
  #receiveChat(from: string, message: Extract<RoomMessage, { type: 'chat' }>): void {
    const publicKey = this.publicKey(from)
    if (!this.members.has(from) || !publicKey) return
    const { name, text, at, sig } = message
    const line = { documentId: this.documentId, id: `${from}:${message.id}`, from, name, text, at }
    this.#queueChat(async () => {
      if (!(await verifyChat(line, publicKey, sig))) {
        console.warn(`room: dropped a chat line from ${from} with a bad signature`)
        return
      }
      const { documentId: _, ...entry } = line
      const signature = { name, at, pub: base64url(publicKey), sig }
      const shownAt = boundTime(at, this.#now())
      if (shownAt !== at) {
        console.warn(`room: ${from} sent times more than a day off our clock (at): kept the arrival time`)
      }
      this.#chat.add({ kind: 'chat', ...entry, at: shownAt, name: this.displayName(from), signature })
    })
  }

  /** A snapshot's history, each line checked against its author's signature; forged lines are dropped. */
  #mergeHistory(from: string, history: readonly HistoryEntry[]): void {
    this.#queueChat(async () => {
      const checks = await Promise.all(history.map((entry) => this.#checkHistoryEntry(entry)))
      const forged = checks.filter((ok) => !ok).length
      if (forged > 0) console.warn(`room: dropped ${forged} forged chat line(s) in ${from}'s snapshot`)
      const kept = history.filter((_, index) => checks[index])
      const now = this.#now()
      const offClock = kept.filter((entry) => !withinDay(entry.at, now)).length
      if (offClock > 0) {
        console.warn(
          `room: ${offClock} chat line(s) in ${from}'s snapshot are dated more than a day off our clock: shown at their arrival`,
        )
      }
      this.#chat.merge(kept)
    })
  }

  /** A history line checks when signed in this document or one the room was in before a rotation. */
  async #checkHistoryEntry(entry: HistoryEntry): Promise<boolean> {
    for (const documentId of [...this.#documents].reverse())
      if (await verifyHistoryEntry(documentId, entry)) return true
    return false
  }

  #onClosed(peerId: string, reason: string): void {
    if (!this.started) {
      // What it sent came over a link that is gone: a new link brings a new hello.
      this.#dropEarly(peerId)
      this.#rejoinOnEntry = true
    }
    this.#links.delete(peerId)
    this.#liveness.forget(peerId)
    this.#dispatch({ type: 'closed', peerId, reason })
  }

  #snapshot(): Snapshot {
    const features = this.#features.snapshots()
    const { members, authority } = registrySnapshot(this.#registry)
    return { members, authority, chat: this.#chat.history(), features }
  }

  /** Nothing leaves before this tab entered: its `hello` is the first message on every link. */
  #send(peerId: string, message: OutgoingRoomMessage): void {
    if (this.started) this.#transport.send(peerId, encodeRoomMessage(message))
  }

  #broadcast(message: OutgoingRoomMessage): void {
    if (this.started) this.#transport.broadcast(encodeRoomMessage(message))
  }
}

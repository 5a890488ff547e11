import type { TransportDecision } from '../mesh/transport.ts'
import { cleanName } from './identity.ts'
import { byJoinOrder, longestPresent, resolveHost, uniqueNames, type MemberInfo } from './members.ts'
import type { OutgoingRoomMessage, Snapshot } from './protocol.ts'

/**
 * The member registry: who is in the room, who is host, whether playback controls are locked, and
 * how each event changes that. Pure: `stepRegistry(state, event, now)` returns the next state and the
 * effects to carry out in order (notices, messages, timers to start or cancel); the room applies them.
 * Every member runs the same rules on the same messages, so all agree without a vote.
 */

/** A member whose connection dropped stays listed this long, so a reload is not a leave + join. */
export const LEAVE_GRACE_MS = 6000
/** How long the host keeps a removed member's link open so the removal reaches it. */
export const REMOVE_LINGER_MS = 1000
/** After joining, a newcomer moves its join time after everyone it finds (clocks disagree). */
export const JOIN_SETTLE_MS = 5000

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

export interface RegistryState {
  /** This tab, as the others see it. */
  readonly self: MemberInfo
  /** Everyone else we had a hello from, in the order they first arrived. */
  readonly members: ReadonlyMap<string, Member>
  /** Members the host removed: ignored from now on. */
  readonly removed: ReadonlySet<string>
  /** The host as last known; `hostOf` says who is host among those present. */
  readonly hostId: string | null
  readonly locked: boolean
  readonly ended: RoomEnd | null
  /** The first hello carries the room's removals and lock, and the members a newcomer settles after. */
  readonly helloSeen: boolean
  /** Until when a newcomer moves its join time after the members it finds; null when it keeps it. */
  readonly settleUntil: number | null
}

interface Presence {
  name: string
  joinedAt: number
}

export type RegistryEvent =
  /** We join the room; `settle`: we are a newcomer (neither its creator nor reloaded). */
  | { type: 'start'; settle: boolean }
  /** We chose a name (already cleaned, not empty). */
  | { type: 'rename'; name: string }
  /** A member introduced itself on a new link: it arrives, comes back, or re-arrives. */
  | { type: 'hello'; from: string; self: Presence; snapshot: Snapshot; transport: TransportDecision }
  /** A member changed its name or moved its join time. */
  | { type: 'presence'; from: string; self: Presence }
  /** The link to a member has a new transport decision. */
  | { type: 'link'; peerId: string; transport: TransportDecision }
  /** A member answered our ping sent at `t`. */
  | { type: 'pong'; from: string; t: number }
  /** The link to a member closed (`reason` as the transport reports it). */
  | { type: 'closed'; peerId: string; reason: string }
  /** A member's grace period ran out. */
  | { type: 'grace-over'; peerId: string }
  /** Lock or unlock playback controls; only the host may. `from` is our own id for our own action. */
  | { type: 'lock'; from: string; locked: boolean }
  /** Remove a member; only the host may. `from` is our own id for our own action. */
  | { type: 'remove'; from: string; peerId: string }

export type RegistryEffect =
  /** A local line in the chat. */
  | { type: 'notice'; text: string }
  | { type: 'broadcast'; message: OutgoingRoomMessage }
  /** Our join time moved: remember it for a reload. */
  | { type: 'save-joined-at'; joinedAt: number }
  /** Report `grace-over` for the member at `until`, unless its timer is cancelled first. */
  | { type: 'grace'; peerId: string; until: number }
  /** Close the member's links and refuse it from now on, at `at` (at once when that is now). */
  | { type: 'ban'; peerId: string; at: number }
  /** Stop the member's pending timer (its grace period, or the wait before banning it). */
  | { type: 'cancel-timer'; peerId: string }
  /** Tell the features: a member arrived or came back, or a member left. */
  | { type: 'joined'; peerId: string }
  | { type: 'left'; peerId: string }

export interface RegistryStep {
  state: RegistryState
  effects: RegistryEffect[]
}

const LOCKED_NOTICE = 'Playback controls are locked to the host'
const UNLOCKED_NOTICE = 'Everyone can control playback'

export function initialRegistry(self: MemberInfo, creator: boolean): RegistryState {
  return {
    self,
    members: new Map(),
    removed: new Set(),
    hostId: creator ? self.id : null,
    locked: false,
    ended: null,
    helloSeen: false,
    settleUntil: null,
  }
}

/**
 * The next state and what to do about it. A state that does not change is returned as is, so the
 * caller can tell. Messages from removed members, and every message once the room ended, never get
 * here: the room drops them on arrival.
 */
export function stepRegistry(state: RegistryState, event: RegistryEvent, now: number): RegistryStep {
  switch (event.type) {
    case 'start':
      return same({ ...state, settleUntil: event.settle ? now + JOIN_SETTLE_MS : null })
    case 'rename':
      return same({ ...state, self: { ...state.self, name: event.name } })
    case 'hello':
      return hello(state, event, now)
    case 'presence':
      return same(
        updated(state, event.from, { name: cleanName(event.self.name), joinedAt: event.self.joinedAt }),
      )
    case 'link':
      return same(updated(state, event.peerId, { transport: event.transport }))
    case 'pong':
      return same(updated(state, event.from, { rtt: Math.max(0, now - event.t) }))
    case 'closed':
      return closed(state, event.peerId, event.reason, now)
    case 'grace-over':
      if (!state.members.get(event.peerId)?.away) return same(state)
      return leave(state, event.peerId, 'left', [])
    case 'lock':
      return lock(state, event.from, event.locked)
    case 'remove':
      return remove(state, event.from, event.peerId, now)
    default:
      return event satisfies never
  }
}

function hello(state: RegistryState, event: Extract<RegistryEvent, { type: 'hello' }>, now: number) {
  const { from, self, snapshot } = event
  const existing = state.members.get(from)
  const effects: RegistryEffect[] = []
  if (existing?.away) effects.push({ type: 'cancel-timer', peerId: from })
  const member: Member = {
    id: from,
    name: cleanName(self.name),
    joinedAt: self.joinedAt,
    transport: event.transport,
    rtt: existing?.rtt ?? null,
    away: false,
  }
  let next: RegistryState = { ...state, members: withMember(state.members, member) }
  const firstHello = !state.helloSeen
  if (firstHello) {
    next = { ...next, helloSeen: true, removed: withIds(next.removed, snapshot.removed) }
    next = settleJoinTime(next, self.joinedAt, snapshot, now, effects)
  }
  if (!existing && self.joinedAt > next.self.joinedAt)
    effects.push({ type: 'notice', text: `${nameOf(next, from)} joined` })
  if (!existing || existing.away) effects.push({ type: 'joined', peerId: from })
  next = { ...next, hostId: adoptHost(next, snapshot.hostId) }
  if (firstHello || from === hostOf(next)) next = { ...next, locked: snapshot.locked }
  return { state: next, effects }
}

/**
 * Clocks disagree, so a newcomer whose clock runs behind would claim to have been here first
 * (and later inherit the host role out of turn). The first hello a newcomer gets comes from
 * someone already in the room and lists who else is there: move our join time after all of them.
 */
function settleJoinTime(
  state: RegistryState,
  joinedAt: number,
  snapshot: Snapshot,
  now: number,
  effects: RegistryEffect[],
): RegistryState {
  if (state.settleUntil === null || now > state.settleUntil) return state
  const latest = Math.max(
    joinedAt,
    ...snapshot.members.filter((member) => member.id !== state.self.id).map((member) => member.joinedAt),
  )
  if (latest < state.self.joinedAt) return state
  const self = { ...state.self, joinedAt: latest + 1 }
  effects.push(
    { type: 'save-joined-at', joinedAt: self.joinedAt },
    { type: 'broadcast', message: { type: 'presence', self: { name: self.name, joinedAt: self.joinedAt } } },
  )
  return { ...state, self }
}

/** A newcomer adopts the room's host; two different known hosts resolve the same way everywhere. */
function adoptHost(state: RegistryState, claimed: string | null): string | null {
  if (state.hostId === null) return claimed
  if (claimed !== null && claimed !== state.hostId)
    return resolveHost(presentInfo(state), state.hostId, claimed)
  return state.hostId
}

function closed(state: RegistryState, peerId: string, reason: string, now: number): RegistryStep {
  if (reason === 'full' && state.members.size === 0) return same({ ...state, ended: 'full' })
  const member = state.members.get(peerId)
  // Away already (its grace period runs), or removed: nothing more to do.
  if (!member || member.away || state.removed.has(peerId)) return same(state)
  // Silent for the liveness limit already: that was the grace period.
  if (reason === 'silent') return leave(state, peerId, 'left', [])
  return {
    state: {
      ...state,
      members: withMember(state.members, { ...member, away: true, transport: 'closed', rtt: null }),
    },
    effects: [{ type: 'grace', peerId, until: now + LEAVE_GRACE_MS }],
  }
}

function lock(state: RegistryState, from: string, locked: boolean): RegistryStep {
  if (from !== hostOf(state) || state.locked === locked) return same(state)
  const effects: RegistryEffect[] = []
  if (from === state.self.id) effects.push({ type: 'broadcast', message: { type: 'lock', locked } })
  effects.push({ type: 'notice', text: locked ? LOCKED_NOTICE : UNLOCKED_NOTICE })
  return { state: { ...state, locked }, effects }
}

/** Everyone drops a removed member and ignores it from now on. */
function remove(state: RegistryState, from: string, peerId: string, now: number): RegistryStep {
  if (from !== hostOf(state) || peerId === from) return same(state)
  if (peerId === state.self.id) {
    return {
      state: { ...state, ended: 'removed' },
      effects: [{ type: 'notice', text: 'The host removed you from the room' }],
    }
  }
  const ours = from === state.self.id
  const effects: RegistryEffect[] = []
  if (ours) effects.push({ type: 'broadcast', message: { type: 'remove', peerId } })
  if (state.members.get(peerId)?.away || state.removed.has(peerId))
    effects.push({ type: 'cancel-timer', peerId })
  // The host keeps the link a moment so the member learns it was removed.
  effects.push({ type: 'ban', peerId, at: ours ? now + REMOVE_LINGER_MS : now })
  const removed = withIds(state.removed, [peerId])
  return leave(removed === state.removed ? state : { ...state, removed }, peerId, 'was removed', effects)
}

function leave(state: RegistryState, peerId: string, verb: string, effects: RegistryEffect[]): RegistryStep {
  if (!state.members.has(peerId)) return { state, effects }
  const name = nameOf(state, peerId)
  const wasHost = hostOf(state) === peerId
  const members = new Map(state.members)
  members.delete(peerId)
  let next: RegistryState = { ...state, members }
  effects.push({ type: 'notice', text: `${name} ${verb}` }, { type: 'left', peerId })
  // Hand-over without a vote: every member computes the same longest-present member.
  if (next.hostId === peerId) next = { ...next, hostId: longestPresent(presentInfo(next)) }
  const host = hostOf(next)
  if (wasHost && host) effects.push({ type: 'notice', text: `${nameOf(next, host)} is now the host` })
  return { state: next, effects }
}

function same(state: RegistryState): RegistryStep {
  return { state, effects: [] }
}

/** The state with one member's fields changed; unchanged when it is not a member. */
function updated(state: RegistryState, peerId: string, change: Partial<Member>): RegistryState {
  const member = state.members.get(peerId)
  return member ? { ...state, members: withMember(state.members, { ...member, ...change }) } : state
}

function withMember(members: ReadonlyMap<string, Member>, member: Member): ReadonlyMap<string, Member> {
  return new Map(members).set(member.id, member)
}

/** The set with the ids added; the same set when it has them all. */
function withIds(set: ReadonlySet<string>, ids: readonly string[]): ReadonlySet<string> {
  return ids.every((id) => set.has(id)) ? set : new Set([...set, ...ids])
}

// ── views ───────────────────────────────────────────────────────────────────────────────────────────────

/** Everyone present, this tab first. */
export function presentInfo(state: RegistryState): MemberInfo[] {
  const present: MemberInfo[] = [{ ...state.self }]
  for (const member of state.members.values())
    present.push({ id: member.id, name: member.name, joinedAt: member.joinedAt })
  return present
}

/** The host as every member computes it: the known host if present, else the longest-present. */
export function hostOf(state: RegistryState): string | null {
  return resolveHost(presentInfo(state), state.hostId)
}

/** A present member's unique display name; '?' for anyone else. */
export function nameOf(state: RegistryState, peerId: string): string {
  return uniqueNames(presentInfo(state)).get(peerId) ?? '?'
}

/** Everyone present (self included), with unique display names, longest-present first. */
export function memberViews(state: RegistryState): MemberView[] {
  const present = presentInfo(state)
  const names = uniqueNames(present)
  const host = hostOf(state)
  return present.sort(byJoinOrder).map((info) => {
    const member = state.members.get(info.id)
    return {
      id: info.id,
      name: names.get(info.id) ?? info.name,
      self: info.id === state.self.id,
      host: info.id === host,
      transport: member ? member.transport : 'self',
      rtt: member?.rtt ?? null,
      away: member?.away ?? false,
    }
  })
}

/** The registry's part of the snapshot a newly connected member gets. */
export function registrySnapshot(
  state: RegistryState,
): Pick<Snapshot, 'members' | 'hostId' | 'locked' | 'removed'> {
  return {
    members: presentInfo(state),
    hostId: hostOf(state),
    locked: state.locked,
    removed: [...state.removed],
  }
}

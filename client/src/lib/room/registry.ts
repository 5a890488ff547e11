import type { TransportDecision } from '../mesh/transport.ts'
import {
  chainFault,
  chainHost,
  lockedOf,
  mergeAuthority,
  nextRoster,
  pickRoom,
  presentHost,
  removedOf,
  lineOf,
  sameChain,
  termOf,
  toWire,
  type Authority,
} from './authority.ts'
import { cleanName } from './identity.ts'
import { byJoinOrder, uniqueNames, type MemberInfo } from './members.ts'
import type { OutgoingRoomMessage, Snapshot } from './protocol.ts'

/**
 * The member registry: who is in the room, who is host, whether playback controls are locked, and
 * how each event changes that. Pure: `stepRegistry(state, event, now)` returns the next state and the
 * effects to carry out in order (notices, messages, timers to start or cancel); the room applies them.
 * Every member runs the same rules on the same messages, so all agree without a vote. Host, lock and
 * removals come only from the signed authority chain (authority.ts), whose signatures the room checks
 * before handing it here.
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
  /** The room's signed authority chain; null until this tab mints or adopts one. */
  readonly authority: Authority | null
  /** The chain each member last presented, while this tab may still choose between rooms. */
  readonly carriers: ReadonlyMap<string, Authority>
  /** Until when this tab, new to the room, takes the chain most members carry; null: it keeps its own. */
  readonly chooseUntil: number | null
  /** This tab may sign a genesis: it created the room, or found nobody with a chain. */
  readonly mayMint: boolean
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
  /** We join the room; `settle`: we are a newcomer (neither its creator nor reloaded); `mint`: we created it. */
  | { type: 'start'; settle: boolean; mint: boolean }
  /** JOIN_SETTLE_MS after the start: a tab still without a chain mints one. */
  | { type: 'settled' }
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
  /** A chain whose signatures checked, from a member (or our own id, for what we signed). */
  | { type: 'authority'; from: string; authority: Authority }

export type RegistryEffect =
  /** A local line in the chat. */
  | { type: 'notice'; text: string }
  | { type: 'broadcast'; message: OutgoingRoomMessage }
  | { type: 'send'; to: string; message: OutgoingRoomMessage }
  /** Something a member sent was dropped: a log line. */
  | { type: 'warn'; text: string }
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

export function initialRegistry(self: MemberInfo): RegistryState {
  return {
    self,
    members: new Map(),
    authority: null,
    carriers: new Map(),
    chooseUntil: null,
    mayMint: false,
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
      return same({
        ...state,
        settleUntil: event.settle ? now + JOIN_SETTLE_MS : null,
        chooseUntil: event.mint ? null : now + JOIN_SETTLE_MS,
        mayMint: event.mint,
      })
    case 'settled':
      return same(state.authority ? { ...state, chooseUntil: null } : { ...state, mayMint: true })
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
    case 'authority':
      return authority(state, event.from, event.authority, now)
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
  if (!state.helloSeen) {
    next = { ...next, helloSeen: true }
    next = settleJoinTime(next, self.joinedAt, snapshot, now, effects)
  }
  if (!existing && self.joinedAt > next.self.joinedAt)
    effects.push({ type: 'notice', text: `${nameOf(next, from)} joined` })
  if (!existing || existing.away) effects.push({ type: 'joined', peerId: from })
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

/**
 * A chain from a member, its signatures checked. Of the same room, it merges with ours (authority.ts); a
 * tab still choosing takes the room most members carry; a tab that has its room keeps it. What the new
 * chain changes (lock, removals, host) then takes effect, and a sender with an older chain gets ours.
 */
function authority(state: RegistryState, from: string, theirs: Authority, now: number): RegistryStep {
  const fault = chainFault(theirs)
  if (fault)
    return { state, effects: [{ type: 'warn', text: `room: ignored ${from}'s authority chain: ${fault}` }] }
  const ours = state.authority
  let next: Authority
  let carriers = state.carriers
  const choosing = ours === null || (state.chooseUntil !== null && now <= state.chooseUntil)
  if (ours && lineOf(ours) === lineOf(theirs)) {
    next = mergeAuthority(ours, theirs)
    if (choosing && from !== state.self.id) carriers = new Map(carriers).set(from, theirs)
  } else if (ours === null && from === state.self.id) {
    next = theirs // our own genesis
  } else if (choosing && from !== state.self.id) {
    carriers = new Map(carriers).set(from, theirs)
    next = pickRoom(carriers, new Set(presentIds(state)), ours) ?? theirs
  } else {
    const text = `room: ignored ${from}'s authority chain of another room`
    return { state, effects: [{ type: 'warn', text }] }
  }
  const effects: RegistryEffect[] = []
  if (from !== state.self.id && !sameChain(next, theirs) && ours && lineOf(next) === lineOf(theirs))
    effects.push({ type: 'send', to: from, message: { type: 'authority', authority: toWire(next) } })
  if (sameChain(next, ours))
    return { state: carriers === state.carriers ? state : { ...state, carriers }, effects }
  if (from === state.self.id)
    effects.push({ type: 'broadcast', message: { type: 'authority', authority: toWire(next) } })
  return adopt({ ...state, carriers }, next, now, effects)
}

/** Take a new chain and carry out what changed: the lock, removals, and who is host. */
function adopt(state: RegistryState, next: Authority, now: number, effects: RegistryEffect[]): RegistryStep {
  const hostBefore = hostOf(state)
  const lockedBefore = lockedOf(state.authority)
  const removedBefore = new Set(removedOf(state.authority))
  let result: RegistryState = { ...state, authority: next }
  if (lockedOf(next) !== lockedBefore)
    effects.push({ type: 'notice', text: lockedOf(next) ? LOCKED_NOTICE : UNLOCKED_NOTICE })
  const ours = chainHost(next) === state.self.id
  for (const peerId of removedOf(next)) {
    if (removedBefore.has(peerId)) continue
    if (peerId === state.self.id) {
      effects.push({ type: 'notice', text: 'The host removed you from the room' })
      return { state: { ...result, ended: 'removed' }, effects }
    }
    if (state.members.get(peerId)?.away) effects.push({ type: 'cancel-timer', peerId })
    // The host keeps the link a moment so the member learns it was removed.
    effects.push({ type: 'ban', peerId, at: ours ? now + REMOVE_LINGER_MS : now })
    result = leave(result, peerId, 'was removed', effects).state
  }
  const host = hostOf(result)
  if (host && host !== hostBefore && hostBefore !== null)
    effects.push({ type: 'notice', text: `${nameOf(result, host)} is now the host` })
  return { state: result, effects }
}

function closed(state: RegistryState, peerId: string, reason: string, now: number): RegistryStep {
  if (reason === 'full' && state.members.size === 0) return same({ ...state, ended: 'full' })
  const member = state.members.get(peerId)
  // Away already (its grace period runs), or removed: nothing more to do.
  if (!member || member.away || removedOf(state.authority).includes(peerId)) return same(state)
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

function leave(state: RegistryState, peerId: string, verb: string, effects: RegistryEffect[]): RegistryStep {
  if (!state.members.has(peerId)) return { state, effects }
  const name = nameOf(state, peerId)
  const wasHost = hostOf(state) === peerId
  const members = new Map(state.members)
  members.delete(peerId)
  const next: RegistryState = { ...state, members }
  effects.push({ type: 'notice', text: `${name} ${verb}` }, { type: 'left', peerId })
  // Hand-over without a vote: every member computes the same successor from the host's signed roster.
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

// ── views ───────────────────────────────────────────────────────────────────────────────────────────────

/** Everyone present, this tab first. */
export function presentInfo(state: RegistryState): MemberInfo[] {
  const present: MemberInfo[] = [{ ...state.self }]
  for (const member of state.members.values())
    present.push({ id: member.id, name: member.name, joinedAt: member.joinedAt })
  return present
}

/** Ids of everyone present, this tab first, then in the order they first arrived. */
export function presentIds(state: RegistryState): string[] {
  return [state.self.id, ...state.members.keys()]
}

/** The host as every member computes it: the chain's host if present, else its successor (authority.ts). */
export function hostOf(state: RegistryState): string | null {
  return presentHost(state.authority, new Set(presentIds(state)))
}

export function lockedIn(state: RegistryState): boolean {
  return lockedOf(state.authority)
}

export function removedIn(state: RegistryState): ReadonlySet<string> {
  return new Set(removedOf(state.authority))
}

/**
 * What this tab should sign now, if anything: a genesis (it may mint and has no chain); a succession (it is
 * the departed host's successor); its roster (it is host and the members present changed, or it has signed
 * no state in its term yet). The room signs it and hands the chain back as an `authority` event.
 */
export function authorityDue(state: RegistryState): 'genesis' | 'succession' | 'state' | null {
  if (state.ended) return null
  const { authority } = state
  if (!authority) return state.mayMint ? 'genesis' : null
  if (hostOf(state) !== state.self.id) return null
  if (chainHost(authority) !== state.self.id) return authority.state ? 'succession' : null
  const current = authority.state?.body
  if (!current || current.term !== termOf(authority)) return 'state'
  const roster = nextRoster(authority, presentIds(state))
  const same = roster.length === current.members.length && roster.every((id, i) => id === current.members[i])
  return same ? null : 'state'
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
export function registrySnapshot(state: RegistryState): Pick<Snapshot, 'members' | 'authority'> {
  return {
    members: presentInfo(state),
    authority: state.authority ? toWire(state.authority) : null,
  }
}

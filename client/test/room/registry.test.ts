import { describe, expect, it } from 'vitest'
import type { MemberInfo } from '../../src/lib/room/members.ts'
import type { Snapshot } from '../../src/lib/room/protocol.ts'
import {
  hostOf,
  initialRegistry,
  JOIN_SETTLE_MS,
  LEAVE_GRACE_MS,
  memberViews,
  nameOf,
  registrySnapshot,
  REMOVE_LINGER_MS,
  stepRegistry,
  type Member,
  type RegistryEffect,
  type RegistryEvent,
  type RegistryState,
  type RoomEnd,
} from '../../src/lib/room/registry.ts'

const NOW = 50_000
const LOCKED = 'Playback controls are locked to the host'
const UNLOCKED = 'Everyone can control playback'

/** A registry state with arrays for maps and sets, to write and compare in tables. */
interface Plain {
  self: MemberInfo
  members: Member[]
  removed: string[]
  hostId: string | null
  locked: boolean
  ended: RoomEnd | null
  helloSeen: boolean
  settleUntil: number | null
}

/** This tab is Sam (id `s`), joined at 200; most rows are past the first hello. */
const BASE: Plain = {
  self: { id: 's', name: 'Sam', joinedAt: 200 },
  members: [],
  removed: [],
  hostId: null,
  locked: false,
  ended: null,
  helloSeen: true,
  settleUntil: null,
}

function build(given: Partial<Plain>): RegistryState {
  const plain = { ...BASE, ...given }
  return {
    ...plain,
    members: new Map(plain.members.map((member) => [member.id, member])),
    removed: new Set(plain.removed),
  }
}

function plain(state: RegistryState): Plain {
  return { ...state, members: [...state.members.values()], removed: [...state.removed] }
}

const m = (id: string, name: string, joinedAt: number, more: Partial<Member> = {}): Member => ({
  id,
  name,
  joinedAt,
  transport: 'webrtc',
  rtt: null,
  away: false,
  ...more,
})
const away = (member: Member): Member => ({ ...member, away: true, transport: 'closed', rtt: null })

const ana = m('a', 'Ana', 100)
const bo = m('b', 'Bo', 300)

function snapshot(part: Partial<Snapshot> = {}): Snapshot {
  return { members: [], hostId: null, locked: false, removed: [], chat: [], features: {}, ...part }
}

function hello(from: Member, part: Partial<Snapshot> = {}, name = from.name): RegistryEvent {
  const self = { name, joinedAt: from.joinedAt }
  return { type: 'hello', from: from.id, self, snapshot: snapshot(part), transport: from.transport }
}

const notice = (text: string): RegistryEffect => ({ type: 'notice', text })

interface Row {
  name: string
  given: Partial<Plain>
  event: RegistryEvent
  /** The fields that change; every other field stays as given. */
  then: Partial<Plain>
  effects: RegistryEffect[]
}

const rows: Row[] = [
  // ── hello ──
  {
    name: 'a newcomer arrives: listed, announced, and the features told',
    given: { hostId: 's' },
    event: hello(bo),
    then: { members: [bo] },
    effects: [notice('Bo joined'), { type: 'joined', peerId: 'b' }],
  },
  {
    name: 'a member who was here before us arrives: listed without a notice',
    given: { members: [bo] },
    event: hello(ana),
    then: { members: [bo, ana] },
    effects: [{ type: 'joined', peerId: 'a' }],
  },
  {
    name: 'a newcomer with a clashing name is announced by its unique name, its own name cleaned',
    given: {},
    event: hello(m('c', 'Sam', 300), {}, ' Sam\u0007 '),
    then: { members: [m('c', 'Sam', 300)] },
    effects: [notice('Sam (2) joined'), { type: 'joined', peerId: 'c' }],
  },
  {
    name: 'a member back within its grace period: its timer stops, the features are told, no notice',
    given: { members: [away(bo)] },
    event: hello(bo),
    then: { members: [bo] },
    effects: [
      { type: 'cancel-timer', peerId: 'b' },
      { type: 'joined', peerId: 'b' },
    ],
  },
  {
    name: 'a present member on a new link: updated in place, its round trip kept, nothing to tell',
    given: { members: [{ ...bo, rtt: 40 }, ana] },
    event: hello({ ...bo, transport: 'relay' }, {}, 'Bob'),
    then: { members: [{ ...bo, name: 'Bob', transport: 'relay', rtt: 40 }, ana] },
    effects: [],
  },
  {
    name: "the first hello: the room's host, lock and removals are adopted",
    given: { helloSeen: false },
    event: hello(ana, { hostId: 'a', locked: true, removed: ['x'] }),
    then: { helloSeen: true, members: [ana], hostId: 'a', locked: true, removed: ['x'] },
    effects: [{ type: 'joined', peerId: 'a' }],
  },
  {
    name: "after the first hello, a member's lock is not the room's",
    given: { hostId: 'a', members: [ana] },
    event: hello(bo, { hostId: 'a', locked: true }),
    then: { members: [ana, bo] },
    effects: [notice('Bo joined'), { type: 'joined', peerId: 'b' }],
  },
  {
    name: "the host's hello carries the lock",
    given: { hostId: 'a', members: [ana] },
    event: hello(ana, { hostId: 'a', locked: true }),
    then: { locked: true },
    effects: [],
  },
  {
    name: 'two known hosts (a split room merging): the longer-present one, on both sides',
    given: { hostId: 's', members: [ana] },
    event: hello(bo, { hostId: 'a' }),
    then: { hostId: 'a', members: [ana, bo] },
    effects: [notice('Bo joined'), { type: 'joined', peerId: 'b' }],
  },
  {
    name: 'a newcomer moves its join time after everyone the first hello lists, and says so',
    given: { helloSeen: false, settleUntil: NOW + 1000 },
    event: hello(m('a', 'Ana', 250), {
      members: [
        { id: 'a', name: 'Ana', joinedAt: 250 },
        { id: 'b', name: 'Bo', joinedAt: 400 },
        { id: 's', name: 'Sam', joinedAt: 900 },
      ],
    }),
    then: { helloSeen: true, self: { id: 's', name: 'Sam', joinedAt: 401 }, members: [m('a', 'Ana', 250)] },
    effects: [
      { type: 'save-joined-at', joinedAt: 401 },
      { type: 'broadcast', message: { type: 'presence', self: { name: 'Sam', joinedAt: 401 } } },
      { type: 'joined', peerId: 'a' },
    ],
  },
  {
    name: 'past its settling time a newcomer keeps its join time',
    given: { helloSeen: false, settleUntil: NOW - 1 },
    event: hello(m('a', 'Ana', 250)),
    then: { helloSeen: true, members: [m('a', 'Ana', 250)] },
    effects: [notice('Ana joined'), { type: 'joined', peerId: 'a' }],
  },
  {
    name: 'a newcomer already after everyone keeps its join time',
    given: { helloSeen: false, settleUntil: NOW + 1000 },
    event: hello(ana),
    then: { helloSeen: true, members: [ana] },
    effects: [{ type: 'joined', peerId: 'a' }],
  },
  // ── presence, link, pong ──
  {
    name: 'a member changes its name (cleaned) and join time',
    given: { members: [bo] },
    event: { type: 'presence', from: 'b', self: { name: ' Bob ', joinedAt: 310 } },
    then: { members: [{ ...bo, name: 'Bob', joinedAt: 310 }] },
    effects: [],
  },
  {
    name: 'presence from someone not in the room is ignored',
    given: { members: [bo] },
    event: { type: 'presence', from: 'x', self: { name: 'X', joinedAt: 1 } },
    then: {},
    effects: [],
  },
  {
    name: "a member's link changes transport",
    given: { members: [bo] },
    event: { type: 'link', peerId: 'b', transport: 'relay' },
    then: { members: [{ ...bo, transport: 'relay' }] },
    effects: [],
  },
  {
    name: 'a link to someone not in the room yet changes nothing',
    given: {},
    event: { type: 'link', peerId: 'b', transport: 'webrtc' },
    then: {},
    effects: [],
  },
  {
    name: 'a pong gives the round trip',
    given: { members: [bo] },
    event: { type: 'pong', from: 'b', t: NOW - 35 },
    then: { members: [{ ...bo, rtt: 35 }] },
    effects: [],
  },
  {
    name: 'a pong stamped ahead of now gives 0, not a negative round trip',
    given: { members: [bo] },
    event: { type: 'pong', from: 'b', t: NOW + 5 },
    then: { members: [{ ...bo, rtt: 0 }] },
    effects: [],
  },
  // ── away, grace, leave, hand-over ──
  {
    name: "a member's link closes: away for the grace period",
    given: { members: [{ ...bo, rtt: 20 }] },
    event: { type: 'closed', peerId: 'b', reason: 'closed' },
    then: { members: [away(bo)] },
    effects: [{ type: 'grace', peerId: 'b', until: NOW + LEAVE_GRACE_MS }],
  },
  {
    name: 'a member away already: its grace period runs on',
    given: { members: [away(bo)] },
    event: { type: 'closed', peerId: 'b', reason: 'closed' },
    then: {},
    effects: [],
  },
  {
    name: 'a link gone silent: the member leaves at once (the silence was its grace period)',
    given: { members: [bo] },
    event: { type: 'closed', peerId: 'b', reason: 'silent' },
    then: { members: [] },
    effects: [notice('Bo left'), { type: 'left', peerId: 'b' }],
  },
  {
    name: 'a full room turns us away before anyone let us in',
    given: {},
    event: { type: 'closed', peerId: 'b', reason: 'full' },
    then: { ended: 'full' },
    effects: [],
  },
  {
    name: "once in, 'full' on a member's link is a closed link like any other",
    given: { members: [bo] },
    event: { type: 'closed', peerId: 'b', reason: 'full' },
    then: { members: [away(bo)] },
    effects: [{ type: 'grace', peerId: 'b', until: NOW + LEAVE_GRACE_MS }],
  },
  {
    name: "a removed member's link closing changes nothing",
    given: { members: [bo], removed: ['b'] },
    event: { type: 'closed', peerId: 'b', reason: 'closed' },
    then: {},
    effects: [],
  },
  {
    name: 'the grace period runs out: the member leaves',
    given: { members: [away(bo)] },
    event: { type: 'grace-over', peerId: 'b' },
    then: { members: [] },
    effects: [notice('Bo left'), { type: 'left', peerId: 'b' }],
  },
  {
    name: 'the host leaves: the longest-present member takes over, and everyone hears it',
    given: { hostId: 'a', members: [away(ana), bo] },
    event: { type: 'grace-over', peerId: 'a' },
    then: { hostId: 's', members: [bo] },
    effects: [notice('Ana left'), { type: 'left', peerId: 'a' }, notice('Sam is now the host')],
  },
  {
    name: 'with no host known, the longest-present leaving hands over to the next one',
    given: { members: [away(ana), bo] },
    event: { type: 'grace-over', peerId: 'a' },
    then: { members: [bo] },
    effects: [notice('Ana left'), { type: 'left', peerId: 'a' }, notice('Sam is now the host')],
  },
  {
    name: 'a grace period over for a member who came back changes nothing',
    given: { members: [bo] },
    event: { type: 'grace-over', peerId: 'b' },
    then: {},
    effects: [],
  },
  // ── lock ──
  {
    name: 'the host locks: everyone is told',
    given: { hostId: 's', members: [bo] },
    event: { type: 'lock', from: 's', locked: true },
    then: { locked: true },
    effects: [{ type: 'broadcast', message: { type: 'lock', locked: true } }, notice(LOCKED)],
  },
  {
    name: "the host's lock arrives",
    given: { hostId: 'a', members: [ana] },
    event: { type: 'lock', from: 'a', locked: true },
    then: { locked: true },
    effects: [notice(LOCKED)],
  },
  {
    name: "the host's unlock arrives",
    given: { hostId: 'a', members: [ana], locked: true },
    event: { type: 'lock', from: 'a', locked: false },
    then: { locked: false },
    effects: [notice(UNLOCKED)],
  },
  {
    name: 'we are not the host: we cannot lock',
    given: { hostId: 'a', members: [ana] },
    event: { type: 'lock', from: 's', locked: true },
    then: {},
    effects: [],
  },
  {
    name: 'a member who is not the host sends a lock: it is ignored',
    given: { hostId: 'a', members: [ana, bo] },
    event: { type: 'lock', from: 'b', locked: true },
    then: {},
    effects: [],
  },
  {
    name: 'a lock that changes nothing is not announced',
    given: { hostId: 's', locked: true },
    event: { type: 'lock', from: 's', locked: true },
    then: {},
    effects: [],
  },
  // ── removal ──
  {
    name: 'the host removes a member: everyone is told, and its link stays a moment so it learns it',
    given: { hostId: 's', members: [bo] },
    event: { type: 'remove', from: 's', peerId: 'b' },
    then: { members: [], removed: ['b'] },
    effects: [
      { type: 'broadcast', message: { type: 'remove', peerId: 'b' } },
      { type: 'ban', peerId: 'b', at: NOW + REMOVE_LINGER_MS },
      notice('Bo was removed'),
      { type: 'left', peerId: 'b' },
    ],
  },
  {
    name: "the host's removal arrives: the member is dropped and banned at once",
    given: { hostId: 'a', members: [ana, bo] },
    event: { type: 'remove', from: 'a', peerId: 'b' },
    then: { members: [ana], removed: ['b'] },
    effects: [{ type: 'ban', peerId: 'b', at: NOW }, notice('Bo was removed'), { type: 'left', peerId: 'b' }],
  },
  {
    name: 'removing a member who is away stops its grace timer first',
    given: { hostId: 's', members: [away(bo)] },
    event: { type: 'remove', from: 's', peerId: 'b' },
    then: { members: [], removed: ['b'] },
    effects: [
      { type: 'broadcast', message: { type: 'remove', peerId: 'b' } },
      { type: 'cancel-timer', peerId: 'b' },
      { type: 'ban', peerId: 'b', at: NOW + REMOVE_LINGER_MS },
      notice('Bo was removed'),
      { type: 'left', peerId: 'b' },
    ],
  },
  {
    name: 'removing a removed member again restarts the wait before its ban',
    given: { hostId: 's', removed: ['b'] },
    event: { type: 'remove', from: 's', peerId: 'b' },
    then: {},
    effects: [
      { type: 'broadcast', message: { type: 'remove', peerId: 'b' } },
      { type: 'cancel-timer', peerId: 'b' },
      { type: 'ban', peerId: 'b', at: NOW + REMOVE_LINGER_MS },
    ],
  },
  {
    name: 'the host removes us: the room ends for us',
    given: { hostId: 'a', members: [ana] },
    event: { type: 'remove', from: 'a', peerId: 's' },
    then: { ended: 'removed' },
    effects: [notice('The host removed you from the room')],
  },
  {
    name: 'a member who is not the host cannot remove anyone',
    given: { hostId: 'a', members: [ana, bo] },
    event: { type: 'remove', from: 'b', peerId: 'a' },
    then: {},
    effects: [],
  },
  {
    name: 'the host cannot remove itself',
    given: { hostId: 'a', members: [ana] },
    event: { type: 'remove', from: 'a', peerId: 'a' },
    then: {},
    effects: [],
  },
  {
    name: 'we are not the host: we cannot remove',
    given: { hostId: 'a', members: [ana, bo] },
    event: { type: 'remove', from: 's', peerId: 'b' },
    then: {},
    effects: [],
  },
  // ── our own doings ──
  {
    name: 'a newcomer starts: it settles its join time for a while',
    given: {},
    event: { type: 'start', settle: true },
    then: { settleUntil: NOW + JOIN_SETTLE_MS },
    effects: [],
  },
  {
    name: "the room's creator, or a reloaded tab, starts: it keeps its join time",
    given: {},
    event: { type: 'start', settle: false },
    then: {},
    effects: [],
  },
  {
    name: 'we choose a name',
    given: {},
    event: { type: 'rename', name: 'Samuel' },
    then: { self: { id: 's', name: 'Samuel', joinedAt: 200 } },
    effects: [],
  },
]

describe('stepRegistry', () => {
  it.each(rows)('$name', ({ given, event, then, effects }) => {
    const state = build(given)
    const step = stepRegistry(state, event, NOW)
    expect(plain(step.state)).toEqual({ ...BASE, ...given, ...then })
    expect(step.effects).toEqual(effects)
  })

  it('returns the very same state when nothing changes, so nothing reactive fires', () => {
    const unchanged = rows.filter((row) => Object.keys(row.then).length === 0 && row.event.type !== 'start')
    expect(unchanged.length).toBeGreaterThan(10)
    for (const { given, event } of unchanged) {
      const state = build(given)
      expect(stepRegistry(state, event, NOW).state, event.type).toBe(state)
    }
  })

  it('leaves the given state as it was', () => {
    const state = build({ hostId: 's', members: [bo] })
    stepRegistry(state, { type: 'remove', from: 's', peerId: 'b' }, NOW)
    expect(plain(state)).toEqual({ ...BASE, hostId: 's', members: [bo] })
  })

  it('makes the creator host from the start', () => {
    const self = { id: 's', name: 'Sam', joinedAt: 200 }
    expect(initialRegistry(self, true).hostId).toBe('s')
    expect(initialRegistry(self, false).hostId).toBeNull()
  })
})

describe('registry views', () => {
  const state = build({ hostId: 'b', members: [{ ...bo, name: 'Sam', rtt: 12 }, away(ana)] })

  it('lists everyone longest-present first, with unique names, the host and each link', () => {
    expect(memberViews(state)).toEqual([
      { id: 'a', name: 'Ana', self: false, host: false, transport: 'closed', rtt: null, away: true },
      { id: 's', name: 'Sam', self: true, host: false, transport: 'self', rtt: null, away: false },
      { id: 'b', name: 'Sam (2)', self: false, host: true, transport: 'webrtc', rtt: 12, away: false },
    ])
  })

  it("names present members by their unique name, anyone else '?'", () => {
    expect(nameOf(state, 'b')).toBe('Sam (2)')
    expect(nameOf(state, 'x')).toBe('?')
  })

  it('resolves the host among those present', () => {
    expect(hostOf(state)).toBe('b')
    expect(hostOf(build({ hostId: 'gone', members: [bo] }))).toBe('s')
  })

  it("gives a newcomer the registry's part of the snapshot", () => {
    expect(registrySnapshot(build({ members: [bo], removed: ['x'], locked: true }))).toEqual({
      members: [BASE.self, { id: 'b', name: 'Bo', joinedAt: 300 }],
      hostId: 's',
      locked: true,
      removed: ['x'],
    })
  })
})

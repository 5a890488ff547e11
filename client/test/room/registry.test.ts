import { describe, expect, it } from 'vitest'
import type { MemberInfo } from '../../src/lib/room/members.ts'
import type { Snapshot } from '../../src/lib/room/protocol.ts'
import type { Authority } from '../../src/lib/room/authority.ts'
import { chain, genesis, handover, state as hostState } from './authority-fakes.ts'
import {
  authorityDue,
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
  authority: Authority | null
  carriers: [string, Authority][]
  chooseUntil: number | null
  mayMint: boolean
  ended: RoomEnd | null
  helloSeen: boolean
  settleUntil: number | null
}

/** This tab is Sam (id `s`), joined at 200; most rows are past the first hello. */
const BASE: Plain = {
  self: { id: 's', name: 'Sam', joinedAt: 200 },
  members: [],
  authority: null,
  carriers: [],
  chooseUntil: null,
  mayMint: false,
  ended: null,
  helloSeen: true,
  settleUntil: null,
}

function build(given: Partial<Plain>): RegistryState {
  const plain = { ...BASE, ...given }
  return {
    ...plain,
    members: new Map(plain.members.map((member) => [member.id, member])),
    carriers: new Map(plain.carriers),
  }
}

function plain(state: RegistryState): Plain {
  return { ...state, members: [...state.members.values()], carriers: [...state.carriers] }
}

/** The chain where `host` runs the room with `members` in its roster, and the lock and removals given. */
const ruled = (
  host: string,
  members: string[],
  more: { locked?: boolean; removed?: string[]; seq?: number } = {},
) => chain(host, { members, ...more })
const authorityEvent = (from: string, authority: Authority): RegistryEvent => ({
  type: 'authority',
  from,
  authority,
})
const send = (to: string, authority: Authority): RegistryEffect => ({
  type: 'send',
  to,
  message: {
    type: 'authority',
    authority: { grants: authority.grants.map((g) => g.signed), state: authority.state?.signed ?? null },
  },
})
const broadcast = (authority: Authority): RegistryEffect => ({
  type: 'broadcast',
  message: {
    type: 'authority',
    authority: { grants: authority.grants.map((g) => g.signed), state: authority.state?.signed ?? null },
  },
})

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
  return { members: [], authority: null, chat: [], features: {}, ...part }
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
    given: { authority: ruled('s', ['s']) },
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
    name: 'a hello whose snapshot claims host, lock and removals without a chain sets none of them',
    given: { helloSeen: false, authority: ruled('a', ['a', 's']), members: [] },
    event: hello(bo, { authority: null, members: [{ id: 'b', name: 'Bo', joinedAt: 0 }] }),
    then: { helloSeen: true, members: [bo] },
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
    given: { members: [bo], authority: ruled('a', ['a', 's'], { removed: ['b'] }) },
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
    name: 'the host leaves: the first present member of its signed roster takes over, not the longest-present',
    given: { authority: ruled('a', ['a', 'b', 's']), members: [away(ana), { ...bo, joinedAt: 900 }] },
    event: { type: 'grace-over', peerId: 'a' },
    then: { members: [{ ...bo, joinedAt: 900 }] },
    effects: [notice('Ana left'), { type: 'left', peerId: 'a' }, notice('Bo is now the host')],
  },
  {
    name: 'the host leaves and its roster lists us first among those present: we take over',
    given: { authority: ruled('a', ['a', 'x', 's', 'b']), members: [away(ana), bo] },
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
  // ── authority: lock, removal, hand-over ──
  {
    name: 'our own signed lock: everyone is told',
    given: { authority: ruled('s', ['s', 'b']), members: [bo] },
    event: authorityEvent('s', ruled('s', ['s', 'b'], { locked: true, seq: 1 })),
    then: { authority: ruled('s', ['s', 'b'], { locked: true, seq: 1 }) },
    effects: [broadcast(ruled('s', ['s', 'b'], { locked: true, seq: 1 })), notice(LOCKED)],
  },
  {
    name: "the host's signed lock arrives",
    given: { authority: ruled('a', ['a', 's']), members: [ana] },
    event: authorityEvent('a', ruled('a', ['a', 's'], { locked: true, seq: 1 })),
    then: { authority: ruled('a', ['a', 's'], { locked: true, seq: 1 }) },
    effects: [notice(LOCKED)],
  },
  {
    name: "the host's signed unlock, relayed by another member, arrives",
    given: { authority: ruled('a', ['a', 's'], { locked: true, seq: 1 }), members: [ana, bo] },
    event: authorityEvent('b', ruled('a', ['a', 's'], { seq: 2 })),
    then: { authority: ruled('a', ['a', 's'], { seq: 2 }) },
    effects: [notice(UNLOCKED)],
  },
  {
    name: 'a replayed (older) lock is stale: ours goes back to the sender, nothing changes',
    given: { authority: ruled('a', ['a', 's'], { seq: 2 }), members: [ana, bo] },
    event: authorityEvent('b', ruled('a', ['a', 's'], { locked: true, seq: 1 })),
    then: {},
    effects: [send('b', ruled('a', ['a', 's'], { seq: 2 }))],
  },
  {
    name: 'a lock signed by a member who is not the host is refused',
    given: { authority: ruled('a', ['a', 'b', 's']), members: [ana, bo] },
    event: authorityEvent('b', {
      grants: [genesis('a')],
      state: hostState('b', { members: ['a', 'b', 's'], locked: true, seq: 1 }),
    }),
    then: {},
    effects: [
      { type: 'warn', text: "room: ignored b's authority chain: the state is not signed by its term’s host" },
    ],
  },
  {
    name: 'a removal signed by a member who is not the host is refused',
    given: { authority: ruled('a', ['a', 'b', 's']), members: [ana, bo] },
    event: authorityEvent('b', {
      grants: [genesis('a')],
      state: hostState('b', { members: ['b'], removed: ['a', 's'], seq: 5 }),
    }),
    then: {},
    effects: [
      { type: 'warn', text: "room: ignored b's authority chain: the state is not signed by its term’s host" },
    ],
  },
  {
    name: 'a hand-over signed by a member who is not the host is refused',
    given: { authority: ruled('a', ['a', 'b', 's']), members: [ana, bo] },
    event: authorityEvent('b', { grants: [genesis('a'), handover(1, 'b', 'b')], state: null }),
    then: {},
    effects: [
      { type: 'warn', text: "room: ignored b's authority chain: term 1: a hand-over not signed by the host" },
    ],
  },
  {
    name: "a member's own genesis (a chain of another room) changes nothing for a member of the room",
    given: { authority: ruled('a', ['a', 'b', 's']), members: [ana, bo] },
    event: authorityEvent('b', chain('b', { members: ['b'], locked: true, removed: ['a'] })),
    then: {},
    effects: [{ type: 'warn', text: "room: ignored b's authority chain of another room" }],
  },
  {
    name: "the host's hand-over arrives: the new host is host",
    given: { authority: ruled('a', ['a', 'b', 's']), members: [ana, bo] },
    event: authorityEvent('a', {
      grants: [genesis('a'), handover(1, 'a', 'b')],
      state: ruled('a', ['a', 'b', 's']).state,
    }),
    then: {
      authority: { grants: [genesis('a'), handover(1, 'a', 'b')], state: ruled('a', ['a', 'b', 's']).state },
    },
    effects: [notice('Bo is now the host')],
  },
  {
    name: "the host's removal arrives: the member is dropped and banned at once",
    given: { authority: ruled('a', ['a', 'b', 's']), members: [ana, bo] },
    event: authorityEvent('a', ruled('a', ['a', 's'], { removed: ['b'], seq: 1 })),
    then: { authority: ruled('a', ['a', 's'], { removed: ['b'], seq: 1 }), members: [ana] },
    effects: [{ type: 'ban', peerId: 'b', at: NOW }, notice('Bo was removed'), { type: 'left', peerId: 'b' }],
  },
  {
    name: 'our own removal of a member who is away: its timer stops, its link stays a moment',
    given: { authority: ruled('s', ['s', 'b']), members: [away(bo)] },
    event: authorityEvent('s', ruled('s', ['s'], { removed: ['b'], seq: 1 })),
    then: { authority: ruled('s', ['s'], { removed: ['b'], seq: 1 }), members: [] },
    effects: [
      broadcast(ruled('s', ['s'], { removed: ['b'], seq: 1 })),
      { type: 'cancel-timer', peerId: 'b' },
      { type: 'ban', peerId: 'b', at: NOW + REMOVE_LINGER_MS },
      notice('Bo was removed'),
      { type: 'left', peerId: 'b' },
    ],
  },
  {
    name: 'the host removes us: the room ends for us',
    given: { authority: ruled('a', ['a', 's']), members: [ana] },
    event: authorityEvent('a', ruled('a', ['a'], { removed: ['s'], seq: 1 })),
    then: { authority: ruled('a', ['a'], { removed: ['s'], seq: 1 }), ended: 'removed' },
    effects: [notice('The host removed you from the room')],
  },
  {
    name: 'a newcomer adopts the first chain it gets, with its lock and removals',
    given: { chooseUntil: NOW + 1000, members: [ana] },
    event: authorityEvent('a', ruled('a', ['a', 's'], { locked: true, removed: ['x'] })),
    then: {
      authority: ruled('a', ['a', 's'], { locked: true, removed: ['x'] }),
      carriers: [['a', ruled('a', ['a', 's'], { locked: true, removed: ['x'] })]],
    },
    effects: [notice(LOCKED), { type: 'ban', peerId: 'x', at: NOW }],
  },
  {
    name: 'a newcomer facing two rooms takes the one more members carry',
    given: {
      chooseUntil: NOW + 1000,
      members: [ana, bo, m('c', 'Cy', 400)],
      authority: ruled('c', ['c'], {}),
      carriers: [
        ['c', ruled('c', ['c'])],
        ['a', ruled('a', ['a', 'b', 'c'])],
      ],
    },
    event: authorityEvent('b', ruled('a', ['a', 'b', 'c'])),
    then: {
      authority: ruled('a', ['a', 'b', 'c']),
      carriers: [
        ['c', ruled('c', ['c'])],
        ['a', ruled('a', ['a', 'b', 'c'])],
        ['b', ruled('a', ['a', 'b', 'c'])],
      ],
    },
    effects: [notice('Ana is now the host')],
  },
  // ── our own doings ──
  {
    name: 'a newcomer starts: it settles its join time for a while',
    given: {},
    event: { type: 'start', settle: true, mint: false },
    then: { settleUntil: NOW + JOIN_SETTLE_MS, chooseUntil: NOW + JOIN_SETTLE_MS },
    effects: [],
  },
  {
    name: "the room's creator starts: it keeps its join time and mints the room's genesis",
    given: {},
    event: { type: 'start', settle: false, mint: true },
    then: { mayMint: true },
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
    expect(unchanged.length).toBeGreaterThan(8)
    for (const { given, event } of unchanged) {
      const state = build(given)
      expect(stepRegistry(state, event, NOW).state, event.type).toBe(state)
    }
  })

  it('leaves the given state as it was', () => {
    const state = build({ authority: ruled('s', ['s', 'b']), members: [bo] })
    stepRegistry(state, authorityEvent('s', ruled('s', ['s'], { removed: ['b'], seq: 1 })), NOW)
    expect(plain(state)).toEqual({ ...BASE, authority: ruled('s', ['s', 'b']), members: [bo] })
  })

  it('starts with no host: only a signed chain makes one', () => {
    const self = { id: 's', name: 'Sam', joinedAt: 200 }
    expect(hostOf(initialRegistry(self))).toBeNull()
  })

  it('says what this tab must sign: genesis, succession, its roster', () => {
    expect(authorityDue(build({ mayMint: true }))).toBe('genesis')
    expect(authorityDue(build({}))).toBeNull()
    expect(authorityDue(build({ authority: chain('s') }))).toBe('state')
    expect(authorityDue(build({ authority: ruled('s', ['s']) }))).toBeNull()
    expect(authorityDue(build({ authority: ruled('s', ['s']), members: [bo] }))).toBe('state')
    expect(authorityDue(build({ authority: ruled('a', ['a', 's', 'b']), members: [bo] }))).toBe('succession')
    expect(authorityDue(build({ authority: ruled('a', ['a', 'b', 's']), members: [bo] }))).toBeNull()
    expect(authorityDue(build({ authority: ruled('a', ['a', 's']), members: [ana] }))).toBeNull()
  })
})

describe('registry views', () => {
  const state = build({
    authority: ruled('b', ['b', 's', 'a']),
    members: [{ ...bo, name: 'Sam', rtt: 12 }, away(ana)],
  })

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
    expect(hostOf(build({ authority: ruled('gone', ['gone', 's', 'b']), members: [bo] }))).toBe('s')
    expect(hostOf(build({ authority: ruled('gone', ['gone']), members: [bo] }))).toBeNull()
  })

  it("gives a newcomer the registry's part of the snapshot", () => {
    const authority = ruled('s', ['s', 'b'], { removed: ['x'], locked: true })
    expect(registrySnapshot(build({ members: [bo], authority }))).toEqual({
      members: [BASE.self, { id: 'b', name: 'Bo', joinedAt: 300 }],
      authority: { grants: authority.grants.map((grant) => grant.signed), state: authority.state?.signed },
    })
  })
})

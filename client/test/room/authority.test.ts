import { describe, expect, it } from 'vitest'
import {
  chainFault,
  mergeAuthority,
  nextRoster,
  nextState,
  pickRoom,
  presentHost,
  rotateFault,
  type Authority,
  type RotateBody,
} from '../../src/lib/room/authority.ts'
import { signStatement, verifyAuthority, verifyStatement } from '../../src/lib/room/authority-signing.ts'
import { toWire } from '../../src/lib/room/authority.ts'
import { chain, genesis, handover, ROOM, state, succession, verified } from './authority-fakes.ts'
import { signedMembers } from './signed-members.ts'

const here = (...ids: string[]) => new Set(ids)

describe('chainFault: only the host writes the chain', () => {
  const rows: [string, Authority, string | null][] = [
    ['a genesis and its host’s state', chain('a', { members: ['a', 'b'] }), null],
    [
      'a lock signed by a member who is not the host',
      { grants: [genesis('a')], state: state('b', { members: ['a', 'b'], locked: true }) },
      'the state is not signed by its term’s host',
    ],
    [
      'a removal signed by a member who is not the host',
      { grants: [genesis('a')], state: state('b', { members: ['b'], removed: ['a'] }) },
      'the state is not signed by its term’s host',
    ],
    [
      'a hand-over signed by a member who is not the host',
      { grants: [genesis('a'), handover(1, 'b', 'c')], state: null },
      'term 1: a hand-over not signed by the host',
    ],
    ['the host’s hand-over', { grants: [genesis('a'), handover(1, 'a', 'b')], state: null }, null],
    [
      'a genesis signed by someone else than its host',
      { grants: [verified({ kind: 'genesis', room: ROOM, term: 0, host: 'a' }, 'b')], state: null },
      'the genesis is not signed by its host',
    ],
    [
      'a succession by a member of the departed host’s roster',
      { grants: [genesis('a'), succession(1, 'c', state('a', { members: ['a', 'b', 'c'] }))], state: null },
      null,
    ],
    [
      'a succession by a member outside the roster',
      { grants: [genesis('a'), succession(1, 'x', state('a', { members: ['a', 'b'] }))], state: null },
      'term 1: a successor outside the departed host’s roster',
    ],
    [
      'a succession standing on a roster its claimant signed itself',
      { grants: [genesis('a'), succession(1, 'b', state('b', { members: ['a', 'b'] }))], state: null },
      'term 1: a succession roster not signed by its term’s host',
    ],
    [
      'a succession by a removed member',
      {
        grants: [genesis('a'), succession(1, 'b', state('a', { members: ['a', 'b'], removed: ['b'] }))],
        state: null,
      },
      'term 1: a successor outside the departed host’s roster',
    ],
    [
      'a state of the old host after it handed over (kept: it is of its own term)',
      { grants: [genesis('a'), handover(1, 'a', 'b')], state: state('a', { members: ['a', 'b'] }) },
      null,
    ],
    [
      'a state claiming a later term than the chain has',
      { grants: [genesis('a')], state: state('a', { term: 1 }) },
      'the state is of a later term',
    ],
    [
      'a grant skipping a term',
      { grants: [genesis('a'), handover(2, 'a', 'b')], state: null },
      'term 1: a grant out of order',
    ],
  ]
  it.each(rows)('%s', (_, authority, fault) => {
    expect(chainFault(authority)).toBe(fault)
  })
})

describe('mergeAuthority: every member ends with the same chain', () => {
  const base = chain('a', { members: ['a', 'b'] })
  const locked = chain('a', { members: ['a', 'b'], locked: true, seq: 1 })

  it('takes a newer state and refuses a replayed older one', () => {
    expect(mergeAuthority(base, locked)).toEqual(locked)
    expect(mergeAuthority(locked, base)).toBe(locked)
  })

  it('takes a later term', () => {
    const handedOver = { grants: [genesis('a'), handover(1, 'a', 'b')], state: base.state }
    expect(mergeAuthority(locked, handedOver).grants).toEqual(handedOver.grants)
    expect(mergeAuthority(handedOver, locked)).toBe(handedOver)
  })

  it('never replaces its genesis, even by one naming a lower id for the same room', () => {
    expect(mergeAuthority(chain('b'), chain('a'))).toEqual(chain('b'))
  })

  it('prefers a hand-over to a succession, and the earlier successor in the roster', () => {
    const roster = state('a', { members: ['a', 'c', 'b'] })
    const byC = { grants: [genesis('a'), succession(1, 'c', roster)], state: roster }
    const byB = { grants: [genesis('a'), succession(1, 'b', roster)], state: roster }
    const toB = { grants: [genesis('a'), handover(1, 'a', 'b')], state: roster }
    expect(mergeAuthority(byB, byC)).toBe(byC)
    expect(mergeAuthority(byC, byB)).toBe(byC)
    expect(mergeAuthority(byC, toB)).toBe(toB)
  })
})

describe('presentHost: succession on the signed roster', () => {
  const authority = chain('a', { members: ['a', 'c', 'b', 'd'], removed: ['x'] })
  it.each([
    [['a', 'b', 'c'], 'a'],
    [['b', 'c', 'd'], 'c'],
    [['b', 'd'], 'b'],
    [['d', 'y'], 'd'],
    [['y'], null],
  ] as const)('present %j: %s', (present, host) => {
    expect(presentHost(authority, here(...present))).toBe(host)
  })

  it('has no host without a chain, whoever claims it', () => {
    expect(presentHost(null, here('a'))).toBeNull()
  })
})

describe('the host’s next statements', () => {
  it('keeps join order, appends newcomers, drops who left and who was removed', () => {
    const authority = chain('a', { members: ['a', 'c', 'b'], removed: ['x'] })
    expect(nextRoster(authority, ['a', 'b', 'x', 'd', 'c'])).toEqual(['a', 'c', 'b', 'd'])
    expect(nextRoster(authority, ['a', 'd'])).toEqual(['a', 'd'])
  })

  it('counts up, keeps removals, and starts at 0 in a new term', () => {
    const authority = chain('a', { members: ['a', 'b'], removed: ['x'], seq: 4 })
    expect(nextState(authority, ['a', 'b'], { remove: 'b' })).toMatchObject({
      seq: 5,
      members: ['a'],
      removed: ['x', 'b'],
      locked: false,
    })
    const handedOver = { grants: [genesis('a'), handover(1, 'a', 'b')], state: authority.state }
    expect(nextState(handedOver, ['a', 'b'], { locked: true })).toMatchObject({
      term: 1,
      seq: 0,
      removed: ['x'],
    })
  })
})

describe('pickRoom: a newcomer facing chains of different rooms', () => {
  const real = chain('a', { members: ['a', 'b', 'c', 'm'] })
  const forged = chain('m', { members: ['m'] })
  const present = here('a', 'b', 'm', 's')
  it('takes the chain most present members carry', () => {
    const carriers = new Map([
      ['m', forged],
      ['a', real],
      ['b', real],
    ])
    expect(pickRoom(carriers, present, forged)).toEqual(real)
  })
  it('on a tie, the one whose signed roster lists more of those present', () => {
    const carriers = new Map([
      ['m', forged],
      ['a', real],
    ])
    expect(pickRoom(carriers, present, forged)).toEqual(real)
    expect(pickRoom(carriers, present, real)).toEqual(real)
  })
  it('on a full tie, the one it holds', () => {
    const other = chain('b', { members: ['b'] })
    const carriers = new Map([
      ['m', forged],
      ['b', other],
    ])
    expect(pickRoom(carriers, present, other)).toEqual(other)
    expect(pickRoom(carriers, present, forged)).toEqual(forged)
  })
})

describe('rotateFault: only the host moves the room', () => {
  const authority = chain('a', { members: ['a', 'b'] })
  const rotate = (by: string, fields: Partial<RotateBody> = {}) =>
    verified<RotateBody>(
      { kind: 'rotate', room: ROOM, term: 0, from: 'doc', secret: 'S'.repeat(22), ...fields },
      by,
    )
  it.each([
    ['the host’s', rotate('a'), null],
    ['a member’s', rotate('b'), 'a rotate not from the host'],
    ['one replayed from another document', rotate('a', { from: 'old' }), 'a rotate for another document'],
    ['one of another room', rotate('a', { room: 'X'.repeat(22) }), 'a rotate of another room'],
    ['one of an earlier term', rotate('a', { term: 1 }), 'a rotate not from the host'],
  ] as const)('%s', (_, statement, fault) => {
    expect(rotateFault(authority, statement, 'doc')).toBe(fault)
  })
  it('no chain, no rotate', () => {
    expect(rotateFault(null, rotate('a'), 'doc')).toBe('no authority known')
  })
})

describe('signatures', () => {
  const { id, signers } = signedMembers(['a', 'b'])

  it('checks every statement of a chain and names its signer', async () => {
    const a = signers.get(id.a)!
    const g = await signStatement(a, { kind: 'genesis', room: ROOM, term: 0, host: id.a })
    const s = await signStatement(a, {
      kind: 'state',
      room: ROOM,
      term: 0,
      seq: 0,
      members: [id.a, id.b],
      removed: [],
      locked: true,
    })
    const wire = toWire({ grants: [g], state: s })
    const checked = await verifyAuthority(wire)
    expect(checked?.state?.by).toBe(id.a)
    expect(chainFault(checked!)).toBeNull()
    // a changed field, or another member's key on the host's signature
    expect(
      await verifyAuthority({ ...wire, state: { ...s.signed, body: { ...s.body, locked: false } } }),
    ).toBeNull()
    const b = signers.get(id.b)!
    const replaced = { ...s.signed, pub: (await signStatement(b, s.body)).signed.pub }
    expect(await verifyStatement(replaced)).toBeNull()
  })

  it('a statement the member signed itself checks as its own, and the rules refuse it', async () => {
    const a = signers.get(id.a)!
    const b = signers.get(id.b)!
    const g = await signStatement(a, { kind: 'genesis', room: ROOM, term: 0, host: id.a })
    const forged = await signStatement(b, {
      kind: 'state',
      room: ROOM,
      term: 0,
      seq: 9,
      members: [id.b],
      removed: [id.a],
      locked: true,
    })
    const checked = await verifyAuthority({ grants: [g.signed], state: forged.signed })
    expect(checked?.state?.by).toBe(id.b)
    expect(chainFault(checked!)).toBe('the state is not signed by its term’s host')
  })
})

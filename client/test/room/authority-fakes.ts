/**
 * Authority chains for tests of the pure rules (authority.ts, registry.ts): statements as they are once
 * their signatures checked (`Verified`, with the signer's id), without the crypto. A statement's stand-in
 * signature is its content, so the same statement is the same signature and any change makes another.
 */
import type {
  Authority,
  GrantBody,
  StateBody,
  StatementBody,
  Verified,
  VerifiedGrant,
} from '../../src/lib/room/authority.ts'

export const ROOM = 'R'.repeat(22)

export function verified<B extends StatementBody>(body: B, by: string): Verified<B> {
  return { body, by, signed: { body, pub: `pub-${by}`, sig: `${by}:${JSON.stringify(body)}` } }
}

export function genesis(host: string, room = ROOM): VerifiedGrant {
  return verified<GrantBody>({ kind: 'genesis', room, term: 0, host }, host)
}

export function handover(term: number, from: string, to: string, room = ROOM): VerifiedGrant {
  return verified<GrantBody>({ kind: 'handover', room, term, host: to }, from)
}

export function succession(term: number, to: string, after: Verified<StateBody>, room = ROOM): VerifiedGrant {
  return {
    ...verified<GrantBody>({ kind: 'succession', room, term, host: to, after: after.signed }, to),
    afterBy: after.by,
  }
}

export function state(by: string, fields: Partial<StateBody> = {}): Verified<StateBody> {
  return verified<StateBody>(
    { kind: 'state', room: ROOM, term: 0, seq: 0, members: [by], removed: [], locked: false, ...fields },
    by,
  )
}

/** A one-term chain: `host`'s genesis and, when given, its state. */
export function chain(host: string, fields?: Partial<StateBody>, room = ROOM): Authority {
  return {
    grants: [genesis(host, room)],
    state: fields ? { ...state(host, { room, ...fields }) } : null,
  }
}

/**
 * Who may run the room, as a small chain of signed statements nobody else can write (docs/security.md):
 * - grants, one per host term: the `genesis` (term 0), signed by the room's creator; a `handover`, signed by
 *   the host of the term before; or a `succession`, signed by the successor itself, which carries the last
 *   roster the departed host signed (the successor must be in it);
 * - the host's latest `state`: the roster (member ids in the order the host first verified each one), the
 *   removed ids and the lock, with a sequence number that only grows within a term (replays are stale).
 *
 * Pure: signatures are checked before anything gets here (authority-signing.ts), so a statement arrives as
 * `Verified`, with the peer id whose key signed it. These rules then decide whether a chain holds together,
 * which of two chains of the same room wins, and who the host is among those present.
 */

export interface StateBody {
  kind: 'state'
  /** The room's lineage id, chosen at genesis: statements of one room never apply to another. */
  room: string
  term: number
  seq: number
  /** Member ids in join order, as this host first verified them; the host included. */
  members: string[]
  removed: string[]
  locked: boolean
}

export interface Signed<B> {
  body: B
  /** base64url Ed25519 public key of the signer; its hash is the signer's peer id. */
  pub: string
  sig: string
}

export type GrantBody =
  | { kind: 'genesis'; room: string; term: 0; host: string }
  | { kind: 'handover'; room: string; term: number; host: string }
  | { kind: 'succession'; room: string; term: number; host: string; after: Signed<StateBody> }

/** The host's order to move the room to a new link; sent to each remaining member on its own. */
export interface RotateBody {
  kind: 'rotate'
  room: string
  term: number
  /** The document the room leaves: a rotate cannot be replayed in the next one. */
  from: string
  secret: string
}

export type StatementBody = StateBody | GrantBody | RotateBody

/** A statement whose signature checked: `by` is the signer's peer id. `signed` goes out again as it came. */
export interface Verified<B> {
  body: B
  by: string
  signed: Signed<B>
}

/** A succession grant also names who signed the roster it carries. */
export type VerifiedGrant = Verified<GrantBody> & { afterBy?: string }

export interface Authority {
  grants: readonly VerifiedGrant[]
  state: Verified<StateBody> | null
}

export interface AuthorityWire {
  grants: Signed<GrantBody>[]
  state: Signed<StateBody> | null
}

/** Grants in one chain: host changes are rare; more is a flood. */
export const MAX_GRANTS = 64

export function toWire(authority: Authority): AuthorityWire {
  return { grants: authority.grants.map((grant) => grant.signed), state: authority.state?.signed ?? null }
}

export function roomOf(authority: Authority): string {
  return authority.grants[0]!.body.room
}

/** Which chain this is: its genesis's signature (a forged genesis may copy the room id, not the signature). */
export function lineOf(authority: Authority): string {
  return authority.grants[0]!.signed.sig
}

/** The host of the chain's last term (who may sign; whether present or not). */
export function chainHost(authority: Authority): string {
  return authority.grants.at(-1)!.body.host
}

export function termOf(authority: Authority): number {
  return authority.grants.length - 1
}

export function rosterOf(authority: Authority): readonly string[] {
  return authority.state?.body.members ?? [chainHost(authority)]
}

export function removedOf(authority: Authority | null): readonly string[] {
  return authority?.state?.body.removed ?? []
}

export function lockedOf(authority: Authority | null): boolean {
  return authority?.state?.body.locked ?? false
}

/** Why a chain does not hold together; null when it does. */
export function chainFault(authority: Authority): string | null {
  const { grants, state } = authority
  if (grants.length === 0 || grants.length > MAX_GRANTS) return 'no grants, or too many'
  const genesis = grants[0]!
  if (genesis.body.kind !== 'genesis' || genesis.body.term !== 0)
    return 'the chain does not start at a genesis'
  if (genesis.by !== genesis.body.host) return 'the genesis is not signed by its host'
  const room = genesis.body.room
  for (let term = 1; term < grants.length; term++) {
    const fault = grantFault(grants, term)
    if (fault) return `term ${term}: ${fault}`
  }
  if (state) {
    const { body } = state
    if (body.room !== room) return 'the state is of another room'
    if (body.term >= grants.length) return 'the state is of a later term'
    if (state.by !== grants[body.term]!.body.host) return 'the state is not signed by its term’s host'
  }
  return null
}

function grantFault(grants: readonly VerifiedGrant[], term: number): string | null {
  const grant = grants[term]!
  const room = grants[0]!.body.room
  const previousHost = grants[term - 1]!.body.host
  const { body } = grant
  if (body.room !== room) return 'a grant of another room'
  if (body.term !== term) return 'a grant out of order'
  if (body.host === previousHost) return 'a grant to the host itself'
  switch (body.kind) {
    case 'genesis':
      return 'a second genesis'
    case 'handover':
      return grant.by === previousHost ? null : 'a hand-over not signed by the host'
    case 'succession': {
      const after = body.after.body
      if (grant.by !== body.host) return 'a succession not signed by the successor'
      if (after.room !== room || after.term >= term) return 'a succession roster of another term'
      if (grant.afterBy !== grants[after.term]!.body.host)
        return 'a succession roster not signed by its term’s host'
      if (!after.members.includes(body.host) || after.removed.includes(body.host))
        return 'a successor outside the departed host’s roster'
      return null
    }
    default:
      return body satisfies never
  }
}

/**
 * Two valid chains of the same room, merged the same way on every member (another genesis never replaces
 * ours):
 * - where one chain's grants extend the other's, the longer wins (a later term);
 * - where they part at a term, a hand-over (the host chose) beats a succession; two successions from the
 *   same roster: the successor earlier in that roster wins; otherwise the lower host id (a host that signed
 *   two hand-overs for one term cheated, and this keeps the room agreeing);
 * - with the same grants, the newer state: later term, then higher sequence number (a replay is never newer).
 */
export function mergeAuthority(ours: Authority, theirs: Authority): Authority {
  if (lineOf(ours) !== lineOf(theirs)) return ours
  const length = Math.min(ours.grants.length, theirs.grants.length)
  for (let term = 1; term < length; term++) {
    const a = ours.grants[term]!
    const b = theirs.grants[term]!
    if (a.signed.sig === b.signed.sig) continue
    return grantWins(b, a) ? theirs : ours
  }
  if (theirs.grants.length !== ours.grants.length)
    return theirs.grants.length > ours.grants.length ? theirs : ours
  return stateOrder(theirs.state, ours.state) > 0 ? { grants: ours.grants, state: theirs.state } : ours
}

/** Later term first, then higher sequence number: positive when `a` is newer than `b`. */
function stateOrder(a: Verified<StateBody> | null, b: Verified<StateBody> | null): number {
  if (!a || !b) return a ? 1 : b ? -1 : 0
  return a.body.term - b.body.term || a.body.seq - b.body.seq
}

/** Whether two chains are the same statements. */
export function sameChain(a: Authority | null, b: Authority | null): boolean {
  if (!a || !b) return a === b
  return (
    a.grants.length === b.grants.length &&
    a.grants.every((grant, index) => grant.signed.sig === b.grants[index]!.signed.sig) &&
    a.state?.signed.sig === b.state?.signed.sig
  )
}

/** Whether grant `a` beats grant `b` for the same term. */
function grantWins(a: VerifiedGrant, b: VerifiedGrant): boolean {
  if (a.body.kind !== b.body.kind) return a.body.kind === 'handover'
  if (a.body.kind === 'succession' && b.body.kind === 'succession') {
    const roster = a.body.after.body.members
    const rankA = roster.indexOf(a.body.host)
    const rankB = roster.indexOf(b.body.host)
    if (a.body.after.sig === b.body.after.sig && rankA !== rankB) return rankA < rankB
  }
  return a.body.host < b.body.host
}

/**
 * The host among those present: the chain's host when present, else its successor — the first present
 * member of the host's last roster — who then signs its succession. Null when nobody in the roster is here.
 */
export function presentHost(authority: Authority | null, present: ReadonlySet<string>): string | null {
  if (!authority) return null
  const host = chainHost(authority)
  if (present.has(host)) return host
  const removed = new Set(removedOf(authority))
  return rosterOf(authority).find((id) => id !== host && present.has(id) && !removed.has(id)) ?? null
}

/**
 * The roster the host signs now: the last roster's members still present, in their order, then the present
 * members it does not list yet, in the order this host verified them (`present` is in that order).
 */
export function nextRoster(authority: Authority, present: readonly string[]): string[] {
  const here = new Set(present)
  const removed = new Set(removedOf(authority))
  const kept = rosterOf(authority).filter((id) => here.has(id) && !removed.has(id))
  const known = new Set(kept)
  return [...kept, ...present.filter((id) => !known.has(id) && !removed.has(id))]
}

/** The next state statement of the chain's host, with `change` applied; the roster as given. */
export function nextState(
  authority: Authority,
  roster: readonly string[],
  change: { locked?: boolean; remove?: string } = {},
): StateBody {
  const previous = authority.state?.body
  const removed = [...removedOf(authority)]
  if (change.remove && !removed.includes(change.remove)) removed.push(change.remove)
  return {
    kind: 'state',
    room: roomOf(authority),
    term: termOf(authority),
    seq: previous && previous.term === termOf(authority) ? previous.seq + 1 : 0,
    members: roster.filter((id) => !removed.includes(id)),
    removed,
    locked: change.locked ?? lockedOf(authority),
  }
}

export function genesisBody(room: string, host: string): GrantBody {
  return { kind: 'genesis', room, term: 0, host }
}

export function handoverBody(authority: Authority, to: string): GrantBody {
  return { kind: 'handover', room: roomOf(authority), term: termOf(authority) + 1, host: to }
}

/** A successor's grant: only with the departed host's signed roster to show for it. */
export function successionBody(authority: Authority, successor: string): GrantBody | null {
  if (!authority.state) return null
  return {
    kind: 'succession',
    room: roomOf(authority),
    term: termOf(authority) + 1,
    host: successor,
    after: authority.state.signed,
  }
}

/** Whether a rotate order is the current host's, for this room and the document we are in. */
export function rotateFault(
  authority: Authority | null,
  rotate: Verified<RotateBody>,
  documentId: string,
): string | null {
  if (!authority) return 'no authority known'
  const { body } = rotate
  if (body.room !== roomOf(authority)) return 'a rotate of another room'
  if (body.term !== termOf(authority) || rotate.by !== chainHost(authority))
    return 'a rotate not from the host'
  if (body.from !== documentId) return 'a rotate for another document'
  return null
}

/**
 * A newcomer facing chains of different rooms (only a member that forged its own genesis makes one) takes,
 * in this order: the chain carried by the most present members; the one whose signed roster lists the most
 * of those present; the one it holds already. Members already in a room never switch (see registry.ts).
 */
export function pickRoom(
  carriers: ReadonlyMap<string, Authority>,
  present: ReadonlySet<string>,
  current: Authority | null,
): Authority | null {
  const byLine = new Map<string, { authority: Authority; count: number }>()
  for (const authority of carriers.values()) {
    const line = lineOf(authority)
    const entry = byLine.get(line)
    if (entry) {
      entry.count++
      entry.authority = mergeAuthority(entry.authority, authority)
    } else byLine.set(line, { authority, count: 1 })
  }
  const listed = (authority: Authority) => rosterOf(authority).filter((id) => present.has(id)).length
  const held = current ? lineOf(current) : null
  const ranked = [...byLine.entries()].sort(
    ([lineA, a], [lineB, b]) =>
      b.count - a.count ||
      listed(b.authority) - listed(a.authority) ||
      Number(lineB === held) - Number(lineA === held),
  )
  return ranked[0]?.[1].authority ?? null
}

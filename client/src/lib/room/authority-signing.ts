import { base64url } from '../random.ts'
import { canonical, fromBase64url, peerIdFor, verify, type Bytes, type Signer } from '../mesh/signing.ts'
import type {
  Authority,
  AuthorityWire,
  GrantBody,
  Signed,
  StateBody,
  StatementBody,
  Verified,
  VerifiedGrant,
} from './authority.ts'

/**
 * Signing and checking the room's authority statements (authority.ts) with the members' Ed25519 identities
 * (mesh/signing.ts). The signed bytes are a canonical encoding of the statement's fields in a fixed order
 * under their own label, so a statement cannot pass for a chat line or another kind of statement.
 */
export const AUTHORITY_SIGNATURE_LABEL = 'theatron/authority/v1'

export function statementBytes(body: StatementBody): Bytes {
  return canonical([AUTHORITY_SIGNATURE_LABEL, ...statementParts(body)])
}

function statementParts(body: StatementBody): (string | number)[] {
  switch (body.kind) {
    case 'state':
      return [
        body.kind,
        body.room,
        body.term,
        body.seq,
        body.members.join(','),
        body.removed.join(','),
        body.locked ? 1 : 0,
      ]
    case 'genesis':
    case 'handover':
      return [body.kind, body.room, body.term, body.host]
    case 'succession':
      return [body.kind, body.room, body.term, body.host, body.after.sig]
    case 'rotate':
      return [body.kind, body.room, body.term, body.from, body.secret]
    default:
      return body satisfies never
  }
}

export async function signStatement<B extends StatementBody>(signer: Signer, body: B): Promise<Verified<B>> {
  const sig = base64url(await signer.sign(statementBytes(body)))
  return { body, by: signer.peerId, signed: { body, pub: base64url(signer.publicKey), sig } }
}

/** The statement with its signer's peer id when its signature checks; null otherwise. */
export async function verifyStatement<B extends StatementBody>(
  signed: Signed<B>,
): Promise<Verified<B> | null> {
  const publicKey = fromBase64url(signed.pub)
  const signature = fromBase64url(signed.sig)
  if (!publicKey || !signature) return null
  if (!(await verify(publicKey, statementBytes(signed.body), signature))) return null
  return { body: signed.body, by: await peerIdFor(publicKey), signed }
}

/** Every signature in a chain checked; null when one fails (the chain's rules are authority.ts's). */
export async function verifyAuthority(wire: AuthorityWire): Promise<Authority | null> {
  const grants: VerifiedGrant[] = []
  for (const signed of wire.grants) {
    const grant = await verifyGrant(signed)
    if (!grant) return null
    grants.push(grant)
  }
  const state = wire.state ? await verifyStatement(wire.state) : null
  if (wire.state && !state) return null
  return { grants, state }
}

async function verifyGrant(signed: Signed<GrantBody>): Promise<VerifiedGrant | null> {
  const grant = await verifyStatement(signed)
  if (!grant) return null
  if (signed.body.kind !== 'succession') return grant
  const after = await verifyStatement<StateBody>(signed.body.after)
  return after ? { ...grant, afterBy: after.by } : null
}

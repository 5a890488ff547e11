import * as v from 'valibot'
import { base64url, randomBytes } from '../random.ts'
import { PeerId } from '../wire/schemas.ts'
import {
  Handshake,
  NONCE_BYTES,
  type HandshakeCrypto,
  type HandshakeFailure,
  type Hello,
  type LinkKind,
  type Proof,
} from './handshake.ts'
import { fromBase64url, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, type Bytes } from './signing.ts'

/** What a session needs to prove itself on its links: who this tab is and the room's crypto. */
export interface LinkTrust {
  localId: string
  publicKey: Bytes
  crypto: HandshakeCrypto
}

/** Why a link was not trusted: a handshake failure, or a frame that breaks the protocol. */
export type TrustFailure = HandshakeFailure | 'malformed' | 'bad-frame'

export function newHandshake(trust: LinkTrust, kind: LinkKind, remoteId: string): Handshake {
  return new Handshake({
    kind,
    localId: trust.localId,
    localPublicKey: trust.publicKey,
    remoteId,
    nonce: randomBytes(NONCE_BYTES),
    crypto: trust.crypto,
  })
}

/** Byte strings on the wire: base64url of an exact length. */
const bytes = (length: number) =>
  v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9_-]+$/),
    v.length(Math.ceil((length * 4) / 3)),
    v.transform((text) => fromBase64url(text) ?? new Uint8Array()),
    v.check((decoded) => decoded.length === length),
  )

export const HelloFields = { id: PeerId, pub: bytes(PUBLIC_KEY_BYTES), nonce: bytes(NONCE_BYTES) }
export const ProofFields = { mac: bytes(32), sig: bytes(SIGNATURE_BYTES) }

export function helloFields(hello: Hello): { id: string; pub: string; nonce: string } {
  return { id: hello.id, pub: base64url(hello.publicKey), nonce: base64url(hello.nonce) }
}

export function toHello(fields: { id: string; pub: Bytes; nonce: Bytes }): Hello {
  return { id: fields.id, publicKey: fields.pub, nonce: fields.nonce }
}

export function proofFields(proof: Proof): { mac: string; sig: string } {
  return { mac: base64url(proof.mac), sig: base64url(proof.signature) }
}

export function toProof(fields: { mac: Bytes; sig: Bytes }): Proof {
  return { mac: fields.mac, signature: fields.sig }
}

/** The DTLS fingerprint in an SDP (`a=fingerprint:<hash> <hex>`), as one normalised string; null if none. */
export function sdpFingerprint(signal: unknown): string | null {
  if (typeof signal !== 'object' || signal === null || !('sdp' in signal)) return null
  const { sdp } = signal
  if (typeof sdp !== 'string') return null
  const match = /^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/m.exec(sdp)
  return match ? `${match[1]!.toLowerCase()} ${match[2]!.toUpperCase()}` : null
}

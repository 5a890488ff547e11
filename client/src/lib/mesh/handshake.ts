import { canonical, peerIdFor, verify, type Signer, type Bytes } from './signing.ts'
import { sameBytes } from '../bytes.ts'

/**
 * The mutual handshake every link runs before it carries a room message: each side proves it holds the
 * room key (a MAC-like proof derived from the key) and its identity's private key (a signature), over a
 * transcript that binds both peer ids, both public keys, fresh nonces from both sides and, on a WebRTC
 * link, both DTLS fingerprints as each side saw them in the SDP. A replayed proof (other nonces), a
 * proof for other ids, a relay that swapped fingerprints or someone without the room key all fail.
 *
 * A pure state machine over injected crypto (`HandshakeCrypto`): no I/O, no timers. The caller carries
 * `hello` and the proof over its channel. Both sides send their hello at once, and each sends its proof
 * on receiving the other's hello: one round trip in all, with further frames free to follow the proof.
 */
export type LinkKind = 'pipe' | 'webrtc'

export interface Hello {
  id: string
  publicKey: Bytes
  nonce: Bytes
}

export interface Proof {
  mac: Bytes
  signature: Bytes
}

/** The DTLS fingerprints of a WebRTC link: this side's own (its local SDP) and the other side's. */
export interface Fingerprints {
  local: string
  remote: string
}

export type HandshakeFailure =
  /** The hello names another peer than the one this link is to. */
  | 'wrong-id'
  /** The peer id is not the hash of the public key offered with it. */
  | 'id-not-key'
  /** The proof does not match this transcript: no room key, other nonces, ids or fingerprints. */
  | 'bad-proof'
  | 'bad-signature'
  /** A proof before the hello, or a second hello. */
  | 'out-of-order'

export interface Verified {
  remotePublicKey: Bytes
  /** SHA-256 of the transcript: the salt of every key derived for this link. */
  transcriptHash: Bytes
}

export interface HandshakeCrypto {
  /** HKDF-SHA-256 from the room key: 32 bytes for `salt` and `info`. */
  derive(salt: Bytes, info: Bytes): Promise<Bytes>
  sign(bytes: Bytes): Promise<Bytes>
  verify(publicKey: Bytes, bytes: Bytes, signature: Bytes): Promise<boolean>
  peerIdFor(publicKey: Bytes): Promise<string>
  sha256(bytes: Bytes): Promise<Bytes>
}

export const NONCE_BYTES = 16
const TRANSCRIPT_LABEL = 'theatron/handshake/v1'
const SIGNATURE_LABEL = 'theatron/handshake-signature/v1'

export interface HandshakeOptions {
  kind: LinkKind
  localId: string
  localPublicKey: Bytes
  remoteId: string
  /** Fresh random bytes for this handshake only. */
  nonce: Bytes
  crypto: HandshakeCrypto
}

export class Handshake {
  readonly hello: Hello
  readonly #options: HandshakeOptions
  #remote: Hello | null = null
  #failed: HandshakeFailure | null = null
  #verified = false

  constructor(options: HandshakeOptions) {
    this.#options = options
    this.hello = { id: options.localId, publicKey: options.localPublicKey, nonce: options.nonce }
  }

  get remoteHello(): Hello | null {
    return this.#remote
  }

  /** Take the other side's hello; null when it is acceptable (the proof may then be made). */
  async acceptHello(hello: Hello): Promise<HandshakeFailure | null> {
    if (this.#failed) return this.#failed
    if (this.#remote) return this.#fail('out-of-order')
    if (hello.id !== this.#options.remoteId || hello.id === this.#options.localId)
      return this.#fail('wrong-id')
    if ((await this.#options.crypto.peerIdFor(hello.publicKey)) !== hello.id) return this.#fail('id-not-key')
    if (this.#failed) return this.#failed
    this.#remote = hello
    return null
  }

  /** This side's proof; needs the other side's hello. */
  async proof(fingerprints?: Fingerprints): Promise<Proof | HandshakeFailure> {
    const transcriptHash = await this.transcriptHash(fingerprints)
    if (!transcriptHash) return this.#fail('out-of-order')
    const { crypto, localId } = this.#options
    const [mac, signature] = await Promise.all([
      crypto.derive(transcriptHash, canonical(['proof', localId])),
      crypto.sign(canonical([SIGNATURE_LABEL, transcriptHash, localId])),
    ])
    return { mac, signature }
  }

  /** Check the other side's proof against the transcript as this side sees it. */
  async verify(proof: Proof, fingerprints?: Fingerprints): Promise<Verified | HandshakeFailure> {
    if (this.#failed) return this.#failed
    if (this.#verified) return this.#fail('out-of-order')
    const remote = this.#remote
    const transcriptHash = await this.transcriptHash(fingerprints)
    if (!remote || !transcriptHash) return this.#fail('out-of-order')
    const { crypto } = this.#options
    const expected = await crypto.derive(transcriptHash, canonical(['proof', remote.id]))
    if (!sameBytes(expected, proof.mac)) return this.#fail('bad-proof')
    const signed = canonical([SIGNATURE_LABEL, transcriptHash, remote.id])
    if (!(await crypto.verify(remote.publicKey, signed, proof.signature))) return this.#fail('bad-signature')
    if (this.#failed) return this.#failed
    this.#verified = true
    return { remotePublicKey: remote.publicKey, transcriptHash }
  }

  /**
   * SHA-256 of the transcript, null before the other side's hello. Both sides order it the same way: the
   * lower peer id (the WebRTC initiator) first, each with its public key, nonce and fingerprint.
   */
  async transcriptHash(fingerprints?: Fingerprints): Promise<Bytes | null> {
    const remote = this.#remote
    if (!remote) return null
    const { kind } = this.#options
    const local = { ...this.hello, fingerprint: fingerprints?.local ?? '' }
    const other = { ...remote, fingerprint: fingerprints?.remote ?? '' }
    const [first, second] = local.id < other.id ? [local, other] : [other, local]
    const transcript = canonical([
      TRANSCRIPT_LABEL,
      kind,
      ...[first, second].flatMap((side) => [side.id, side.publicKey, side.nonce, side.fingerprint]),
    ])
    return this.#options.crypto.sha256(transcript)
  }

  #fail(failure: HandshakeFailure): HandshakeFailure {
    this.#failed ??= failure
    return this.#failed
  }
}

/** The real crypto of one room and one tab: HKDF from the room key, Ed25519, SHA-256 (WebCrypto). */
export function handshakeCrypto(roomKey: CryptoKey, signer: Pick<Signer, 'sign'>): HandshakeCrypto {
  return {
    derive: async (salt, info) =>
      new Uint8Array(
        await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, roomKey, 256),
      ),
    sign: (bytes) => signer.sign(bytes),
    verify,
    peerIdFor,
    sha256: async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)),
  }
}

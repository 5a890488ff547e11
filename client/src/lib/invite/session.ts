/**
 * The two sides of one join-code attempt, as pure state machines: each takes the other's messages and
 * says what to send and how the attempt ended. The I/O (pipes, timers, the signal server) lives in
 * answerer.ts and join.ts.
 *
 * The answerer proves the key first (its tag in code-reply); the newcomer answers with its own tag, and
 * only then does the answerer send the sealed room secret. A newcomer with the wrong words cannot make
 * a valid tag, and learns nothing it could test other words against: the answerer counts the attempt
 * as a failed guess (`wrong`) and burns its code.
 */
import { fromBase64url } from '../mesh/signing.ts'
import { sameBytes } from '../bytes.ts'
import { base64url } from '../random.ts'
import { confirmTag, cpaceKey, cpaceStart, openPayload, sealPayload, type CpaceStart } from './cpace.ts'
import type { CodeMessage } from './protocol.ts'

/** Who is talking to whom, in which rendezvous: bound into the PAKE so a run cannot be moved elsewhere. */
export function channelId(document: string, newcomerId: string, answererId: string): Uint8Array {
  return new TextEncoder().encode(`${document}\n${newcomerId}\n${answererId}`)
}

export type NewcomerStep =
  | { kind: 'send'; message: CodeMessage }
  | { kind: 'joined'; payload: Uint8Array }
  /** The words are wrong (or the code changed since), or the answerer cheated: the same to us. */
  | { kind: 'wrong' }
  /** The answerer is busy with another attempt: try again in a moment. */
  | { kind: 'busy' }
  | { kind: 'protocol'; reason: string }

export class NewcomerSession {
  readonly #channel: Uint8Array
  readonly #start: CpaceStart
  #key: Uint8Array | null = null
  #phase: 'hello' | 'confirmed' | 'done' = 'hello'

  constructor(password: Uint8Array, channel: Uint8Array, random64: Uint8Array) {
    this.#channel = channel
    this.#start = cpaceStart(password, channel, random64)
  }

  hello(): CodeMessage {
    return { type: 'code-hello', v: 1, share: base64url(this.#start.share) }
  }

  receive(message: CodeMessage): NewcomerStep {
    if (this.#phase === 'done') return { kind: 'protocol', reason: 'message after the end' }
    switch (message.type) {
      case 'code-busy':
        if (this.#phase !== 'hello') return this.#fail('busy after the reply')
        this.#phase = 'done'
        return { kind: 'busy' }
      case 'code-reply': {
        if (this.#phase !== 'hello') return this.#fail('a second reply')
        const share = fromBase64url(message.share)
        const tag = fromBase64url(message.tag)
        if (!share || !tag) return this.#fail('undecodable reply')
        const key = cpaceKey(this.#start, share, this.#channel, {
          newcomerShare: this.#start.share,
          answererShare: share,
        })
        if (!key || !sameBytes(tag, confirmTag(key, 'answerer'))) {
          this.#phase = 'done'
          return { kind: 'wrong' }
        }
        this.#key = key
        this.#phase = 'confirmed'
        return {
          kind: 'send',
          message: { type: 'code-confirm', tag: base64url(confirmTag(key, 'newcomer')) },
        }
      }
      case 'code-link': {
        if (this.#phase !== 'confirmed' || !this.#key) return this.#fail('a link before the key')
        const box = fromBase64url(message.box)
        const tag = fromBase64url(message.tag)
        const payload = box && tag ? openPayload(this.#key, box, tag) : null
        this.#phase = 'done'
        return payload
          ? { kind: 'joined', payload }
          : { kind: 'protocol', reason: 'a link that does not open' }
      }
      case 'code-hello':
      case 'code-confirm':
        return this.#fail(`${message.type} is the newcomer's message`)
      default:
        return message satisfies never
    }
  }

  #fail(reason: string): NewcomerStep {
    this.#phase = 'done'
    return { kind: 'protocol', reason }
  }
}

export type AnswererStep =
  | { kind: 'send'; message: CodeMessage }
  /** The newcomer proved the words: send this, and the attempt succeeded. */
  | { kind: 'admitted'; message: CodeMessage }
  /** A failed guess (or a broken run after our reply): the code is burnt. */
  | { kind: 'wrong'; reason: string }
  | { kind: 'protocol'; reason: string }

export class AnswererSession {
  readonly #password: Uint8Array
  readonly #channel: Uint8Array
  readonly #random64: Uint8Array
  readonly #payload: Uint8Array
  #key: Uint8Array | null = null
  #phase: 'hello' | 'replied' | 'done' = 'hello'

  constructor(password: Uint8Array, channel: Uint8Array, random64: Uint8Array, payload: Uint8Array) {
    this.#password = password
    this.#channel = channel
    this.#random64 = random64
    this.#payload = payload
  }

  /** Whether our reply went out: from then on the attempt is a guess, and ending it any way but admitted burns the code. */
  get replied(): boolean {
    return this.#key !== null
  }

  receive(message: CodeMessage): AnswererStep {
    if (this.#phase === 'done') return { kind: 'protocol', reason: 'message after the end' }
    switch (message.type) {
      case 'code-hello': {
        if (this.#phase !== 'hello') return this.#end('a second hello')
        const share = fromBase64url(message.share)
        if (!share) return this.#end('undecodable hello')
        const start = cpaceStart(this.#password, this.#channel, this.#random64)
        const key = cpaceKey(start, share, this.#channel, {
          newcomerShare: share,
          answererShare: start.share,
        })
        if (!key) return this.#end('not a group element')
        this.#key = key
        this.#phase = 'replied'
        return {
          kind: 'send',
          message: {
            type: 'code-reply',
            share: base64url(start.share),
            tag: base64url(confirmTag(key, 'answerer')),
          },
        }
      }
      case 'code-confirm': {
        if (this.#phase !== 'replied' || !this.#key) return this.#end('a confirmation before the reply')
        const tag = fromBase64url(message.tag)
        this.#phase = 'done'
        if (!tag || !sameBytes(tag, confirmTag(this.#key, 'newcomer')))
          return { kind: 'wrong', reason: 'wrong words' }
        const { box, tag: boxTag } = sealPayload(this.#key, this.#payload)
        return {
          kind: 'admitted',
          message: { type: 'code-link', box: base64url(box), tag: base64url(boxTag) },
        }
      }
      case 'code-reply':
      case 'code-busy':
      case 'code-link':
        return this.#end(`${message.type} is the answerer's message`)
      default:
        return message satisfies never
    }
  }

  /** A broken run: a guess once our reply went out, else nothing was learnt. */
  #end(reason: string): AnswererStep {
    this.#phase = 'done'
    return this.#key ? { kind: 'wrong', reason } : { kind: 'protocol', reason }
  }
}

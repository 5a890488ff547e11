/**
 * The member's side of join codes: shows a code, waits at its nameplate's rendezvous document on the
 * signal server, and answers newcomers with a PAKE run (session.ts). A newcomer who proves the words gets
 * the room secret, sealed under the run's key.
 *
 * - It waits on the member's own signal-server registration (one socket per member): the rendezvous is
 *   one more document joined, and the room's mesh, which listens to its own document only, never meets a
 *   newcomer that has not got the link yet.
 * - One attempt at a time: a newcomer that arrives while another attempt runs is told `code-busy`.
 *   Parallel runs would give a guesser several guesses at one code.
 * - A failed guess burns the code: a new one (new nameplate, new words) replaces it at once.
 * - Codes expire: after CODE_TTL_MS a new one replaces it, and the old nameplate is left.
 */
import { Emitter } from '../events.ts'
import { SocketChannel } from '../mesh/channel.ts'
import { randomBytes } from '../random.ts'
import type { SocketFactory } from '../signaling/socket.ts'
import { realTimers, type Timers } from '../timers.ts'
import { codePassword, formatCode, nameplateDocument, randomCode, type JoinCode } from './code.ts'
import { parseCodeMessage } from './protocol.ts'
import { AnswererSession, channelId } from './session.ts'

export const CODE_TTL_MS = 10 * 60_000
/** An attempt that has not finished by then ends; if our reply went out, it counts as a guess. */
export const ATTEMPT_TIMEOUT_MS = 10_000
/** How long a pipe that delivered the link stays open for the newcomer to read it and close. */
const LINGER_MS = 5_000

export interface CodeState {
  code: string
  expiresAt: number
}

export interface AnswererEvents {
  code: [CodeState]
  /** Someone joined with the code (for a notice). */
  admitted: []
  /** A wrong guess burnt the code. */
  burnt: []
}

/** What the answerer needs of the member's signal-server registration (a `SignalingClient`). */
export interface CodeSignaling {
  readonly peerId: string
  readonly protocols: string[]
  join(documentId: string): void
  leave(documentId: string): void
  pipeUrl(remotePeerId: string, documentId: string): string
  on(event: 'introduction', listener: (peerId: string, documentIds: string[]) => void): () => void
}

export interface AnswererOptions {
  signaling: CodeSignaling
  socket: SocketFactory
  /** What a newcomer receives: the room secret. */
  payload: Uint8Array
  timers?: Timers
  now?: () => number
  random?: (length: number) => Uint8Array
}

interface Attempt {
  peerId: string
  channel: SocketChannel
  session: AnswererSession
  timer: unknown
}

export class CodeAnswerer extends Emitter<AnswererEvents> {
  readonly #options: AnswererOptions
  readonly #timers: Timers
  readonly #now: () => number
  readonly #random: (length: number) => Uint8Array
  readonly #signaling: CodeSignaling
  readonly #unsubscribe: () => void
  #code: JoinCode
  #document: string
  #expiresAt = 0
  #expiry: unknown = null
  #attempt: Attempt | null = null
  #destroyed = false

  constructor(options: AnswererOptions) {
    super()
    this.#options = options
    this.#timers = options.timers ?? realTimers
    this.#now = options.now ?? Date.now
    this.#random = options.random ?? randomBytes
    this.#signaling = options.signaling
    this.#unsubscribe = this.#signaling.on('introduction', (peerId, documents) => {
      if (documents.includes(this.#document)) this.#onNewcomer(peerId)
    })
    this.#code = randomCode(this.#random)
    this.#document = nameplateDocument(this.#code.nameplate)
    this.#start()
  }

  get state(): CodeState {
    return { code: formatCode(this.#code), expiresAt: this.#expiresAt }
  }

  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#endAttempt()
    if (this.#expiry !== null) this.#timers.clearTimeout(this.#expiry)
    this.#unsubscribe()
    this.#signaling.leave(this.#document)
    this.clear()
  }

  /** A new code now: a burnt code, an expired one, or the person asked for a new one. */
  refresh(): void {
    if (this.#destroyed) return
    this.#signaling.leave(this.#document)
    this.#code = randomCode(this.#random)
    this.#document = nameplateDocument(this.#code.nameplate)
    this.#start()
  }

  #start(): void {
    if (this.#expiry !== null) this.#timers.clearTimeout(this.#expiry)
    this.#expiresAt = this.#now() + CODE_TTL_MS
    this.#expiry = this.#timers.setTimeout(() => {
      this.#expiry = null
      this.refresh()
    }, CODE_TTL_MS)
    this.#signaling.join(this.#document)
    this.emit('code', this.state)
  }

  #onNewcomer(peerId: string): void {
    if (this.#destroyed) return
    const channel = new SocketChannel(
      this.#options.socket(this.#signaling.pipeUrl(peerId, this.#document), this.#signaling.protocols),
    )
    if (this.#attempt) {
      // Another run is under way: say so, and let the newcomer try again.
      channel.send(JSON.stringify({ type: 'code-busy' }))
      channel.on('open', () => channel.close())
      return
    }
    const password = codePassword(this.#code)
    const session = new AnswererSession(
      password,
      channelId(this.#document, peerId, this.#signaling.peerId),
      this.#random(64),
      this.#options.payload,
    )
    const attempt: Attempt = {
      peerId,
      channel,
      session,
      timer: this.#timers.setTimeout(() => this.#fail(attempt, 'timed out'), ATTEMPT_TIMEOUT_MS),
    }
    this.#attempt = attempt
    channel.on('message', (text) => this.#onMessage(attempt, text))
    channel.on('close', () => {
      if (this.#attempt === attempt) this.#fail(attempt, 'closed')
    })
  }

  #onMessage(attempt: Attempt, text: string): void {
    if (this.#attempt !== attempt) return
    const parsed = parseCodeMessage(text)
    if (!parsed.ok) return this.#fail(attempt, parsed.error.message)
    const step = attempt.session.receive(parsed.value)
    switch (step.kind) {
      case 'send':
        attempt.channel.send(JSON.stringify(step.message))
        return
      case 'admitted': {
        attempt.channel.send(JSON.stringify(step.message))
        // The newcomer closes the pipe once it has the link; a pipe it leaves open closes a moment later.
        this.#timers.clearTimeout(attempt.timer)
        this.#attempt = null
        const linger = this.#timers.setTimeout(() => attempt.channel.close(), LINGER_MS)
        attempt.channel.on('close', () => this.#timers.clearTimeout(linger))
        this.emit('admitted')
        return
      }
      case 'wrong':
      case 'protocol':
        return this.#fail(attempt, step.reason)
      default:
        step satisfies never
    }
  }

  /** Ends a run that did not admit anyone; once our reply went out it was a guess, and the code is burnt. */
  #fail(attempt: Attempt, reason: string): void {
    if (this.#attempt !== attempt) return
    const guessed = attempt.session.replied
    this.#endAttempt()
    if (!guessed) return
    console.info(`join code: an attempt failed (${reason}); a new code replaces it`)
    this.refresh()
    this.emit('burnt')
  }

  #endAttempt(): void {
    const attempt = this.#attempt
    if (!attempt) return
    this.#attempt = null
    this.#timers.clearTimeout(attempt.timer)
    attempt.channel.close()
  }
}

/**
 * The newcomer's side of a join code: meet whoever waits at the code's nameplate, run the PAKE with each
 * in turn until one hands over the room secret, and say plainly why not otherwise. Registers under a
 * throwaway peer id: the room's identity is claimed only once the room is known.
 */
import { SocketChannel } from '../mesh/channel.ts'
import { randomBytes, randomId } from '../random.ts'
import { SignalingClient } from '../signaling/client.ts'
import type { SocketFactory } from '../signaling/socket.ts'
import { realTimers, type Timers } from '../timers.ts'
import { codePassword, nameplateDocument, type JoinCode } from './code.ts'
import { parseCodeMessage } from './protocol.ts'
import { NewcomerSession, channelId } from './session.ts'

/** Nobody introduced at the nameplate by then: nobody is answering that code. */
export const NOBODY_MS = 6_000
/** One run with one answerer. */
export const RUN_TIMEOUT_MS = 10_000
/** The whole attempt, busy retries included. */
export const JOIN_TIMEOUT_MS = 30_000
/** A busy answerer is asked again after this, a few times. */
export const BUSY_RETRY_MS = 1_000
const BUSY_RETRIES = 5

export type JoinFailure = 'nobody' | 'wrong' | 'busy' | 'offline'
export type JoinOutcome = { ok: true; payload: Uint8Array } | { ok: false; reason: JoinFailure }

export interface JoinOptions {
  signalUrl: string
  socket: SocketFactory
  timers?: Timers
  random?: (length: number) => Uint8Array
  /** NOBODY_MS unless given (tests). */
  nobodyMs?: number
}

type RunResult =
  { kind: 'joined'; payload: Uint8Array } | { kind: 'wrong' } | { kind: 'busy' } | { kind: 'silent' }

/** What the person sees for each failure. */
export const JOIN_FAILURE_TEXT: Record<JoinFailure, string> = {
  nobody: 'Nobody answered that code. It may have expired, or everyone has left the room.',
  wrong:
    'That code did not open a room. Check the words, or ask for the current code: codes change every 10 minutes and after a wrong try.',
  busy: 'Someone else is joining with that code right now. Try again in a moment.',
  offline: 'The signal server cannot be reached, so codes cannot be checked. Try again in a moment.',
}

export function joinByCode(code: JoinCode, options: JoinOptions): Promise<JoinOutcome> {
  const timers = options.timers ?? realTimers
  const random = options.random ?? randomBytes
  const peerId = randomId()
  const document = nameplateDocument(code.nameplate)
  const signaling = new SignalingClient({
    baseUrl: options.signalUrl,
    peerId,
    token: randomId(),
    socket: options.socket,
    timers,
  })
  const tried = new Set<string>()
  const busyTries = new Map<string, number>()

  return new Promise<JoinOutcome>((resolve) => {
    let finished = false
    let connectedOnce = false
    /** Some answerer replied (or said busy): from then on, silence is not "nobody". */
    let answered = false
    let running = 0
    let retrying = 0
    let last: JoinFailure | null = null
    const finish = (outcome: JoinOutcome) => {
      if (finished) return
      finished = true
      timers.clearTimeout(nobody)
      timers.clearTimeout(deadline)
      signaling.destroy()
      resolve(outcome)
    }
    const settle = () => {
      if (running === 0 && retrying === 0 && last !== null) finish({ ok: false, reason: last })
    }
    const nobody = timers.setTimeout(() => {
      if (!answered) finish({ ok: false, reason: connectedOnce ? 'nobody' : 'offline' })
    }, options.nobodyMs ?? NOBODY_MS)
    const deadline = timers.setTimeout(() => finish({ ok: false, reason: last ?? 'nobody' }), JOIN_TIMEOUT_MS)
    signaling.on('state', (state) => {
      if (state.kind === 'connected') connectedOnce = true
    })
    // Everyone at the nameplate is tried at once: members who answer, other newcomers (who never do), and
    // after a collision other rooms' members (whose words differ). Each answerer holds its own code, so
    // parallel runs with different answerers give a guesser nothing more.
    signaling.on('introduction', (answerer, documents) => {
      if (finished || !documents.includes(document) || tried.has(answerer)) return
      tried.add(answerer)
      running++
      void run(answerer, () => (answered = true)).then((result) => {
        running--
        if (finished) return
        if (result.kind === 'joined') return finish({ ok: true, payload: result.payload })
        const busy = busyTries.get(answerer) ?? 0
        if (result.kind === 'busy' && busy < BUSY_RETRIES) {
          // An answerer opens its end of a pipe on an introduction: asking again means joining again.
          busyTries.set(answerer, busy + 1)
          retrying++
          timers.setTimeout(() => {
            retrying--
            if (finished) return
            tried.delete(answerer)
            signaling.leave(document)
            signaling.join(document)
          }, BUSY_RETRY_MS)
          return
        }
        if (result.kind === 'busy') last = 'busy'
        else if (result.kind === 'wrong') last = 'wrong'
        settle()
      })
    })
    signaling.join(document)
  })

  /** One PAKE run with one peer at the nameplate, on a fresh pipe. `silent`: it never spoke (not an answerer). */
  function run(answerer: string, onReply: () => void): Promise<RunResult> {
    return new Promise((resolve) => {
      const channel = new SocketChannel(
        options.socket(signaling.pipeUrl(answerer, document), signaling.protocols),
      )
      const session = new NewcomerSession(
        codePassword(code),
        channelId(document, peerId, answerer),
        random(64),
      )
      let done = false
      let spoke = false
      const end = (result: RunResult) => {
        if (done) return
        done = true
        timers.clearTimeout(timer)
        channel.close()
        resolve(result)
      }
      const broken = () => end(spoke ? { kind: 'wrong' } : { kind: 'silent' })
      const timer = timers.setTimeout(broken, RUN_TIMEOUT_MS)
      channel.on('close', broken)
      channel.on('message', (text) => {
        const parsed = parseCodeMessage(text)
        if (!parsed.ok) return broken()
        const step = session.receive(parsed.value)
        if (step.kind !== 'protocol') {
          spoke = true
          onReply()
        }
        switch (step.kind) {
          case 'send':
            channel.send(JSON.stringify(step.message))
            return
          case 'joined':
            return end({ kind: 'joined', payload: step.payload })
          case 'wrong':
            return end({ kind: 'wrong' })
          case 'busy':
            return end({ kind: 'busy' })
          case 'protocol':
            return broken()
          default:
            step satisfies never
        }
      })
      channel.send(JSON.stringify(session.hello()))
    })
  }
}

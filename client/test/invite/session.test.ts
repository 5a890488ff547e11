import { describe, expect, it } from 'vitest'
import type { CodeMessage } from '../../src/lib/invite/protocol.ts'
import {
  AnswererSession,
  NewcomerSession,
  channelId,
  type AnswererStep,
} from '../../src/lib/invite/session.ts'

const text = (s: string) => new TextEncoder().encode(s)
const random64 = () => crypto.getRandomValues(new Uint8Array(64))
const channel = channelId('doc', 'newcomer', 'answerer')
const SECRET = text('AAAAAAAAAAAAAAAAAAAAAA')

function pair(newcomerWords: string, answererWords = '7-tiger-sofa', newcomerChannel = channel) {
  return {
    newcomer: new NewcomerSession(text(newcomerWords), newcomerChannel, random64()),
    answerer: new AnswererSession(text(answererWords), channel, random64(), SECRET),
  }
}

function sent(step: AnswererStep | ReturnType<NewcomerSession['receive']>): CodeMessage {
  if (step.kind !== 'send' && step.kind !== 'admitted')
    throw new Error(`expected a message, got ${step.kind}`)
  return step.message
}

describe('a join-code attempt', () => {
  it('hands the secret to a newcomer with the right words', () => {
    const { newcomer, answerer } = pair('7-tiger-sofa')
    const reply = sent(answerer.receive(newcomer.hello()))
    expect(answerer.replied).toBe(true)
    const confirm = sent(newcomer.receive(reply))
    const admitted = answerer.receive(confirm)
    expect(admitted.kind).toBe('admitted')
    expect(newcomer.receive(sent(admitted))).toEqual({ kind: 'joined', payload: SECRET })
  })

  it('a wrong guess: the newcomer learns only "wrong", sends nothing, and gets no secret', () => {
    const { newcomer, answerer } = pair('7-tiger-soap')
    const reply = sent(answerer.receive(newcomer.hello()))
    expect(newcomer.receive(reply)).toEqual({ kind: 'wrong' })
    // The answerer had replied: whatever ends the run now, it was a guess.
    expect(answerer.replied).toBe(true)
  })

  it('a guesser that sends a confirmation anyway is refused as wrong', () => {
    const { newcomer, answerer } = pair('7-tiger-sofa')
    sent(answerer.receive(newcomer.hello()))
    const forged: CodeMessage = { type: 'code-confirm', tag: 'A'.repeat(43) }
    expect(answerer.receive(forged)).toEqual({ kind: 'wrong', reason: 'wrong words' })
    expect(answerer.receive(forged).kind).toBe('protocol')
  })

  it('a run moved to another channel (a relay replaying it between other ids) fails', () => {
    const { newcomer, answerer } = pair(
      '7-tiger-sofa',
      '7-tiger-sofa',
      channelId('doc', 'mallory', 'answerer'),
    )
    expect(newcomer.receive(sent(answerer.receive(newcomer.hello())))).toEqual({ kind: 'wrong' })
  })

  it('an answerer whose link does not open is a protocol failure, not a room', () => {
    const { newcomer, answerer } = pair('7-tiger-sofa')
    sent(newcomer.receive(sent(answerer.receive(newcomer.hello()))))
    expect(newcomer.receive({ type: 'code-link', box: 'AAAA', tag: 'A'.repeat(43) })).toEqual({
      kind: 'protocol',
      reason: 'a link that does not open',
    })
  })

  it('out-of-order messages end the run; after the reply they count as a guess', () => {
    const { newcomer, answerer } = pair('7-tiger-sofa')
    expect(answerer.receive({ type: 'code-confirm', tag: 'A'.repeat(43) }).kind).toBe('protocol')
    expect(newcomer.receive({ type: 'code-link', box: 'AAAA', tag: 'A'.repeat(43) }).kind).toBe('protocol')

    const second = pair('7-tiger-sofa')
    const hello = second.newcomer.hello()
    sent(second.answerer.receive(hello))
    expect(second.answerer.receive(hello).kind).toBe('wrong')
  })

  it('a busy answerer is reported as busy', () => {
    const { newcomer } = pair('7-tiger-sofa')
    expect(newcomer.receive({ type: 'code-busy' })).toEqual({ kind: 'busy' })
  })

  it('a share that is not a group element ends the run before any reply', () => {
    const { answerer } = pair('7-tiger-sofa')
    expect(answerer.receive({ type: 'code-hello', v: 1, share: '_'.repeat(43) })).toEqual({
      kind: 'protocol',
      reason: 'not a group element',
    })
    expect(answerer.replied).toBe(false)
  })
})

import { ristretto255 } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import {
  confirmTag,
  cpaceKey,
  cpaceStart,
  openPayload,
  sealPayload,
  type CpaceStart,
} from '../../src/lib/invite/cpace.ts'

const text = (s: string) => new TextEncoder().encode(s)
const random64 = () => crypto.getRandomValues(new Uint8Array(64))
const channel = text('doc\nnewcomer\nanswerer')

function keys(a: CpaceStart, b: CpaceStart, channelA = channel, channelB = channel) {
  const transcript = { newcomerShare: a.share, answererShare: b.share }
  return [cpaceKey(a, b.share, channelA, transcript), cpaceKey(b, a.share, channelB, transcript)] as const
}

describe('CPace over ristretto255', () => {
  it('gives both sides the same key when the password matches', () => {
    const [ka, kb] = keys(
      cpaceStart(text('7-tiger-sofa'), channel, random64()),
      cpaceStart(text('7-tiger-sofa'), channel, random64()),
    )
    expect(ka).not.toBeNull()
    expect(ka).toEqual(kb)
    expect(ka).toHaveLength(64)
  })

  it('gives different keys for a wrong password', () => {
    const [ka, kb] = keys(
      cpaceStart(text('7-tiger-sofa'), channel, random64()),
      cpaceStart(text('7-tiger-soap'), channel, random64()),
    )
    expect(ka).not.toEqual(kb)
    expect(confirmTag(ka!, 'answerer')).not.toEqual(confirmTag(kb!, 'answerer'))
  })

  it('binds the channel: the same password between other ids gives other keys', () => {
    const other = text('doc\nmallory\nanswerer')
    const a = cpaceStart(text('7-tiger-sofa'), channel, random64())
    const b = cpaceStart(text('7-tiger-sofa'), other, random64())
    const [ka, kb] = keys(a, b, channel, other)
    expect(ka).not.toEqual(kb)
  })

  it('fresh scalars: two runs with one password share nothing', () => {
    const a1 = cpaceStart(text('p'), channel, random64())
    const a2 = cpaceStart(text('p'), channel, random64())
    expect(a1.share).not.toEqual(a2.share)
  })

  it('refuses shares that are not group elements, or the identity', () => {
    const a = cpaceStart(text('p'), channel, random64())
    const transcript = { newcomerShare: a.share, answererShare: a.share }
    expect(cpaceKey(a, new Uint8Array(32).fill(0xff), channel, transcript)).toBeNull()
    expect(cpaceKey(a, new Uint8Array(31), channel, transcript)).toBeNull()
    expect(cpaceKey(a, ristretto255.Point.ZERO.toBytes(), channel, transcript)).toBeNull()
  })

  it('seals a payload that only the same key opens, and notices a changed box', () => {
    const [ka, kb] = keys(
      cpaceStart(text('p'), channel, random64()),
      cpaceStart(text('p'), channel, random64()),
    )
    const secret = text('the-room-secret-22chars')
    const sealed = sealPayload(ka!, secret)
    expect(sealed.box).not.toEqual(secret)
    expect(openPayload(kb!, sealed.box, sealed.tag)).toEqual(secret)
    const changed = sealed.box.slice()
    changed[0]! ^= 1
    expect(openPayload(kb!, changed, sealed.tag)).toBeNull()
    expect(openPayload(new Uint8Array(64), sealed.box, sealed.tag)).toBeNull()
  })
})

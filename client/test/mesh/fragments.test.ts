import { describe, expect, it } from 'vitest'
import { fragment, FRAGMENT_CHARS, MAX_FRAGMENTS, Reassembler } from '../../src/lib/mesh/fragments.ts'

const receive = (texts: string[], into = new Reassembler()) => texts.map((t) => into.push(t))

describe('fragments', () => {
  it('a message that fits goes as it is', () => {
    const message = JSON.stringify({ v: 1, type: 'chat', text: 'hi' })
    expect(fragment(message, 1)).toEqual([message])
    expect(receive([message])).toEqual([message])
  })

  it('a long message goes in parts that each fit, and comes back whole', () => {
    const message = JSON.stringify({ text: 'é'.repeat(FRAGMENT_CHARS * 2 + 5) })
    const parts = fragment(message, 7)
    expect(parts).toHaveLength(3)
    for (const part of parts) expect(new TextEncoder().encode(part).length).toBeLessThan(256 * 1024)
    expect(receive(parts)).toEqual([null, null, message])
  })

  it('never cuts a character made of two UTF-16 code units in half', () => {
    const message = 'a' + '😀'.repeat(10) // the first cut falls between the halves of an emoji
    const parts = fragment(message, 1, 4)
    for (const part of parts) expect(part.slice(part.indexOf('\n') + 1)).not.toMatch(/^[\udc00-\udfff]/)
    expect(receive(parts).at(-1)).toBe(message)
  })

  it('a text that starts like a fragment is sent as one, so it is never taken for one', () => {
    const odd = '\u001e1/0/1\nnot a fragment'
    expect(receive(fragment(odd, 3))).toEqual([odd])
  })

  it('drops a message whose fragments come out of order, or mixed with another message', () => {
    const [a0, a1, a2] = fragment('x'.repeat(30), 1, 10)
    const [b0, b1] = fragment('y'.repeat(20), 2, 10)
    expect(receive([a0!, a2!, a1!])).toEqual([null, null, null])
    expect(receive([a0!, b1!, b0!, b1!])).toEqual([null, null, null, 'y'.repeat(20)])
  })

  it('refuses nonsense headers and more than MAX_FRAGMENTS parts', () => {
    const into = new Reassembler()
    expect(into.push('\u001egarbage')).toBeNull()
    expect(into.push(`\u001e1/0/${MAX_FRAGMENTS + 1}\nx`)).toBeNull()
    expect(into.push('\u001e1/3/2\nx')).toBeNull()
    expect(into.push('{"after":"garbage"}')).toBe('{"after":"garbage"}') // and goes on
  })
})

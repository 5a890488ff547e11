import { afterEach, expect, it } from 'vitest'
import { TickCork } from '../src/cork.ts'
import { closeSocketPairs, socketPair } from './helpers.ts'

afterEach(closeSocketPairs)

it('holds the frames sent to a socket within a tick and writes them together at its end, in order', async () => {
  const { server, client } = await socketPair()
  const received: string[] = []
  const all = new Promise<void>((resolve) =>
    client.on('message', (data: Buffer) => {
      received.push(data.toString())
      if (received.length === 3) resolve()
    }),
  )
  const cork = new TickCork()
  for (const text of ['one', 'two', 'three']) {
    cork.cork(server)
    server.send(text)
  }
  // Corked: nothing has gone to the kernel yet, and `bufferedAmount` (the backpressure) counts it.
  expect(server.bufferedAmount).toBeGreaterThan(0)
  await new Promise((resolve) => process.nextTick(resolve))
  expect(server.bufferedAmount).toBe(0)
  await all
  expect(received).toEqual(['one', 'two', 'three'])
})

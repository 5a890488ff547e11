import { once } from 'node:events'
import { afterEach, expect, it } from 'vitest'
import { binaryFrameHeader, sendPieces } from '../src/pieces.ts'
import { closeSocketPairs, socketPair } from './helpers.ts'

afterEach(closeSocketPairs)

it('encodes the three lengths of RFC 6455 for a final binary frame', () => {
  expect([...binaryFrameHeader(125)]).toEqual([0x82, 125])
  expect([...binaryFrameHeader(126)]).toEqual([0x82, 126, 0, 126])
  expect([...binaryFrameHeader(0xffff)]).toEqual([0x82, 126, 0xff, 0xff])
  expect([...binaryFrameHeader(0x10000)]).toEqual([0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0])
})

it('sends pieces as one binary message each, between frames ws sends, in order', async () => {
  const { server, client } = await socketPair()
  const received: Array<{ data: Buffer; isBinary: boolean }> = []
  const all = new Promise<void>((resolve) =>
    client.on('message', (data: Buffer, isBinary: boolean) => {
      received.push({ data, isBinary })
      if (received.length === 5) resolve()
    }),
  )
  const piecesOf = (...sizes: number[]) => sizes.map((size, i) => Buffer.alloc(size, i + 1))
  const messages = [piecesOf(3, 0, 100), piecesOf(65_536, 7), piecesOf(70_000, 300_000, 1)]
  let written = 0
  server.send('first')
  for (const pieces of messages) {
    const length = pieces.reduce((sum, piece) => sum + piece.length, 0)
    expect(sendPieces(server, pieces, length, () => written++)).toBe(true)
  }
  server.send('last')
  await all
  expect(received.map((m) => m.isBinary)).toEqual([false, true, true, true, false])
  expect(received[0]?.data.toString()).toBe('first')
  for (const [i, pieces] of messages.entries())
    expect(received[i + 1]?.data.equals(Buffer.concat(pieces))).toBe(true)
  expect(received[4]?.data.toString()).toBe('last')
  expect(written).toBe(3)
})

it('writes nothing to a socket that is closing', async () => {
  const { server, client } = await socketPair()
  const closed = once(client, 'close')
  server.close(1000, 'bye')
  expect(sendPieces(server, [Buffer.alloc(10)], 10, () => {})).toBe(false)
  const [code] = (await closed) as [number]
  expect(code).toBe(1000)
})

import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { TickCork } from '../src/cork.ts'

const servers: WebSocketServer[] = []
const clients: WebSocket[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate()
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
})

/** A real socket pair: the server's end (to send from) and the client (to receive). */
async function socketPair(): Promise<{ server: WebSocket; client: WebSocket }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  servers.push(wss)
  await once(wss, 'listening')
  const connected = once(wss, 'connection') as Promise<[WebSocket]>
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
  clients.push(client)
  await once(client, 'open')
  const [server] = await connected
  return { server, client }
}

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

/**
 * One benchmarked server in its own process: `server-child.ts <kind> <mode>`. Reports its port, then
 * answers the orchestrator's requests for memory (after forced GC), progress and CPU time.
 */
import { createServer } from 'node:net'
import { Server as RelayServer } from '@localfirst/relay/Server.js'
import { pack, unpack } from 'msgpackr'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { createSignalServer } from '../src/index.ts'
import type { FromServer, ServerKind, ServerMode, ToServer } from './ipc.ts'

interface BenchServer {
  port: number
}

const HOST = '127.0.0.1'

async function startOurs(pipeRateOff: boolean): Promise<BenchServer> {
  const server = createSignalServer({
    host: HOST,
    port: 0,
    logLevel: 'silent',
    // A documented default (256 per address) sized for real clients; every bench socket comes from 127.0.0.1.
    maxConnectionsPerIp: 100_000,
    ...(pipeRateOff ? { pipeRate: { perSecond: 0 } } : {}),
    ...(process.env.BENCH_PIPE_HWM ? { pipeHighWaterMark: Number(process.env.BENCH_PIPE_HWM) } : {}),
  })
  const { port } = await server.listen()
  return { port }
}

/** Relay cannot listen on port 0 and report the port, so take a free one first. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, HOST, () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

async function startRelay(): Promise<BenchServer> {
  const port = await freePort()
  const server = new RelayServer({ port })
  await server.listen({ silent: true })
  return { port }
}

// The bare floor: module-level listeners, so a held socket costs only what `ws` itself allocates.
let bareMessages = 0
function countMessage(): void {
  bareMessages++
}

/** Minimal introducer: the first peer of a document waits, the second is introduced to it. */
interface Waiter {
  ws: WebSocket
  peerId: string
}

function introduce(waiting: Map<string, Waiter>, ws: WebSocket, peerId: string, data: RawData): void {
  bareMessages++
  const message = unpack(data as Buffer) as { type?: unknown; documentIds?: unknown }
  if (message.type !== 'Join' || !Array.isArray(message.documentIds)) return
  for (const documentId of message.documentIds as string[]) {
    const other = waiting.get(documentId)
    if (!other) {
      waiting.set(documentId, { ws, peerId })
      continue
    }
    waiting.delete(documentId)
    other.ws.send(pack({ type: 'Introduction', peerId, documentIds: [documentId] }))
    ws.send(pack({ type: 'Introduction', peerId: other.peerId, documentIds: [documentId] }))
  }
}

/** Minimal pipe: forward every frame as it is, close the other side on close; no limits, no holding. */
function link(from: WebSocket, to: WebSocket): void {
  from.on('message', (data: RawData, isBinary: boolean) => to.send(data as Buffer, { binary: isBinary }))
  from.once('close', () => to.close())
}

async function startBare(mode: ServerMode): Promise<BenchServer> {
  const wss = new WebSocketServer({ host: HOST, port: 0 })
  await new Promise<void>((resolve) => wss.once('listening', resolve))
  const address = wss.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const documents = new Map<string, Waiter>()
  const pipes = new Map<string, WebSocket>()
  wss.on('connection', (ws, req) => {
    if (mode === 'hold') {
      ws.on('message', countMessage)
      return
    }
    const [, endpoint, a = '', b = '', documentId = ''] = (req.url ?? '').split('/')
    if (endpoint === 'introduction') {
      ws.on('message', (data: RawData) => introduce(documents, ws, a, data))
      return
    }
    const partner = pipes.get(`${b}/${a}/${documentId}`)
    if (partner) {
      pipes.delete(`${b}/${a}/${documentId}`)
      link(ws, partner)
      link(partner, ws)
      return
    }
    const key = `${a}/${b}/${documentId}`
    pipes.set(key, ws)
    ws.once('close', () => {
      if (pipes.get(key) === ws) pipes.delete(key)
    })
  })
  return { port }
}

function start(kind: ServerKind, mode: ServerMode): Promise<BenchServer> {
  switch (kind) {
    case 'ours':
      return startOurs(false)
    case 'ours-unlimited':
      return startOurs(true)
    case 'relay':
      return startRelay()
    case 'bare':
      return startBare(mode)
  }
}

async function collectGarbage(): Promise<void> {
  const gc = globalThis.gc
  if (!gc) throw new Error('run with --expose-gc')
  for (let i = 0; i < 4; i++) {
    gc()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function reply(message: FromServer): void {
  process.send?.(message)
}

const [kind, mode] = process.argv.slice(2) as [ServerKind, ServerMode]
const server = await start(kind, mode)

process.on('message', (message: ToServer) => {
  switch (message.type) {
    case 'memory':
      void collectGarbage().then(() => reply({ type: 'memory', ...process.memoryUsage() }))
      return
    case 'progress':
      return reply({ type: 'progress', messages: bareMessages })
    case 'cpu': {
      const { user, system } = process.cpuUsage()
      return reply({ type: 'cpu', userMicros: user, systemMicros: system })
    }
  }
})
// The orchestrator kills this process when done; if the orchestrator dies, go too.
process.on('disconnect', () => process.exit(0))
reply({ type: 'ready', port: server.port })

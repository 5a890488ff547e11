/**
 * The load generator, in its own process: opens introduction sockets (msgpack dialect, as relay 4
 * clients speak), counts introductions, and pushes data through /connection pipes.
 */
import { pack, unpack } from 'msgpackr'
import WebSocket, { type RawData } from 'ws'
import { CONNECT_CONCURRENCY, type FromClient, type PipeResult, type ToClient } from './ipc.ts'

const held: WebSocket[] = []

function url(port: number, path: string): string {
  return `ws://127.0.0.1:${port}${path}`
}

function open(address: string): WebSocket {
  return new WebSocket(address, { perMessageDeflate: false })
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode} for ${ws.url}`)))
  })
}

/** Run `task(0..count-1)` with at most `concurrency` running at once. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}

function join(documentId: string): Buffer {
  return pack({ type: 'Join', documentIds: [documentId] })
}

async function closeAll(): Promise<FromClient> {
  const sockets = held.splice(0)
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve()
          ws.once('close', () => resolve())
          ws.close()
        }),
    ),
  )
  return { type: 'closed' }
}

/** Peers 2k and 2k+1 join document k; each should get one Introduction (to the other). */
async function joinPairs(
  port: number,
  pairs: number,
  prefix: string,
  introduced: boolean,
): Promise<FromClient> {
  const peers = pairs * 2
  let introductions = 0
  let last = 0
  let done: () => void = () => {}
  const allIntroduced = new Promise<void>((resolve) => (done = resolve))
  const onMessage = (data: RawData) => {
    const message = unpack(data as Buffer) as { type?: unknown }
    if (message.type !== 'Introduction') return
    introductions++
    last = performance.now()
    if (introductions === peers) done()
  }
  const started = performance.now()
  await pool(peers, CONNECT_CONCURRENCY, async (i) => {
    const ws = open(url(port, `/introduction/${prefix}p${i}`))
    held.push(ws)
    ws.on('message', onMessage)
    await opened(ws)
    ws.send(join(`${prefix}d${i >> 1}`))
  })
  if (!introduced) return { type: 'joined', ms: performance.now() - started, introductions }
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 300_000).unref())
  await Promise.race([allIntroduced, timeout])
  const ms = (introductions === peers ? last : performance.now()) - started
  return { type: 'joined', ms, introductions }
}

/** Bytes the sender may have handed to `ws` but not yet written to its socket. */
const SEND_WINDOW = 8 * 1024 * 1024

/** A sends `totalBytes` to B in `frameSize` frames through a /connection pipe, as fast as backpressure allows. */
async function pipe(port: number, frameSize: number, totalBytes: number, id: string): Promise<PipeResult> {
  // Pipes open only between registrations joined to the document: A and B register and meet first.
  const registrations = [open(url(port, `/introduction/${id}a`)), open(url(port, `/introduction/${id}b`))]
  const introduced = Promise.race(
    registrations.map((ws) => new Promise<void>((resolve) => ws.once('message', () => resolve()))),
  )
  for (const ws of registrations) {
    await opened(ws)
    ws.send(join(`${id}d`))
  }
  await introduced
  const a = open(url(port, `/connection/${id}a/${id}b/${id}d`))
  await opened(a)
  const b = open(url(port, `/connection/${id}b/${id}a/${id}d`))
  await opened(b)
  // B speaks first: once A hears it, the pipe is up in both directions on every server.
  const ready = new Promise<void>((resolve) => a.once('message', () => resolve()))
  b.send(Buffer.from('ready'))
  await ready

  const payload = Buffer.alloc(frameSize, 0x61)
  let received = 0
  let started = 0
  let cpu = process.cpuUsage()
  const result = await new Promise<PipeResult>((resolve) => {
    const finish = (closeCode: number | null, closeReason: string) => {
      const ms = performance.now() - started
      const { user, system } = process.cpuUsage(cpu)
      resolve({ type: 'pipe', ms, bytes: received, closeCode, closeReason, clientCpuMicros: user + system })
    }
    b.on('message', (data: RawData) => {
      received += (data as Buffer).length
      if (received >= totalBytes) finish(null, '')
    })
    b.once('close', (code: number, reason: Buffer) => finish(code, reason.toString()))
    let sent = 0
    let inFlight = 0
    const pump = (): void => {
      while (sent < totalBytes && inFlight < SEND_WINDOW && a.readyState === WebSocket.OPEN) {
        sent += frameSize
        inFlight += frameSize
        a.send(payload, { binary: true }, () => {
          inFlight -= frameSize
          pump()
        })
      }
    }
    started = performance.now()
    cpu = process.cpuUsage()
    pump()
  })
  a.terminate()
  b.terminate()
  for (const ws of registrations) ws.terminate()
  return result
}

function handle(message: ToClient): Promise<FromClient> {
  switch (message.type) {
    case 'join':
      return joinPairs(message.port, message.pairs, message.prefix, message.introduced)
    case 'close-all':
      return closeAll()
    case 'pipe':
      return pipe(message.port, message.frameSize, message.totalBytes, message.id)
  }
}

process.on('message', (message: ToClient) => {
  handle(message).then(
    (reply) => process.send?.(reply),
    (error: unknown) => process.send?.({ type: 'error', message: String(error) } satisfies FromClient),
  )
})
process.on('disconnect', () => process.exit(0))

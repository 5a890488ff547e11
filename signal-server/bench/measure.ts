/** The three measurements, one run each; run.ts repeats and interleaves them. */
import { startClient, startServer, withProcesses, type ClientChild, type ServerChild } from './children.ts'
import type { MemorySample, ServerKind, ServerMode } from './ipc.ts'

const KIB = 1024
const MIB = 1024 * 1024

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function memory(server: ServerChild): Promise<MemorySample> {
  const { type: _type, ...sample } = await server.request({ type: 'memory' }, 'memory')
  return sample
}

async function cpu(server: ServerChild): Promise<number> {
  const { userMicros, systemMicros } = await server.request({ type: 'cpu' }, 'cpu')
  return userMicros + systemMicros
}

/** The bare server never answers a Join: wait until it has received them all. */
async function waitForMessages(server: ServerChild, target: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const { messages } = await server.request({ type: 'progress' }, 'progress')
    if (messages >= target) return
    if (performance.now() > deadline) throw new Error(`only ${messages} of ${target} messages arrived`)
    await sleep(50)
  }
}

/** Peers opened, joined and closed before the baseline, so first-use costs are not per-peer costs. */
const WARMUP_PAIRS = 250

export interface ConnectionsResult {
  /** Memory per connection in KiB, after forced GC: RSS, V8 heap used, and Buffers outside the heap. */
  rssKiB: number
  heapKiB: number
  externalKiB: number
  /** Introductions received per second, from the first connect to the last introduction. */
  introductionsPerSecond: number | null
  seconds: number
  /** Server CPU (user + system) per peer: handshake, Join, introduction. */
  cpuMicrosPerPeer: number
}

/**
 * 2 × `pairs` peers connect to /introduction and join in pairs (one document per pair) while the
 * clients time the introductions; then, with every socket open and idle, the server's memory is
 * compared with its baseline. With `introduced: false` (the bare server in `hold` mode, which
 * introduces nobody) only the memory is measured.
 */
export function connectionsRun(
  kind: ServerKind,
  mode: ServerMode,
  pairs: number,
  introduced: boolean,
): Promise<ConnectionsResult> {
  return withProcesses(kind, mode, async (server, client, port) => {
    const peers = pairs * 2
    await client.request({ type: 'join', port, pairs: WARMUP_PAIRS, prefix: 'w', introduced }, 'joined')
    await client.request({ type: 'close-all' }, 'closed')
    await sleep(200)
    const before = await memory(server)
    const { messages } = await server.request({ type: 'progress' }, 'progress')
    const cpuBefore = await cpu(server)
    const run = await client.request({ type: 'join', port, pairs, prefix: 'm', introduced }, 'joined')
    if (introduced && run.introductions !== peers) {
      throw new Error(`${kind}: ${run.introductions} of ${peers} introductions`)
    }
    if (!introduced) await waitForMessages(server, messages + peers, 60_000)
    const cpuAfter = await cpu(server)
    await sleep(300)
    const after = await memory(server)
    const per = (key: keyof MemorySample) => (after[key] - before[key]) / peers / KIB
    return {
      rssKiB: per('rss'),
      heapKiB: per('heapUsed'),
      externalKiB: per('external'),
      introductionsPerSecond: introduced ? run.introductions / (run.ms / 1000) : null,
      seconds: run.ms / 1000,
      cpuMicrosPerPeer: (cpuAfter - cpuBefore) / peers,
    }
  })
}

export interface PipeCase {
  frameSize: number
  totalBytes: number
}

export interface PipeResult {
  mibPerSecond: number
  /** Server CPU (user + system) per MiB piped, in milliseconds. */
  cpuMsPerMiB: number
  /** The load generator's CPU per MiB (masking and sending as A, receiving as B). */
  clientCpuMsPerMiB: number
  mib: number
  /** The server closed the pipe before every byte arrived (e.g. a rate limit), with this code. */
  closed: { code: number; reason: string } | null
}

async function transfer(
  server: ServerChild,
  client: ClientChild,
  port: number,
  pipeCase: PipeCase,
): Promise<PipeResult> {
  const { frameSize, totalBytes } = pipeCase
  const cpuBefore = await cpu(server)
  const run = await client.request(
    { type: 'pipe', port, frameSize, totalBytes, id: `p${frameSize}x${(transfers++).toString(36)}` },
    'pipe',
  )
  const cpuMs = ((await cpu(server)) - cpuBefore) / 1000
  const mib = run.bytes / MIB
  return {
    mibPerSecond: mib / (run.ms / 1000),
    cpuMsPerMiB: mib > 0 ? cpuMs / mib : Number.NaN,
    clientCpuMsPerMiB: mib > 0 ? run.clientCpuMicros / 1000 / mib : Number.NaN,
    mib,
    closed: run.closeCode === null ? null : { code: run.closeCode, reason: run.closeReason },
  }
}
let transfers = 0

/** Small enough to stay within the default rate limit's burst. */
const WARMUP_PIPE_CASES: readonly PipeCase[] = [
  { frameSize: 1024, totalBytes: 8 * MIB },
  { frameSize: MIB, totalBytes: 64 * MIB },
]

export type Transfer = (kind: ServerKind, cases: readonly PipeCase[]) => Promise<PipeResult[]>

/**
 * One server process per kind, all started up front, and one load generator: the caller alternates
 * transfers between the servers, so neighbouring runs see the same background load (an idle server
 * costs nothing) and the per-repetition ratios cancel most of the drift of a shared machine.
 */
export async function withPipeServers<T>(
  kinds: readonly ServerKind[],
  body: (transfer: Transfer) => Promise<T>,
): Promise<T> {
  const servers = new Map<ServerKind, { child: ServerChild; port: number }>()
  const client = startClient()
  try {
    for (const kind of kinds) servers.set(kind, await startServer(kind, 'full'))
    // Warm-up, discarded: the first transfers of a fresh process run before the JIT has caught up.
    for (const server of servers.values()) {
      for (const pipeCase of WARMUP_PIPE_CASES) await transfer(server.child, client, server.port, pipeCase)
    }
    return await body(async (kind, cases) => {
      const server = servers.get(kind)
      if (!server) throw new Error(`no ${kind} server`)
      const results: PipeResult[] = []
      for (const pipeCase of cases) results.push(await transfer(server.child, client, server.port, pipeCase))
      return results
    })
  } finally {
    await Promise.all([client.kill(), ...[...servers.values()].map(({ child }) => child.kill())])
  }
}

/**
 * Cluster test harness: Debian's real `redis-server` on a free loopback port (no mock), instances
 * of the signal server sharing it (in this process, or as CLI child processes that can be SIGKILLed),
 * all stopped after each test.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import type { SignalServerInput } from '../src/config.ts'
import { startServer, stopServers, type Harness } from './helpers.ts'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server'
/** Short, so instance death shows within a test's patience; production default is 10 s. */
export const TEST_INSTANCE_TTL_MS = 1000
/** Instances started here share it, so their pipes go over direct connections once those are up. */
export const TEST_CLUSTER_SECRET = 'test-cluster-secret-0123456789'

export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  server.close()
  await once(server, 'close')
  return port
}

/** A redis-server child on a loopback port; `stop()` kills it (SIGKILL), `start()` runs it again there. */
export class RedisServer {
  readonly port: number
  #child: ChildProcess | null = null

  constructor(port: number) {
    this.port = port
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  get pid(): number | null {
    return this.#child?.pid ?? null
  }

  async start(): Promise<void> {
    const child = spawn(
      REDIS_SERVER,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    this.#child = child
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    const failed = once(child, 'exit').then(() => {
      throw new Error(`${REDIS_SERVER} exited before it was ready`)
    })
    const ready = (async () => {
      for await (const line of lines) if (line.includes('Ready to accept connections')) return
    })()
    await Promise.race([ready, failed])
    failed.catch(() => {})
  }

  async stop(): Promise<void> {
    const child = this.#child
    this.#child = null
    if (child === null || child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }

  /** A plain client, for looking at the shared state. */
  client(): Redis {
    const client = new Redis(this.url, { lazyConnect: false })
    clients.add(client)
    return client
  }
}

const redises = new Set<RedisServer>()
const children = new Set<ChildProcess>()
const clients = new Set<Redis>()

export async function startRedis(): Promise<RedisServer> {
  const redis = new RedisServer(await freePort())
  redises.add(redis)
  await redis.start()
  return redis
}

/** An instance in this process, sharing `redis`. */
export function startInstance(redis: RedisServer, options: SignalServerInput = {}): Promise<Harness> {
  return startServer({
    redisUrl: redis.url,
    ...options,
    cluster: { instanceTtlMs: TEST_INSTANCE_TTL_MS, secret: TEST_CLUSTER_SECRET, ...options.cluster },
  })
}

export interface ChildInstance {
  readonly child: ChildProcess
  readonly port: number
  readonly ws: string
  readonly http: string
}

/**
 * An instance as its own process, started the way operators start it (`PORT=0`, `REDIS_URL`); it serves
 * the built client in `clientDir` when given one.
 */
export async function spawnInstance(
  redis: RedisServer,
  env: Record<string, string> = {},
  clientDir: string | null = null,
): Promise<ChildInstance> {
  const args = [
    '--import',
    'tsx',
    'signal-server/src/main.ts',
    ...(clientDir === null ? ['--no-client'] : []),
  ]
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      REDIS_URL: redis.url,
      CLUSTER_INSTANCE_TTL_MS: String(TEST_INSTANCE_TTL_MS),
      CLUSTER_SECRET: TEST_CLUSTER_SECRET,
      ...(clientDir !== null && { CLIENT_DIR: clientDir }),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.add(child)
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  for await (const line of lines) {
    const match = /^listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(line)
    if (!match) continue
    const port = Number(match[1])
    // Keep draining stdout so the child never blocks on a full pipe.
    child.stdout?.resume()
    return { child, port, ws: `ws://127.0.0.1:${port}`, http: `http://127.0.0.1:${port}` }
  }
  throw new Error('instance exited before listening')
}

export async function kill(instance: ChildInstance): Promise<void> {
  const exited = once(instance.child, 'exit')
  instance.child.kill('SIGKILL')
  await exited
}

/** For `afterEach`: servers first (they leave Redis cleanly), then children, clients and Redis. */
export async function stopCluster(): Promise<void> {
  try {
    await stopServers()
  } finally {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    children.clear()
    for (const client of clients) client.disconnect()
    clients.clear()
    await Promise.all([...redises].map((redis) => redis.stop()))
    redises.clear()
  }
}

/** Poll an asynchronous condition on every turn of the event loop until it holds (or time out). */
export async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

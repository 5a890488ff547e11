/**
 * Child processes with a request/response channel over IPC. Every child is started through bash so
 * its open-file limit can be raised to the hard limit (10k sockets need 10k descriptors), and every
 * child is killed by its owner in a `finally`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { FromClient, FromServer, ServerKind, ServerMode, ToClient, ToServer } from './ipc.ts'

const RAISE_FD_LIMIT = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"'

/** Every child still running, so an interrupted run kills them all. */
const running = new Set<{ kill(): Promise<void> }>()

export function killAll(): Promise<void> {
  return Promise.all([...running].map((child) => child.kill())).then(() => undefined)
}

export class Child<In, Out extends { type: string }> {
  readonly #process: ChildProcess
  readonly #inbox: Out[] = []
  #waiter: { resolve: (message: Out) => void; reject: (error: Error) => void } | null = null
  #exited: Error | null = null

  constructor(script: string, args: string[]) {
    const path = fileURLToPath(new URL(script, import.meta.url))
    this.#process = spawn(
      'bash',
      ['-c', RAISE_FD_LIMIT, process.execPath, '--expose-gc', '--import', 'tsx', path, ...args],
      // Relay's `import … assert {type: 'json'}` prints a deprecation warning in every child.
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, NODE_NO_WARNINGS: '1' } },
    )
    this.#process.on('message', (message: Out) => {
      const waiter = this.#waiter
      this.#waiter = null
      if (waiter) waiter.resolve(message)
      else this.#inbox.push(message)
    })
    running.add(this)
    this.#process.once('exit', (code, signal) => {
      running.delete(this)
      this.#exited = new Error(`${script} ${args.join(' ')} exited (${code ?? signal})`)
      this.#waiter?.reject(this.#exited)
      this.#waiter = null
    })
  }

  /** The next message from the child. */
  next(timeoutMs = 180_000): Promise<Out> {
    const queued = this.#inbox.shift()
    if (queued) return Promise.resolve(queued)
    if (this.#exited) return Promise.reject(this.#exited)
    return new Promise<Out>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = null
        reject(new Error(`no answer within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#waiter = {
        resolve: (message) => {
          clearTimeout(timer)
          resolve(message)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      }
    })
  }

  /** Send a request and wait for the answer of the expected type. */
  async request<T extends Out['type']>(message: In, expect: T): Promise<Extract<Out, { type: T }>> {
    this.#process.send(message as object)
    const answer = await this.next()
    if (answer.type !== expect) throw new Error(`expected ${expect}, got ${JSON.stringify(answer)}`)
    return answer as Extract<Out, { type: T }>
  }

  kill(): Promise<void> {
    if (this.#exited || this.#process.exitCode !== null) return Promise.resolve()
    return new Promise((resolve) => {
      this.#process.once('exit', () => resolve())
      this.#process.kill('SIGKILL')
    })
  }
}

export type ServerChild = Child<ToServer, FromServer>
export type ClientChild = Child<ToClient, FromClient>

export async function startServer(
  kind: ServerKind,
  mode: ServerMode,
): Promise<{ child: ServerChild; port: number }> {
  const child: ServerChild = new Child('./server-child.ts', [kind, mode])
  try {
    const ready = await child.next(30_000)
    if (ready.type !== 'ready') throw new Error(`server ${kind} said ${JSON.stringify(ready)}`)
    return { child, port: ready.port }
  } catch (error) {
    await child.kill()
    throw error
  }
}

export function startClient(): ClientChild {
  return new Child('./client-child.ts', [])
}

/** Start a server and a client, run `body`, and always kill both. */
export async function withProcesses<T>(
  kind: ServerKind,
  mode: ServerMode,
  body: (server: ServerChild, client: ClientChild, port: number) => Promise<T>,
): Promise<T> {
  const { child: server, port } = await startServer(kind, mode)
  const client = startClient()
  try {
    return await body(server, client, port)
  } finally {
    await Promise.all([client.kill(), server.kill()])
  }
}

/**
 * A bench's window into an instance it spawned the way operators do: the Node inspector (`--inspect` on a
 * port the bench picked) lets it force garbage collection and read `process.memoryUsage()` without any
 * hook in the server's code, so memory is measured as bench:signal measures it (forced GC, then usage).
 */
import { createServer } from 'node:net'
import WebSocket from 'ws'

/** A loopback port free right now (the instance binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** `NODE_OPTIONS` for a child whose inspector listens on `port` (loopback only). */
export function inspectOption(port: number): string {
  return `--inspect=127.0.0.1:${port}`
}

export interface Memory {
  rss: number
  heapUsed: number
  external: number
}

export class Inspector {
  readonly #ws: WebSocket
  #next = 0
  readonly #pending = new Map<number, (result: unknown) => void>()

  private constructor(ws: WebSocket) {
    this.#ws = ws
    ws.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: unknown }
      if (message.id === undefined) return
      this.#pending.get(message.id)?.(message.result)
      this.#pending.delete(message.id)
    })
  }

  static async connect(port: number): Promise<Inspector> {
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
      webSocketDebuggerUrl: string
    }[]
    const url = targets[0]?.webSocketDebuggerUrl
    if (!url) throw new Error(`no inspector target on port ${port}`)
    const ws = new WebSocket(url)
    await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)))
    return new Inspector(ws)
  }

  #call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.#next
    return new Promise((resolve) => {
      this.#pending.set(id, resolve)
      this.#ws.send(JSON.stringify({ id, method, params }))
    })
  }

  /** Four full collections with pauses between (as bench:signal does), then the process's memory. */
  async memoryAfterGc(): Promise<Memory> {
    for (let i = 0; i < 4; i++) {
      await this.#call('HeapProfiler.collectGarbage')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const result = (await this.#call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    })) as { result: { value: string } }
    return JSON.parse(result.result.value) as Memory
  }

  close(): void {
    this.#ws.close()
  }
}

/**
 * Messages between the benchmark's orchestrator (run.ts) and its child processes: one server per
 * child (server-child.ts, so its RSS is its own) and the load generator (client-child.ts).
 */

/** `ours-unlimited` is ours with the pipe message-rate limit switched off (`pipeRate.perSecond: 0`). */
export type ServerKind = 'ours' | 'ours-unlimited' | 'relay' | 'bare'

/**
 * `hold`: the bare server only accepts and keeps sockets (the memory floor).
 * `full`: the bare server also introduces pairs and pipes /connection pairs, minimally.
 * Ours and relay are the same in both modes.
 */
export type ServerMode = 'hold' | 'full'

export interface MemorySample {
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
}

export type ToServer = { type: 'memory' } | { type: 'progress' } | { type: 'cpu' }

export interface CpuSample {
  userMicros: number
  systemMicros: number
}

export type FromServer =
  | { type: 'ready'; port: number }
  | ({ type: 'memory' } & MemorySample)
  /** Messages the bare server has received (it never answers, so the client cannot tell). */
  | { type: 'progress'; messages: number }
  | ({ type: 'cpu' } & CpuSample)

export type ToClient =
  /**
   * Open 2 × `pairs` introduction sockets, each joining its pair's document, and keep them open.
   * With `introduced`, resolve once every peer got its Introduction; otherwise once every Join was sent.
   */
  | { type: 'join'; port: number; pairs: number; prefix: string; introduced: boolean }
  | { type: 'close-all' }
  | { type: 'pipe'; port: number; frameSize: number; totalBytes: number; id: string }

export interface PipeResult {
  type: 'pipe'
  /** From A's first send to B's last byte (or to the close that ended the transfer). */
  ms: number
  bytes: number
  /** Set when the pipe was closed before every byte arrived. */
  closeCode: number | null
  closeReason: string
  /** The load generator's own CPU (user + system) during the transfer, in microseconds. */
  clientCpuMicros: number
}

export type FromClient =
  /** `ms`: from the first connect to the last introduction (or the last Join sent). */
  | { type: 'joined'; ms: number; introductions: number }
  | { type: 'closed' }
  | PipeResult
  | { type: 'error'; message: string }

/** Connections opened at once by the load generator (keeps SYN backlog and handshake queues sane). */
export const CONNECT_CONCURRENCY = 128

/**
 * What the signal server's services need from a cluster of instances. The single-process server has
 * no cluster (`null`) and never loads the Redis code; with `REDIS_URL` the Redis implementation
 * (redis.ts) shares presence, introductions and pipes between instances.
 */
import type { Conn } from '../conn.ts'

/** A peer on another instance to introduce, with every document id the two share. */
export interface RemoteIntroduction {
  peerId: string
  documentIds: string[]
}

/** "Is peer X live and joined to document D?", answered for the whole cluster. */
export interface Presence {
  isJoined(peerId: string, documentId: string): Promise<boolean>
}

/** The introduction service as the cluster sees it: what other instances ask of it. */
export interface IntroductionSide {
  /** Another instance introduces `fromPeer` to our local `toPeer`. */
  introduceLocal(toPeer: string, fromPeer: string, documentIds: string[]): void
  /** Another instance took over `peerId` with its token: close our socket for it (4410). */
  evictLocal(peerId: string): void
  /** Redis came back (or forgot us): claim and join again for every local registration. */
  republish(): void
}

/** A pipe side's other end on another instance (conn.remote); `open` once both instances agreed. */
export interface RemoteEnd {
  readonly open: boolean
}

export interface Held {
  conn: Conn
  frames: readonly { data: Buffer; isBinary: boolean }[]
}

/** The pipe service as the cluster sees it. */
export interface PipeSide {
  /** Is `conn` still the side waiting as `key`? */
  isWaiting(conn: Conn, key: string): boolean
  /** Take the side waiting as `key` (only `expected`, when given) out of waiting, with its held frames. */
  takeWaiting(key: string, expected?: Conn): Held | null
  /** `conn` is now piped to another instance: count it and send what it held. */
  openedRemote(conn: Conn, held: readonly { data: Buffer; isBinary: boolean }[]): void
  /**
   * The other end of `conn` closed (or its instance died): close `conn` the way a local partner would.
   * `wasOpen` false: the pairing itself failed while `conn` still waits.
   */
  closedRemote(conn: Conn, code: number, reason: string, wasOpen: boolean): void
}

export interface Cluster extends Presence {
  readonly instanceId: string
  /** Redis reachable and subscribed; otherwise the instance serves locally and reports degraded. */
  readonly healthy: boolean
  bind(introductions: IntroductionSide, pipes: PipeSide): void
  start(): Promise<void>
  close(): Promise<void>

  /** Claim a peer id cluster-wide. `conflict`: a live registration on another instance refuses it. */
  claim(peerId: string, token: string | null): Promise<'ok' | 'conflict'>
  /** Record the Join; introduce the joiner to peers on other instances; resolves with those peers. */
  joined(peerId: string, documentIds: readonly string[]): Promise<RemoteIntroduction[]>
  left(peerId: string, documentIds: readonly string[]): void
  removed(peerId: string): void

  /** A pipe side `key` waits here; the cluster pairs it if its partner waits on another instance. */
  pipeWaiting(conn: Conn, key: string, partnerKey: string): void
  /** Side `key` stopped waiting here (paired locally, replaced, closed). */
  pipeReleased(key: string): void
  /** A frame from `conn` to its partner on another instance. */
  send(conn: Conn, data: Buffer, isBinary: boolean): void
  /** `conn`, piped to another instance, closed. */
  closed(conn: Conn, code: number, reason: string): void

  readonly metrics: ClusterMetrics
}

export interface ClusterMetrics {
  crossPipes(): number
  /** Pipe bytes sent to other instances and not yet acknowledged (bounded by the window per pipe). */
  inflight(): number
  bytesSent(): number
  bytesReceived(): number
  /** The same bytes by the path they took: a direct connection between instances, or Redis. */
  bytesByPath(): Record<'direct' | 'redis', { sent: number; received: number }>
  /** Direct connections up: to other instances (out) and from them (in). */
  directLinks(): { out: number; in: number }
  /** Observers of round trips to Redis, in seconds. */
  onRoundTrip: ((seconds: number) => void) | null
}

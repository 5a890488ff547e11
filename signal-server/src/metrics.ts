import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Cluster } from './cluster/bus.ts'
import type { RejectReason } from './errors.ts'

/** What the metrics read from the live server; gauges are sampled at scrape time, not maintained. */
export interface MetricsSource {
  connections(endpoint: 'introduction' | 'connection'): number
  peers(): number
  documents(): number
  pipesOpen(): number
  pipesWaiting(): number
  heldFrames(): number
  heldBytes(): number
  bytesPiped(): number
}

export interface ServerMetrics {
  registry: Registry
  reject(reason: RejectReason): void
  introduction(): void
  /** Add the per-instance cluster series (only when clustered, so one process shows none of them). */
  cluster(cluster: Cluster): void
}

/** One registry per server instance, so several servers in one process (tests) never collide. */
export function createMetrics(source: MetricsSource, processMetrics: boolean): ServerMetrics {
  const registry = new Registry()
  if (processMetrics) collectDefaultMetrics({ register: registry })
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read())
      },
    })
  new Gauge({
    name: 'theatron_signal_connections',
    help: 'Open WebSocket connections by endpoint',
    labelNames: ['endpoint'],
    registers: [registry],
    collect() {
      this.set({ endpoint: 'introduction' }, source.connections('introduction'))
      this.set({ endpoint: 'connection' }, source.connections('connection'))
    },
  })
  gauge('theatron_signal_peers', 'Registered peers on /introduction', source.peers)
  gauge('theatron_signal_documents', 'Document ids with at least one interested peer', source.documents)
  gauge('theatron_signal_pipes_open', 'Pipes with both sides connected', source.pipesOpen)
  gauge('theatron_signal_pipes_waiting', 'Pipe sides waiting for their partner', source.pipesWaiting)
  gauge('theatron_signal_held_frames', 'Frames held for a partner that has not arrived', source.heldFrames)
  gauge('theatron_signal_held_bytes', 'Bytes of held frames', source.heldBytes)
  new Counter({
    name: 'theatron_signal_piped_bytes_total',
    help: 'Bytes forwarded through pipes',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(source.bytesPiped())
    },
  })
  const rejections = new Counter({
    name: 'theatron_signal_rejections_total',
    help: 'Refused upgrades and closed sockets, by reason',
    labelNames: ['reason'],
    registers: [registry],
  })
  const introductions = new Counter({
    name: 'theatron_signal_introductions_total',
    help: 'Introduction messages sent',
    registers: [registry],
  })
  return {
    registry,
    reject: (reason) => rejections.inc({ reason }),
    introduction: () => introductions.inc(),
    cluster: (cluster) => clusterMetrics(registry, source, cluster),
  }
}

function clusterMetrics(registry: Registry, source: MetricsSource, cluster: Cluster): void {
  new Gauge({
    name: 'theatron_signal_pipes',
    help: 'Open pipes by where the other side is: this instance (local) or another (cross)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const cross = cluster.metrics.crossPipes()
      this.set({ kind: 'local' }, source.pipesOpen() - cross)
      this.set({ kind: 'cross' }, cross)
    },
  })
  new Counter({
    name: 'theatron_signal_cluster_bytes_total',
    help: 'Pipe bytes relayed to (sent) and from (received) other instances, by either path',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      this.reset()
      this.inc({ direction: 'sent' }, cluster.metrics.bytesSent())
      this.inc({ direction: 'received' }, cluster.metrics.bytesReceived())
    },
  })
  new Counter({
    name: 'theatron_signal_cluster_path_bytes_total',
    help: 'Pipe bytes relayed to (sent) and from (received) other instances, by path: a direct connection or Redis',
    labelNames: ['direction', 'path'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [path, bytes] of Object.entries(cluster.metrics.bytesByPath())) {
        this.inc({ direction: 'sent', path }, bytes.sent)
        this.inc({ direction: 'received', path }, bytes.received)
      }
    },
  })
  new Gauge({
    name: 'theatron_signal_cluster_direct_links',
    help: 'Direct connections up for pipe traffic: to other instances (out) and from them (in)',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      const links = cluster.metrics.directLinks()
      this.set({ direction: 'out' }, links.out)
      this.set({ direction: 'in' }, links.in)
    },
  })
  new Gauge({
    name: 'theatron_signal_redis_up',
    help: 'Redis connected and subscribed (1) or not (0: serving locally, degraded)',
    registers: [registry],
    collect() {
      this.set(cluster.healthy ? 1 : 0)
    },
  })
  const roundTrips = new Histogram({
    name: 'theatron_signal_redis_round_trip_seconds',
    help: 'Round trips to Redis (presence scripts, heartbeats)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  })
  cluster.metrics.onRoundTrip = (seconds) => roundTrips.observe(seconds)
}

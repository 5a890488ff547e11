/**
 * `npm run bench:cluster`: one instance (no Redis) against three instances sharing a real redis-server,
 * all on loopback, each instance its own process started as operators do (`npm run signal`'s entry,
 * `PORT=0`, `REDIS_URL`). Measures, medians over repetitions:
 * - peers joining in pairs, each pair split over two instances: introductions/s, server CPU per peer
 *   (instances, and Redis apart), and memory per idle connection once all are introduced, measured as
 *   bench:signal measures it: after a warm-up of `BENCH_WARMUP` peers that connect, join, meet and close
 *   (first-use costs are not per-connection costs), each instance's RSS and V8 heap after forced GC
 *   (through its inspector: bench/inspector.ts), before and after, summed over the instances;
 * - pipe throughput with both ends on one instance and on two, 1 KiB and 1 MiB frames: across two
 *   instances with a direct link (CLUSTER_SECRET, the first two), and through Redis (the third has no
 *   secret, so pipes to it go through Redis, as when no direct link can be made); each cross-instance
 *   run checks from the sender's /metrics that its bytes took the path it is reported under. Beside
 *   MiB/s, the CPU each path costs per MiB piped (every instance, and the bench's own two ends apart),
 *   which does not depend on how busy the machine is the way MiB/s does; for pipes across, also the
 *   sender's instance and the receiver's apart.
 * Results go to docs/benchmarks.md (section "## Cluster", replaced on each run).
 *
 * Knobs for quick checks (documented figures use the defaults):
 *   BENCH_PEERS=10000  BENCH_REPS=3  BENCH_WARMUP=2000  BENCH_WRITE=0 (print only)
 *   BENCH_ONLY=peers (the peers part alone; prints, never writes)
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { pack, unpack } from 'msgpackr'
import WebSocket from 'ws'
import { freePort, inspectOption, Inspector } from './inspector.ts'
import { ROOT, spawnInstance, startRedis, stopCluster, type ChildInstance } from '../test/cluster-helpers.ts'

const MIB = 1024 * 1024
const peers = Number(process.env.BENCH_PEERS ?? 10_000)
const reps = Number(process.env.BENCH_REPS ?? 3)
const warmup = Number(process.env.BENCH_WARMUP ?? 2_000)
const peersOnly = process.env.BENCH_ONLY === 'peers'
const write = process.env.BENCH_WRITE !== '0' && !peersOnly
const CONCURRENCY = 100
const PIPE_CASES = [
  { label: '1 KiB', frame: 1024, total: 32 * MIB },
  { label: '1 MiB', frame: MIB, total: 128 * MIB },
]

const log = (line: string) => process.stdout.write(`${line}\n`)

/** CPU seconds (user + system) of a process, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) / 100
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

async function pool(count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker))
}

interface Cluster {
  instances: ChildInstance[]
  /** each instance's inspector, to force GC and read its memory */
  inspectors: Inspector[]
  redisPid: number | null
  stop(): Promise<void>
}

async function startCluster(size: number): Promise<Cluster> {
  const redis = await startRedis()
  // The production instance TTL: the test harness's 1 s makes a busy machine's late heartbeat look
  // like a death, which closes the pipes being measured.
  const env = { MAX_CONNECTIONS_PER_IP: '100000', LOG_LEVEL: 'silent', CLUSTER_INSTANCE_TTL_MS: '10000' }
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()))
  const instances = await Promise.all(
    ports.map((port, i) =>
      spawnInstance(redis, {
        ...env,
        ...(size === 1 ? { REDIS_URL: '' } : {}),
        // The third instance has no direct link: pipes to it measure the path through Redis.
        ...(i === 2 ? { CLUSTER_SECRET: '' } : {}),
        NODE_OPTIONS: inspectOption(port),
      }),
    ),
  )
  const inspectors = await Promise.all(ports.map((port) => Inspector.connect(port)))
  return {
    instances,
    inspectors,
    redisPid: size === 1 ? null : redis.pid,
    stop: async () => {
      for (const inspector of inspectors) inspector.close()
      await stopCluster()
    },
  }
}

/** RSS and V8 heap summed over the instances, each after forced GC. */
async function clusterMemory(cluster: Cluster): Promise<{ rss: number; heap: number }> {
  const usages = await Promise.all(cluster.inspectors.map((inspector) => inspector.memoryAfterGc()))
  return {
    rss: usages.reduce((sum, u) => sum + u.rss, 0),
    heap: usages.reduce((sum, u) => sum + u.heapUsed, 0),
  }
}

interface JoinResult {
  seconds: number
  introductionsPerSecond: number
  cpuMicrosPerPeer: number
  redisCpuMicrosPerPeer: number
  rssPerConnectionKiB: number
  heapPerConnectionKiB: number
}

/**
 * `count` peers joining in pairs, pair k's peers on instance k mod n and the next one (the same one when n
 * is 1); resolves with their sockets once every one of them has been introduced.
 */
async function connectPairs(instances: ChildInstance[], prefix: string, count: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = []
  let introductions = 0
  let allIntroduced: () => void = () => {}
  const done = new Promise<void>((resolve) => (allIntroduced = resolve))
  await pool(count, async (i) => {
    const pair = Math.floor(i / 2)
    const instance = instances[(pair + (i % 2)) % instances.length] as ChildInstance
    const ws = await open(`${instance.ws}/introduction/${prefix}-p${i}`)
    sockets.push(ws)
    ws.on('message', (data: Buffer) => {
      if ((unpack(data) as { type: string }).type === 'Introduction' && ++introductions === count)
        allIntroduced()
    })
    ws.send(pack({ type: 'Join', documentIds: [`${prefix}-d${pair}`] }))
  })
  await done
  return sockets
}

function closeAll(sockets: WebSocket[]): Promise<void> {
  return Promise.all(
    sockets.map((ws) => new Promise<void>((resolve) => (ws.once('close', () => resolve()), ws.close()))),
  ).then(() => {})
}

/** The bench's peers in split pairs, after a warm-up (see the header), timed from the first connect. */
async function joinPairs(cluster: Cluster, rep: number): Promise<JoinResult> {
  const { instances } = cluster
  const pids = instances.map((i) => i.child.pid as number)
  if (warmup > 0) await closeAll(await connectPairs(instances, `w${rep}`, warmup))
  const memoryBefore = await clusterMemory(cluster)
  const cpuBefore = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0)
  const redisBefore = cluster.redisPid === null ? 0 : cpuSeconds(cluster.redisPid)
  const started = performance.now()
  const sockets = await connectPairs(instances, `r${rep}`, peers)
  const seconds = (performance.now() - started) / 1000
  const cpu = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - cpuBefore
  const redisCpu = cluster.redisPid === null ? 0 : cpuSeconds(cluster.redisPid) - redisBefore
  const memoryAfter = await clusterMemory(cluster)
  await closeAll(sockets)
  return {
    seconds,
    introductionsPerSecond: peers / seconds,
    cpuMicrosPerPeer: (cpu * 1e6) / peers,
    redisCpuMicrosPerPeer: (redisCpu * 1e6) / peers,
    rssPerConnectionKiB: (memoryAfter.rss - memoryBefore.rss) / peers / 1024,
    heapPerConnectionKiB: (memoryAfter.heap - memoryBefore.heap) / peers / 1024,
  }
}

interface PipeRun {
  mibPerSecond: number
  /** CPU milliseconds per MiB piped: every instance together, and this process (both of the pipe's ends). */
  serverMsPerMib: number
  clientMsPerMib: number
  /** The same, of the instance the pipe's sender is on and of the receiver's (0 when it is the same one). */
  senderMsPerMib: number
  receiverMsPerMib: number
}

/** CPU seconds of this process (user + system). */
function ownCpuSeconds(): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1e6
}

/**
 * One pipe from `from` to `to`, the sender keeping at most 8 MiB unsent; `pids` are every instance's,
 * whose CPU is counted while it runs. A pipe that closes before all its bytes crossed fails the run.
 */
async function pipe(
  from: ChildInstance,
  to: ChildInstance,
  frame: number,
  total: number,
  id: string,
  pids: number[],
): Promise<PipeRun> {
  // Pipes open only between registrations joined to the document: A registers where its pipe lands,
  // B likewise, and they meet before the pipe is requested.
  const registrations = await Promise.all([
    open(`${from.ws}/introduction/a${id}`),
    open(`${to.ws}/introduction/b${id}`),
  ])
  const introduced = Promise.all(
    registrations.map((ws) => new Promise<void>((resolve) => ws.once('message', () => resolve()))),
  )
  for (const ws of registrations) ws.send(pack({ type: 'Join', documentIds: ['doc'] }))
  await introduced
  const a = await open(`${from.ws}/connection/a${id}/b${id}/doc`)
  const b = await open(`${to.ws}/connection/b${id}/a${id}/doc`)
  // Paired once a first frame crosses.
  const first = new Promise<void>((resolve) => b.once('message', () => resolve()))
  a.send(Buffer.alloc(1))
  await first
  const payload = Buffer.alloc(frame, 7)
  let received = 0
  const finished = new Promise<void>((resolve, reject) => {
    b.on('message', (data: Buffer) => {
      received += data.length
      if (received >= total) resolve()
    })
    for (const ws of [a, b])
      ws.once('close', (code: number) =>
        reject(new Error(`the pipe closed (${code}) after ${received} of ${total} bytes`)),
      )
  })
  const fromPid = from.child.pid as number
  const toPid = to.child.pid as number
  const serverBefore = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0)
  const [senderBefore, receiverBefore] = [cpuSeconds(fromPid), cpuSeconds(toPid)]
  const clientBefore = ownCpuSeconds()
  const started = performance.now()
  // Up to 8 MiB unsent, then wait until half of it is written: polling on every turn of the event loop
  // would take CPU from the instances, more so on paths with more processes to share the cores.
  let sent = 0
  let unsent = 0
  let drained: (() => void) | null = null
  const written = (): void => {
    unsent -= frame
    if (drained === null || unsent > 4 * MIB) return
    drained()
    drained = null
  }
  while (sent < total) {
    while (sent < total && unsent < 8 * MIB) {
      unsent += frame
      sent += frame
      a.send(payload, written)
    }
    if (sent < total) await new Promise<void>((resolve) => (drained = resolve))
  }
  await finished
  const mibPerSecond = total / MIB / ((performance.now() - started) / 1000)
  const server = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - serverBefore
  const sender = cpuSeconds(fromPid) - senderBefore
  const receiver = toPid === fromPid ? 0 : cpuSeconds(toPid) - receiverBefore
  const client = ownCpuSeconds() - clientBefore
  for (const ws of [a, b, ...registrations]) {
    ws.removeAllListeners('close')
    ws.close()
  }
  const perMib = (seconds: number) => (seconds * 1000) / (total / MIB)
  return {
    mibPerSecond,
    serverMsPerMib: perMib(server),
    clientMsPerMib: perMib(client),
    senderMsPerMib: perMib(sender),
    receiverMsPerMib: perMib(receiver),
  }
}

/** Pipe bytes `instance` has sent to other instances, by path, from its /metrics. */
async function sentByPath(instance: ChildInstance): Promise<{ direct: number; redis: number }> {
  const text = await (await fetch(`${instance.http}/metrics`)).text()
  const read = (path: string) => {
    const match = new RegExp(
      `^theatron_signal_cluster_path_bytes_total\\{direction="sent",path="${path}"\\} (\\S+)$`,
      'm',
    ).exec(text)
    return Number(match?.[1] ?? 0)
  }
  return { direct: read('direct'), redis: read('redis') }
}

/** Wait until `from` has a direct link up to every other instance that offers one (up to `want`). */
async function directLinksUp(from: ChildInstance, want: number): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    const text = await (await fetch(`${from.http}/metrics`)).text()
    const match = /^theatron_signal_cluster_direct_links\{direction="out"\} (\S+)$/m.exec(text)
    if (Number(match?.[1] ?? 0) >= want) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('the direct links did not come up')
}

/** CPU ms per MiB of one path and frame size: the instances, each end's instance, the bench's own two ends. */
interface PathCpu {
  server: number[]
  client: number[]
  sender: number[]
  receiver: number[]
}

/** A table of CPU per MiB piped: a row per frame size, a column per path; `cell` shows one path's figures. */
function cpuTable(
  cpu: Record<string, PathCpu>,
  what: string,
  cell: (costs: PathCpu, where: string) => string,
): string[] {
  return [
    `| CPU per MiB piped, ms: ${what} | same instance | across, direct link | across, through Redis |`,
    '|---|---|---|---|',
    ...PIPE_CASES.map(({ label }) => {
      const cells = ['same', 'direct', 'redis'].map((where) => {
        const costs = cpu[`${where} ${label}`]
        return costs === undefined ? '–' : cell(costs, where)
      })
      return `| ${label} frames | ${cells.join(' | ')} |`
    }),
  ]
}

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y)
  return sorted[Math.floor(sorted.length / 2)] as number
}

async function main(): Promise<void> {
  const startedAt = new Date()
  const loadStart = loadavg()[0]?.toFixed(1)
  log(`cluster bench: ${peers} peers in split pairs (after ${warmup} to warm up), ${reps} repetitions`)
  const joins: Record<string, JoinResult[]> = { '1 instance': [], '3 instances + Redis': [] }
  const pipes: Record<string, number[]> = {}
  /** CPU ms per MiB by path and frame size. */
  const cpu: Record<string, PathCpu> = {}
  for (let rep = 0; rep < reps; rep++) {
    for (const size of rep % 2 === 0 ? [1, 3] : [3, 1]) {
      const label = size === 1 ? '1 instance' : '3 instances + Redis'
      const cluster = await startCluster(size)
      try {
        const run = await joinPairs(cluster, rep)
        joins[label]?.push(run)
        log(
          `peers  ${label.padEnd(20)} ${run.seconds.toFixed(2)} s, ${run.introductionsPerSecond.toFixed(0)} introductions/s, ` +
            `server ${run.cpuMicrosPerPeer.toFixed(0)} µs CPU/peer (Redis ${run.redisCpuMicrosPerPeer.toFixed(0)}), ` +
            `RSS ${run.rssPerConnectionKiB.toFixed(2)} KiB/conn, heap ${run.heapPerConnectionKiB.toFixed(2)} KiB/conn`,
        )
        if (size === 3 && !peersOnly) {
          const [x, y, z] = cluster.instances as [ChildInstance, ChildInstance, ChildInstance]
          await directLinksUp(x, 1)
          const order = [
            ['same', x],
            ['direct', y],
            ['redis', z],
          ] as const
          for (const { label: frame, frame: size_, total } of PIPE_CASES) {
            // Rotate which runs first, so no path always gets the freshest (or the most used) instance.
            for (const k of [0, 1, 2]) {
              const [where, to] = order[(k + rep) % 3] as (typeof order)[number]
              const before = await sentByPath(x)
              const pids = cluster.instances.map((i) => i.child.pid as number)
              const run = await pipe(x, to, size_, total, `${rep}${where}${size_}`, pids)
              const after = await sentByPath(x)
              if (where !== 'same' && after[where] - before[where] < total)
                throw new Error(`the ${where} pipe did not go ${where}: ${JSON.stringify({ before, after })}`)
              ;(pipes[`${where} ${frame}`] ??= []).push(run.mibPerSecond)
              const costs = (cpu[`${where} ${frame}`] ??= {
                server: [],
                client: [],
                sender: [],
                receiver: [],
              })
              costs.server.push(run.serverMsPerMib)
              costs.client.push(run.clientMsPerMib)
              costs.sender.push(run.senderMsPerMib)
              costs.receiver.push(run.receiverMsPerMib)
              log(
                `pipe   ${where.padEnd(6)} ${frame} frames: ${run.mibPerSecond.toFixed(1)} MiB/s, CPU per MiB ` +
                  `${run.serverMsPerMib.toFixed(2)} ms instances (sender's ${run.senderMsPerMib.toFixed(2)}, ` +
                  `receiver's ${run.receiverMsPerMib.toFixed(2)}), ${run.clientMsPerMib.toFixed(2)} ms load generator`,
              )
            }
          }
        }
      } finally {
        await cluster.stop()
      }
    }
  }
  const one = joins['1 instance'] as JoinResult[]
  const three = joins['3 instances + Redis'] as JoinResult[]
  const m = (runs: JoinResult[], key: keyof JoinResult) => median(runs.map((r) => r[key]))
  const ratio = (a: number, b: number) => (a / b).toFixed(2)
  const lines = [
    '',
    '## Cluster',
    '',
    `\`npm run bench:cluster\` — ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC; ` +
      `${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}, ` +
      `redis-server 7 and every instance on loopback, load generator in the bench process; machine shared with other work. ` +
      `${peers} peers joining in pairs, each pair split over two instances (round the three), ${reps} repetitions, medians.`,
    '',
    '| | 1 instance | 3 instances + Redis | ratio | target |',
    '|---|---|---|---|---|',
    `| ${peers} peers (${peers / 2} split pairs) introduced, s | ${m(one, 'seconds').toFixed(2)} | ${m(three, 'seconds').toFixed(2)} | ${ratio(m(three, 'seconds'), m(one, 'seconds'))}× | ≤ 2× |`,
    `| introductions/s | ${m(one, 'introductionsPerSecond').toFixed(0)} | ${m(three, 'introductionsPerSecond').toFixed(0)} | | |`,
    `| server CPU per peer, µs (all instances) | ${m(one, 'cpuMicrosPerPeer').toFixed(0)} | ${m(three, 'cpuMicrosPerPeer').toFixed(0)} | ${ratio(m(three, 'cpuMicrosPerPeer'), m(one, 'cpuMicrosPerPeer'))}× | |`,
    `| Redis CPU per peer, µs | – | ${m(three, 'redisCpuMicrosPerPeer').toFixed(0)} | | |`,
    `| RSS per idle connection, KiB (forced GC, after a ${warmup}-peer warm-up) | ${m(one, 'rssPerConnectionKiB').toFixed(2)} | ${m(three, 'rssPerConnectionKiB').toFixed(2)} | ${ratio(m(three, 'rssPerConnectionKiB'), m(one, 'rssPerConnectionKiB'))}× | ≤ 1.2× |`,
    `| V8 heap per idle connection, KiB (forced GC) | ${m(one, 'heapPerConnectionKiB').toFixed(2)} | ${m(three, 'heapPerConnectionKiB').toFixed(2)} | ${ratio(m(three, 'heapPerConnectionKiB'), m(one, 'heapPerConnectionKiB'))}× | |`,
    '',
    '| pipe, MiB/s | same instance | across, direct link | ratio | across, through Redis | ratio | target |',
    '|---|---|---|---|---|---|---|',
    ...PIPE_CASES.map(({ label }) => {
      const same = median(pipes[`same ${label}`] ?? [0])
      const direct = median(pipes[`direct ${label}`] ?? [0])
      const redis = median(pipes[`redis ${label}`] ?? [0])
      return (
        `| ${label} frames | ${same.toFixed(1)} | ${direct.toFixed(1)} | ${ratio(direct, same)}× | ` +
        `${redis.toFixed(1)} | ${ratio(redis, same)}× | ${label === '1 MiB' ? '≥ 0.5× (across)' : ''} |`
      )
    }),
    '',
    ...cpuTable(
      cpu,
      'instances (load generator)',
      (costs) => `${median(costs.server).toFixed(2)} (${median(costs.client).toFixed(2)})`,
    ),
    '',
    ...cpuTable(cpu, "sender's instance + receiver's instance", (costs, where) =>
      where === 'same'
        ? median(costs.sender).toFixed(2)
        : `${median(costs.sender).toFixed(2)} + ${median(costs.receiver).toFixed(2)}`,
    ),
    '',
    `Per repetition, MiB/s same / direct / Redis (direct and Redis as ratios of same): ` +
      PIPE_CASES.map(
        ({ label }) =>
          `${label}: ` +
          (pipes[`same ${label}`] ?? [])
            .map((same, i) => {
              const direct = pipes[`direct ${label}`]?.[i] ?? 0
              const redis = pipes[`redis ${label}`]?.[i] ?? 0
              return `${same.toFixed(0)} / ${direct.toFixed(0)} / ${redis.toFixed(0)} (${ratio(direct, same)}×, ${ratio(redis, same)}×)`
            })
            .join(', '),
      ).join('; ') +
      `. Load average ${loadStart} at the start, ${loadavg()[0]?.toFixed(1)} at the end.`,
    '',
  ]
  log(lines.join('\n'))
  if (write) {
    // Replace this command's own section (or add it at the end), as the other benches do.
    const path = `${ROOT}docs/benchmarks.md`
    const text = readFileSync(path, 'utf8')
    const section = lines.join('\n').trim() + '\n'
    const start = text.indexOf('\n## Cluster\n')
    const end = start < 0 ? -1 : text.indexOf('\n## ', start + 1)
    const updated =
      start < 0
        ? `${text.trimEnd()}\n\n${section}`
        : `${text.slice(0, start + 1)}${section}${end < 0 ? '' : text.slice(end)}`
    writeFileSync(path, updated)
    log(`wrote the Cluster section of ${path}`)
  }
}

await main()

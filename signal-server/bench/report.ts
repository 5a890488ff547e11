/** Medians, ratios against the issue's targets, and the "## Signal server" section of docs/benchmarks.md. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { DEFAULTS } from '../src/config.ts'
import type { ServerKind, ServerMode } from './ipc.ts'
import type { ConnectionsResult, PipeCase, PipeResult } from './measure.ts'

export type ConnectionLabel = 'ours' | 'relay' | 'bare' | 'bare-introducer'

export const CONNECTION_CASES: ReadonlyArray<{
  label: ConnectionLabel
  kind: ServerKind
  mode: ServerMode
  introduced: boolean
}> = [
  { label: 'ours', kind: 'ours', mode: 'full', introduced: true },
  { label: 'relay', kind: 'relay', mode: 'full', introduced: true },
  { label: 'bare', kind: 'bare', mode: 'hold', introduced: false },
  { label: 'bare-introducer', kind: 'bare', mode: 'full', introduced: true },
]

export const PIPE_KINDS: readonly ServerKind[] = ['ours', 'ours-unlimited', 'relay', 'bare']

export interface Results {
  connections: Partial<Record<ConnectionLabel, ConnectionsResult[]>>
  pipe: Partial<Record<ServerKind, PipeResult[][]>>
  /** Peers (introduction sockets) per connections run. */
  peers: number
  reps: number
  pipeReps: number
  pipeCases: PipeCase[]
}

export interface Machine {
  cpus: number
  cpuModel: string
  memoryGiB: number
  node: string
  kernel: string
  /** 1-minute load average when the run started: other work on a shared machine skews timings. */
  loadAtStart: number
}

export function machine(): Machine {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown'
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'))
    if (line) cpuModel = line.split(':')[1]?.trim() ?? cpuModel
  } catch {
    // not Linux: os.cpus() is good enough
  }
  return {
    cpus: os.availableParallelism(),
    cpuModel,
    memoryGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    loadAtStart: os.loadavg()[0] ?? 0,
  }
}

/** Targets from issue 2, section 4. */
export const TARGETS = {
  rssKiBPerConnection: 5.5,
  introductionsVsRelay: 2,
  pipeVsBare: 0.9,
}

export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = sorted.length >> 1
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/**
 * Median of the per-repetition ratios a[i] / b[i]: runs of one repetition are neighbours in time,
 * so their ratio cancels most of the background load that moves both.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((value, i) => value / (b[i] ?? Number.NaN)))
}

function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–'
}

function samples(values: readonly number[], digits = 1): string {
  return values.map((v) => fmt(v, digits)).join(', ')
}

function verdict(ok: boolean): string {
  return ok ? '**met**' : '**missed**'
}

interface Figures {
  conn(label: ConnectionLabel, pick: (r: ConnectionsResult) => number | null): number[]
  pipe(kind: ServerKind, frameIndex: number, pick: (r: PipeResult) => number): number[]
}

function figures(results: Results): Figures {
  return {
    conn: (label, pick) => (results.connections[label] ?? []).map((r) => pick(r) ?? Number.NaN),
    pipe: (kind, frameIndex, pick) =>
      (results.pipe[kind] ?? []).map((runs) => {
        const run = runs[frameIndex]
        return run ? pick(run) : Number.NaN
      }),
  }
}

function frameName(frameSize: number): string {
  return frameSize >= 1024 * 1024 ? `${frameSize / 1024 / 1024} MiB` : `${frameSize / 1024} KiB`
}

export function renderSection(results: Results, host: Machine, seconds: number, date: Date): string {
  const f = figures(results)
  const m = (values: number[]) => median(values)
  const peers = results.peers
  const rss = (label: ConnectionLabel) => f.conn(label, (r) => r.rssKiB)
  const heap = (label: ConnectionLabel) => f.conn(label, (r) => r.heapKiB)
  const rate = (label: ConnectionLabel) => f.conn(label, (r) => r.introductionsPerSecond)
  const secs = (label: ConnectionLabel) => f.conn(label, (r) => r.seconds)
  const cpuPeer = (label: ConnectionLabel) => f.conn(label, (r) => r.cpuMicrosPerPeer)
  const mibs = (kind: ServerKind, i: number) => f.pipe(kind, i, (r) => r.mibPerSecond)
  const cpuMib = (kind: ServerKind, i: number) => f.pipe(kind, i, (r) => r.cpuMsPerMiB)
  const small = results.pipeCases.findIndex((c) => c.frameSize < 1024 * 1024)
  const large = results.pipeCases.findIndex((c) => c.frameSize >= 1024 * 1024)
  const smallName = frameName(results.pipeCases[small]?.frameSize ?? 1024)
  const largeName = frameName(results.pipeCases[large]?.frameSize ?? 1024 * 1024)

  const oursRss = m(rss('ours'))
  const introRatio = pairedRatio(rate('ours'), rate('relay'))
  const pipeLarge = pairedRatio(mibs('ours', large), mibs('bare', large))
  const pipeSmallDefaults = pairedRatio(mibs('ours', small), mibs('bare', small))
  const pipeSmallUnlimited = pairedRatio(mibs('ours-unlimited', small), mibs('bare', small))
  const cpuLarge = pairedRatio(cpuMib('bare', large), cpuMib('ours', large))
  const cpuSmall = pairedRatio(cpuMib('bare', small), cpuMib('ours-unlimited', small))
  const rateCost = pairedRatio(cpuMib('ours', small), cpuMib('ours-unlimited', small))

  const closedRuns = (results.pipe.ours ?? []).map((runs) => runs[small]?.closed).filter((c) => c)
  const closedMiB = (results.pipe.ours ?? [])
    .filter((runs) => runs[small]?.closed)
    .map((runs) => runs[small]?.mib ?? Number.NaN)
  const rateLimit = DEFAULTS.pipeRate
  const capMiB = (rateLimit.perSecond * (results.pipeCases[small]?.frameSize ?? 1024)) / 2 ** 20
  const burstMiB = (rateLimit.burst * (results.pipeCases[small]?.frameSize ?? 1024)) / 2 ** 20

  const row = (cells: string[]) => `| ${cells.join(' | ')} |`
  const lines: string[] = []
  lines.push('## Signal server', '')
  lines.push(
    `Ours (\`createSignalServer\`) against \`@localfirst/relay\` 4.2.2's \`Server\` and a bare \`ws\` server as the ` +
      `floor, side by side in one run; medians of ${results.reps} interleaved runs (pipes: ${results.pipeReps}); ` +
      `ratios are medians of the per-repetition ratios.`,
    '',
  )
  lines.push(
    `- Command: \`npm run bench:signal\` (\`node --expose-gc --import tsx signal-server/bench/run.ts\`), ` +
      `${date.toISOString().slice(0, 10)}, ${Math.round(seconds)} s`,
    `- Machine: ${host.cpus} × ${host.cpuModel}, ${fmt(host.memoryGiB, 1)} GiB RAM, Node ${host.node}, ` +
      `${host.kernel}; shared: 1-minute load average ${fmt(host.loadAtStart, 1)} at the start`,
    '',
  )

  lines.push(row(['', 'ours', 'relay 4.2.2', 'bare ws', 'target', 'ours vs target']))
  lines.push(row(['---', '---:', '---:', '---:', '---', '---']))
  lines.push(
    row([
      `RSS per idle connection, ${peers / 1000}k connections (KiB)`,
      fmt(oursRss, 2),
      fmt(m(rss('relay')), 2),
      fmt(m(rss('bare')), 2),
      `≤ ${TARGETS.rssKiBPerConnection} KiB`,
      `${fmt(oursRss, 2)} KiB: ${verdict(oursRss <= TARGETS.rssKiBPerConnection)}`,
    ]),
  )
  lines.push(
    row([
      'V8 heap per idle connection (KiB)',
      fmt(m(heap('ours')), 2),
      fmt(m(heap('relay')), 2),
      fmt(m(heap('bare')), 2),
      '',
      `${fmt(m(heap('ours')) / m(heap('bare')), 2)}× bare`,
    ]),
  )
  lines.push(
    row([
      `Introductions per second, ${peers / 1000}k peers joining in pairs`,
      fmt(m(rate('ours')), 0),
      fmt(m(rate('relay')), 0),
      `${fmt(m(rate('bare-introducer')), 0)} ¹`,
      `≥ ${TARGETS.introductionsVsRelay}× relay`,
      `${fmt(introRatio, 2)}× relay: ${verdict(introRatio >= TARGETS.introductionsVsRelay)}`,
    ]),
  )
  lines.push(
    row([
      `Time for ${peers / 1000}k peers to be introduced (s)`,
      fmt(m(secs('ours')), 1),
      fmt(m(secs('relay')), 1),
      `${fmt(m(secs('bare-introducer')), 1)} ¹`,
      '',
      '',
    ]),
  )
  lines.push(
    row([
      'Server CPU per peer: handshake + Join + introduction (µs)',
      fmt(m(cpuPeer('ours')), 0),
      fmt(m(cpuPeer('relay')), 0),
      `${fmt(m(cpuPeer('bare-introducer')), 0)} ¹`,
      '',
      '',
    ]),
  )
  lines.push(
    row([
      `Pipe throughput, ${largeName} frames (MiB/s)`,
      fmt(m(mibs('ours', large)), 0),
      fmt(m(mibs('relay', large)), 0),
      fmt(m(mibs('bare', large)), 0),
      `≥ ${TARGETS.pipeVsBare}× bare`,
      `${fmt(pipeLarge, 2)}× bare: ${verdict(pipeLarge >= TARGETS.pipeVsBare)}`,
    ]),
  )
  lines.push(
    row([
      `Pipe throughput, ${smallName} frames, default limits (MiB/s)`,
      `${fmt(m(mibs('ours', small)), 1)} ²`,
      fmt(m(mibs('relay', small)), 1),
      fmt(m(mibs('bare', small)), 1),
      `≥ ${TARGETS.pipeVsBare}× bare`,
      closedRuns.length > 0
        ? `${fmt(pipeSmallDefaults, 2)}× bare until closed by the rate limit ²: ${verdict(false)}`
        : `${fmt(pipeSmallDefaults, 2)}× bare: ${verdict(pipeSmallDefaults >= TARGETS.pipeVsBare)}`,
    ]),
  )
  lines.push(
    row([
      `Pipe throughput, ${smallName} frames, \`pipeRate\` off (MiB/s)`,
      fmt(m(mibs('ours-unlimited', small)), 1),
      '',
      '',
      `≥ ${TARGETS.pipeVsBare}× bare`,
      `${fmt(pipeSmallUnlimited, 2)}× bare: ${verdict(pipeSmallUnlimited >= TARGETS.pipeVsBare)}`,
    ]),
  )
  lines.push(
    row([
      `Server CPU per MiB piped, ${largeName} / ${smallName} frames (ms) ³`,
      `${fmt(m(cpuMib('ours', large)), 2)} / ${fmt(m(cpuMib('ours-unlimited', small)), 2)}`,
      `${fmt(m(cpuMib('relay', large)), 2)} / ${fmt(m(cpuMib('relay', small)), 2)}`,
      `${fmt(m(cpuMib('bare', large)), 2)} / ${fmt(m(cpuMib('bare', small)), 2)}`,
      '',
      `bare needs ${fmt(cpuLarge, 2)}× / ${fmt(cpuSmall, 2)}× ours`,
    ]),
  )
  lines.push('')
  lines.push(
    `¹ The bare server has no introductions of its own; this column is a minimal introducer on bare \`ws\` ` +
      `(the first peer of a document waits, the second is introduced), the floor for handshake + Join + reply.`,
    '',
    `² With the default \`pipeRate\` (${rateLimit.perSecond} frames/s per side, burst ${rateLimit.burst}) a ` +
      `sender over the rate is throttled (the server stops reading from it and drains what it read, in order), ` +
      `never closed: sustained ${smallName}-frame throughput is capped at ${fmt(capMiB, 1)} MiB/s per pipe after ` +
      `a ${fmt(burstMiB, 1)} MiB burst, ${fmt(capMiB / m(mibs('bare', small)), 2)}× this run's bare median. ` +
      `Transfers closed before the end: ${closedRuns.length} of ${(results.pipe.ours ?? []).length}` +
      `${closedRuns.length > 0 ? ` (${[...new Set(closedRuns.map((c) => c?.code))].join('/')} after ${samples(closedMiB, 1)} MiB)` : ''}.`,
    '',
    `³ Wall-clock throughput on a shared 2-core machine swings with other work; server CPU time per MiB ` +
      `(user + system of the server process during the transfer) is the steadier comparison. With ` +
      `${smallName} frames the default rate limit's bookkeeping costs ${fmt((rateCost - 1) * 100, 0)}% more ` +
      `server CPU per MiB than \`pipeRate\` off (median paired ratio).`,
    '',
  )

  lines.push('### Samples', '')
  lines.push(row(['', 'ours', 'relay 4.2.2', 'bare ws', 'bare introducer']))
  lines.push(row(['---', '---', '---', '---', '---']))
  const connRow = (name: string, pick: (label: ConnectionLabel) => number[], digits: number) =>
    row([
      name,
      ...(['ours', 'relay', 'bare', 'bare-introducer'] as const).map((l) => samples(pick(l), digits)),
    ])
  lines.push(connRow('RSS KiB/connection', rss, 2))
  lines.push(connRow('heap KiB/connection', heap, 2))
  lines.push(connRow('introductions/s', rate, 0))
  lines.push(connRow('server µs CPU/peer', cpuPeer, 0))
  lines.push('')
  lines.push(row(['MiB/s (server ms CPU/MiB)', ...PIPE_KINDS.map((k) => `\`${k}\``)]))
  lines.push(row(['---', ...PIPE_KINDS.map(() => '---')]))
  for (const [i, pipeCase] of results.pipeCases.entries()) {
    lines.push(
      row([
        `${frameName(pipeCase.frameSize)} frames, ${pipeCase.totalBytes / 2 ** 20} MiB`,
        ...PIPE_KINDS.map((kind) =>
          (results.pipe[kind] ?? [])
            .map((runs) => runs[i])
            .map((r) =>
              r ? `${fmt(r.mibPerSecond, 0)} (${fmt(r.cpuMsPerMiB, 1)})${r.closed ? '²' : ''}` : '–',
            )
            .join(', '),
        ),
      ]),
    )
  }
  lines.push('')

  lines.push('### Method', '')
  lines.push(
    `- Each server runs in its own child process (so RSS is its own); the load generator is another process. ` +
      `Children are started through bash with the open-file limit raised to the hard limit.`,
    `- Memory and introductions come from the same run: ${results.peers} peers open \`/introduction/<id>\` ` +
      `(${128} handshakes in flight) and each sends one msgpack \`Join\` for its pair's document (${peers / 2} ` +
      `documents); the clients count \`Introduction\`s, from the first connect to the last introduction. Then, ` +
      `with every socket open and idle, the server forces GC (4× with pauses) and reports \`process.memoryUsage()\`; ` +
      `per connection = (after − before) / ${peers}. Before the baseline, 500 peers connect, join and close, so ` +
      `first-use costs (JIT, pools) do not count as per-connection costs.`,
    `- The memory floor is a bare \`ws\` \`WebSocketServer\` that only keeps the sockets (default client ` +
      `tracking, one shared message listener that counts); its clients send the same Joins.`,
    `- Ours runs with its defaults except \`maxConnectionsPerIp\`, raised from the documented default ` +
      `(${DEFAULTS.maxConnectionsPerIp} per address) because every bench socket comes from 127.0.0.1, and ` +
      `\`logLevel: 'silent'\`. \`ours-unlimited\` is the same with \`pipeRate: { perSecond: 0 }\`. Relay listens on ` +
      `a free port found beforehand (its \`listen\` cannot report port 0); it runs on express-ws's bundled \`ws\` 7.`,
    `- Pipes: A opens \`/connection/A/B/doc\`, B opens \`/connection/B/A/doc\` and sends one frame; when A gets it, ` +
      `A sends ${results.pipeCases.map((c) => `${c.totalBytes / 2 ** 20} MiB in ${frameName(c.frameSize)}`).join(' and ')} ` +
      `binary frames, keeping at most 8 MiB handed to \`ws\` but not yet written (its send callbacks), and B ` +
      `times the transfer from A's first send to its last byte (both in the load-generator process). The bare ` +
      `pipe pairs the two requests and forwards every frame with no limits, no holding and no backpressure.`,
    `- Runs are interleaved (the order rotates each repetition) and medians are reported. Connection runs ` +
      `get a fresh server process each; for pipes the four servers are started once and transfers alternate ` +
      `between them, so neighbouring transfers share the background load; one smaller transfer per size and ` +
      `server goes first, discarded, to warm the JIT of the server and the load generator.`,
    '',
  )
  return lines.join('\n')
}

const DOC = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url))
const INTRO =
  "# Benchmarks\n\nMeasured figures for Theatron's parts, each section written by its own benchmark command " +
  '(which replaces only its section). Numbers come from the machine named in each section.\n'

/** Replace (or add) the "## Signal server" section of docs/benchmarks.md; returns the section. */
export function writeSection(results: Results, host: Machine, seconds: number, write: boolean): string {
  const section = renderSection(results, host, seconds, new Date())
  if (!write) return section
  const current = existsSync(DOC) ? readFileSync(DOC, 'utf8') : INTRO
  const lines = current.split('\n')
  const start = lines.findIndex((line) => line.trim() === '## Signal server')
  let next: string
  if (start === -1) {
    next = `${current.trimEnd()}\n\n${section.trimEnd()}\n`
  } else {
    const after = lines.findIndex((line, i) => i > start && /^## /.test(line))
    const rest = after === -1 ? '' : `\n${lines.slice(after).join('\n')}`
    next = `${lines.slice(0, start).join('\n').trimEnd()}\n\n${section.trimEnd()}\n${rest}`
  }
  writeFileSync(DOC, next.replace(/^\n+/, ''))
  return section
}

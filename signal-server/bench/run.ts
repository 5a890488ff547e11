/**
 * `npm run bench:signal`: ours vs @localfirst/relay 4.2.2 vs a bare `ws` server, side by side in one
 * run, each measurement repeated and interleaved (the machine is shared), medians reported and
 * written to docs/benchmarks.md (section "## Signal server").
 *
 * Environment knobs (for quick checks; the documented figures use the defaults):
 *   BENCH_REPS=3  BENCH_PIPE_REPS=7  BENCH_CONNECTIONS=10000  BENCH_ONLY=connections,pipe  BENCH_WRITE=0 (print only)
 */
import { killAll } from './children.ts'
import {
  connectionsRun,
  withPipeServers,
  type ConnectionsResult,
  type PipeCase,
  type PipeResult,
} from './measure.ts'
import { CONNECTION_CASES, PIPE_KINDS, machine, writeSection, type Results } from './report.ts'

const MIB = 1024 * 1024

const reps = Number(process.env.BENCH_REPS ?? 3)
/** Pipe runs are short and the noisiest, so they get more repetitions. */
const pipeReps = Number(process.env.BENCH_PIPE_REPS ?? 7)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10_000)
const only = new Set((process.env.BENCH_ONLY ?? 'connections,pipe').split(','))
const write = process.env.BENCH_WRITE !== '0'

export const PIPE_CASES: PipeCase[] = [
  { frameSize: 1024, totalBytes: 32 * MIB },
  { frameSize: MIB, totalBytes: 256 * MIB },
]

/** The kinds in a different order each repetition, so drift on a noisy machine spreads evenly. */
function rotate<T>(items: readonly T[], by: number): T[] {
  return items.map((_, i) => items[(i + by) % items.length] as T)
}

function log(line: string): void {
  process.stdout.write(`${line}\n`)
}

async function main(): Promise<void> {
  const started = performance.now()
  const results: Results = {
    connections: {},
    pipe: {},
    peers: connections,
    reps,
    pipeReps,
    pipeCases: PIPE_CASES,
  }
  log(`signal server bench: ${connections} connections, ${reps} repetitions (pipes ${pipeReps})`)

  if (only.has('connections')) {
    for (let rep = 0; rep < reps; rep++) {
      for (const { label, kind, mode, introduced } of rotate(CONNECTION_CASES, rep)) {
        const run: ConnectionsResult = await connectionsRun(kind, mode, connections / 2, introduced)
        ;(results.connections[label] ??= []).push(run)
        const rate = run.introductionsPerSecond
        log(
          `peers   ${label.padEnd(16)} rss ${run.rssKiB.toFixed(2)} KiB/conn, heap ${run.heapKiB.toFixed(2)}, ` +
            `external ${run.externalKiB.toFixed(2)}; ${rate === null ? 'joined' : `${rate.toFixed(0)} introductions/s,`} ` +
            `${run.seconds.toFixed(1)} s; server ${run.cpuMicrosPerPeer.toFixed(0)} µs CPU/peer`,
        )
      }
    }
  }

  if (only.has('pipe')) {
    await withPipeServers(PIPE_KINDS, async (transfer) => {
      for (let rep = 0; rep < pipeReps; rep++) {
        for (const kind of rotate(PIPE_KINDS, rep)) {
          const runs: PipeResult[] = await transfer(kind, PIPE_CASES)
          ;(results.pipe[kind] ??= []).push(runs)
          for (const [i, run] of runs.entries()) {
            const frame = PIPE_CASES[i]?.frameSize === 1024 ? '1 KiB' : '1 MiB'
            const closed = run.closed ? `, closed ${run.closed.code} after ${run.mib.toFixed(1)} MiB` : ''
            log(
              `pipe    ${kind.padEnd(14)} ${frame} frames ${run.mibPerSecond.toFixed(1)} MiB/s, ` +
                `CPU ms/MiB server ${run.cpuMsPerMiB.toFixed(2)} client ${run.clientCpuMsPerMiB.toFixed(2)}${closed}`,
            )
          }
        }
      }
    })
  }

  const seconds = (performance.now() - started) / 1000
  log(`done in ${seconds.toFixed(0)} s`)
  const section = writeSection(results, machine(), seconds, write)
  if (!write) log(section)
}

const interrupted = () => void killAll().then(() => process.exit(130))
process.once('SIGINT', interrupted)
process.once('SIGTERM', interrupted)

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    await killAll()
    process.exit(1)
  },
)

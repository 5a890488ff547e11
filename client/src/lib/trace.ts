/**
 * Steps worth timing — a range request and its first bytes, an MP4's index, a read restarted for a seek, a
 * piece a stream waits for and each piece verified, each chunk the MSE pump takes and how long its append took,
 * each playback command's lead and how early it arrived (sync/session.ts) — for the benchmarks' traces
 * (`BENCH_TRACE=1 npm run bench:movie`). Nothing happens until a sink is set: the e2e build's test hooks set one
 * that leaves performance marks `theatron:trace:<step>` with the detail (testing/hooks.ts); the shipped build
 * never does.
 */

/** What a step carries: offsets, sizes, a kind. */
export type TraceDetail = Readonly<Record<string, number | string | boolean>>

type Sink = (step: string, detail?: TraceDetail) => void

let sink: Sink | null = null

/** Sends every step to `next` from now on; returns what removes it again. */
export function setTraceSink(next: Sink): () => void {
  sink = next
  return () => {
    if (sink === next) sink = null
  }
}

/** One step, with what it is about; free while no sink is set. */
export function trace(step: string, detail?: TraceDetail): void {
  sink?.(step, detail)
}

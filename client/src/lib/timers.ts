/** Timers behind an interface so transport state machines can be driven by fake time in tests. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
  setInterval(fn: () => void, ms: number): unknown
  clearInterval(handle: unknown): void
  /**
   * A timeout that runs ahead of the page's other queued work once it is due (a command's instant). Optional:
   * without it, `setTimeout`; cancelled with `clearTimeout`.
   */
  setUrgentTimeout?(fn: () => void, ms: number): unknown
}

/** The Prioritized Task Scheduling API (Chromium 94+), as far as we use it. */
interface TaskScheduler {
  postTask(
    task: () => void,
    options: { priority: 'user-blocking'; delay: number; signal: AbortSignal },
  ): Promise<void>
}

/** A postTask timeout's handle: aborting it cancels the task. */
class UrgentHandle {
  constructor(readonly controller: AbortController) {}
}

function urgentTimeout(fn: () => void, ms: number): unknown {
  const scheduler = (globalThis as { scheduler?: Partial<TaskScheduler> }).scheduler
  if (typeof scheduler?.postTask !== 'function') return globalThis.setTimeout(fn, ms)
  const controller = new AbortController()
  scheduler
    .postTask(fn, { priority: 'user-blocking', delay: Math.max(0, ms), signal: controller.signal })
    .catch(() => {}) // aborted: cleared before it ran
  return new UrgentHandle(controller)
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => {
    if (handle instanceof UrgentHandle) handle.controller.abort()
    else globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>)
  },
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
  clearInterval: (handle) => globalThis.clearInterval(handle as ReturnType<typeof setInterval>),
  setUrgentTimeout: urgentTimeout,
}

import { afterEach, describe, expect, it, vi } from 'vitest'
import { realTimers } from '../src/lib/timers.ts'

type PostTask = (
  task: () => void,
  options: { priority: string; delay: number; signal: AbortSignal },
) => Promise<void>

const scope = globalThis as { scheduler?: { postTask: PostTask } }

afterEach(() => {
  delete scope.scheduler
  vi.useRealTimers()
})

describe('realTimers.setUrgentTimeout', () => {
  it('posts a user-blocking task with the delay where the browser has a task scheduler; clearTimeout aborts it', () => {
    const posted: { priority: string; delay: number; signal: AbortSignal; task: () => void }[] = []
    scope.scheduler = {
      postTask: (task, options) => {
        posted.push({ ...options, task })
        return new Promise((_, reject) =>
          options.signal.addEventListener('abort', () => reject(new Error('aborted'))),
        )
      },
    }
    const fn = vi.fn()
    const handle = realTimers.setUrgentTimeout!(fn, 42)
    expect(posted).toHaveLength(1)
    expect(posted[0]).toMatchObject({ priority: 'user-blocking', delay: 42 })
    expect(posted[0]!.signal.aborted).toBe(false)
    realTimers.clearTimeout(handle)
    expect(posted[0]!.signal.aborted).toBe(true)
    expect(fn).not.toHaveBeenCalled()
  })

  it('falls back to setTimeout without one, cancelled the same way', () => {
    vi.useFakeTimers()
    const fn = vi.fn()
    realTimers.setUrgentTimeout!(fn, 30)
    const cancelled = vi.fn()
    realTimers.clearTimeout(realTimers.setUrgentTimeout!(cancelled, 30))
    vi.advanceTimersByTime(29)
    expect(fn).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fn).toHaveBeenCalledOnce()
    expect(cancelled).not.toHaveBeenCalled()
  })
})

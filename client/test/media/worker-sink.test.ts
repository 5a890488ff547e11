import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as v from 'valibot'
import { errorOf, failureOf, SinkRequest } from '../../src/lib/media/sink-wire.ts'
import { WorkerSink, type StartedWorker } from '../../src/lib/media/worker-sink.ts'

/** A stand-in for the MSE worker: records what the page posts; the test answers as the worker would. */
class FakeWorker {
  onmessage: ((event: MessageEvent<unknown>) => void) | null = null
  onerror: ((event: ErrorEvent) => void) | null = null
  readonly posted: { request: unknown; transfer: Transferable[] }[] = []
  terminated = false

  postMessage(request: unknown, transfer: Transferable[] = []): void {
    // As a real worker's port does: what is transferred leaves the page (its arrays read empty there).
    this.posted.push({ request: structuredClone(request, { transfer }), transfer })
  }
  terminate(): void {
    this.terminated = true
  }
  report(data: unknown): void {
    this.onmessage?.({ data } as MessageEvent<unknown>)
  }
  lastId(): number {
    return (this.posted.at(-1)!.request as { id: number }).id
  }
}

class FakeHandle {}

function started(worker: FakeWorker, early: unknown[] = []): StartedWorker {
  return {
    worker: worker as unknown as Worker,
    early: early.map((data) => ({ data }) as MessageEvent<unknown>),
  }
}

beforeEach(() => vi.stubGlobal('MediaSourceHandle', FakeHandle))
afterEach(() => vi.unstubAllGlobals())

describe('the MSE worker wire', () => {
  it('takes well-formed requests only', () => {
    const ok = v.safeParse(SinkRequest, { type: 'append', id: 3, bytes: new Uint8Array(4) })
    expect(ok.success).toBe(true)
    for (const bad of [
      { type: 'append', id: -1, bytes: new Uint8Array(4) },
      { type: 'append', id: 1, bytes: [1, 2, 3] },
      { type: 'remove', id: 1, start: 0, end: Infinity },
      { type: 'add', id: 1, mimeType: 'x'.repeat(300) },
      { type: 'eval', id: 1 },
      null,
    ])
      expect(v.safeParse(SinkRequest, bad).success, JSON.stringify(bad)).toBe(false)
  })

  it('a failure crosses as the same kind of error: a full buffer is still a QuotaExceededError', () => {
    const full = errorOf(failureOf(new DOMException('full', 'QuotaExceededError')))
    expect(full).toBeInstanceOf(DOMException)
    expect(full.name).toBe('QuotaExceededError')
    const plain = errorOf(failureOf(new Error('the SourceBuffer failed to take a chunk')))
    expect(plain).not.toBeInstanceOf(DOMException)
    expect(plain.message).toBe('the SourceBuffer failed to take a chunk')
  })
})

describe('WorkerSink', () => {
  it('gives the element the handle the worker sent before the page listened, and opens with the source', async () => {
    const worker = new FakeWorker()
    const handle = new FakeHandle()
    const sink = new WorkerSink(started(worker, [{ type: 'handle', handle }]))
    const element = { srcObject: null } as unknown as HTMLMediaElement
    sink.mount(element)
    expect(element.srcObject).toBe(handle)
    expect(sink.readyState).toBe('closed')
    worker.report({ type: 'open' })
    await sink.opened
    expect(sink.readyState).toBe('open')
  })

  it('an append resolves when the worker answers, with a copy moved to it; a failure rejects as thrown', async () => {
    const worker = new FakeWorker()
    const sink = new WorkerSink(started(worker))
    worker.report({ type: 'open' })
    const bytes = new Uint8Array([1, 2, 3])
    const appended = sink.append(bytes)
    const { request, transfer } = worker.posted.at(-1)!
    expect(request).toMatchObject({ type: 'append', bytes: new Uint8Array([1, 2, 3]) })
    expect(transfer).toHaveLength(1)
    expect(bytes.byteLength).toBe(3) // the caller's bytes are not moved away
    let idle = false
    void sink.idle().then(() => (idle = true))
    await Promise.resolve()
    expect(idle).toBe(false)
    worker.report({ type: 'done', id: worker.lastId() })
    await appended
    await sink.idle()

    const full = sink.append(bytes)
    worker.report({
      type: 'done',
      id: worker.lastId(),
      failure: { name: 'QuotaExceededError', message: 'full' },
    })
    await expect(full).rejects.toMatchObject({ name: 'QuotaExceededError' })
  })

  it('an owned append moves the caller’s buffer itself; a failed one comes back to be appended again', async () => {
    const worker = new FakeWorker()
    const sink = new WorkerSink(started(worker))
    worker.report({ type: 'open' })
    const fragment = new Uint8Array([4, 5, 6, 7])
    const full = sink.append(fragment, true)
    const first = worker.posted.at(-1)!.request as { bytes: Uint8Array }
    expect([...first.bytes]).toEqual([4, 5, 6, 7])
    expect(fragment.byteLength).toBe(0) // moved, not copied
    worker.report({
      type: 'done',
      id: worker.lastId(),
      failure: { name: 'QuotaExceededError', message: 'full' },
      bytes: first.bytes,
    })
    await expect(full).rejects.toMatchObject({ name: 'QuotaExceededError' })

    const again = sink.append(fragment, true)
    expect([...(worker.posted.at(-1)!.request as { bytes: Uint8Array }).bytes]).toEqual([4, 5, 6, 7])
    worker.report({ type: 'done', id: worker.lastId() })
    await again
  })

  it('a worker that fails before its source opens fails the start, and what waits', async () => {
    const worker = new FakeWorker()
    const sink = new WorkerSink(started(worker))
    const added = sink.addSourceBuffer('video/webm; codecs="vp9,opus"')
    const event = { message: 'could not load', preventDefault: vi.fn() } as unknown as ErrorEvent
    worker.onerror?.(event)
    await expect(sink.opened).rejects.toThrow('the media worker failed: could not load')
    await expect(added).rejects.toThrow('the media worker failed')
  })

  it('a spare worker that failed before a stream took it fails that stream’s start', async () => {
    const sink = new WorkerSink({ ...started(new FakeWorker()), failed: 'blocked' })
    await expect(sink.opened).rejects.toThrow('the media worker failed: blocked')
  })

  it('ignores malformed reports', () => {
    const worker = new FakeWorker()
    const sink = new WorkerSink(started(worker))
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    worker.report({ type: 'opened' })
    worker.report({ type: 'handle', handle: {} })
    worker.report({ type: 'done', id: 'x' })
    expect(sink.readyState).toBe('closed')
    expect(warn).toHaveBeenCalledTimes(3)
  })

  it('destroyed: what waits is rejected, and the worker ends once the element let go of the source', async () => {
    const worker = new FakeWorker()
    const sink = new WorkerSink(started(worker))
    worker.report({ type: 'open' })
    const appended = sink.append(new Uint8Array(1))
    sink.destroy()
    await expect(appended).rejects.toThrow('the media source is gone')
    expect(worker.terminated).toBe(false)
    const closed = vi.fn()
    sink.onClose(closed)
    worker.report({ type: 'close' })
    expect(worker.terminated).toBe(true)
    expect(closed).toHaveBeenCalledOnce()
    await expect(sink.append(new Uint8Array(1))).rejects.toThrow('the media source is gone')
  })
})

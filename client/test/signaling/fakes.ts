import type { SocketLike } from '../../src/lib/signaling/socket.ts'

/** A WebSocket driven by the test: `open`, `receive`, `drop`; `sent` holds what was sent, decoded. */
export class FakeSocket implements SocketLike {
  readyState = 0
  sent: unknown[] = []
  onopen: SocketLike['onopen'] = null
  onmessage: SocketLike['onmessage'] = null
  onclose: SocketLike['onclose'] = null
  onerror: SocketLike['onerror'] = null
  constructor(
    readonly url: string,
    readonly protocols?: string[],
  ) {}
  send(data: string) {
    this.sent.push(JSON.parse(data))
  }
  close() {
    this.readyState = 3
  }
  open() {
    this.readyState = 1
    this.onopen?.({})
  }
  receive(message: object) {
    this.onmessage?.({ data: JSON.stringify(message) })
  }
  /** Closed and every handler detached (`releaseSocket`). */
  get released(): boolean {
    return this.readyState === 3 && !this.onopen && !this.onmessage && !this.onclose && !this.onerror
  }
  drop(code = 1006, reason = '') {
    this.readyState = 3
    this.onclose?.({ code, reason })
  }
}

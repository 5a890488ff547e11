import { Emitter } from '../events.ts'
import { releaseSocket, SOCKET_OPEN, type SocketLike } from '../signaling/socket.ts'

export type ChannelState = 'connecting' | 'open' | 'closed'
export interface ChannelEvents {
  open: []
  message: [data: string]
  close: []
}

/** A text message channel between two peers: a signal-server pipe, or an in-memory pair in tests. */
export interface Channel {
  readonly state: ChannelState
  /** Sends now when open; queued while connecting; dropped once closed. */
  send(data: string): void
  close(): void
  on<K extends keyof ChannelEvents>(event: K, listener: (...args: ChannelEvents[K]) => void): () => void
}

/** A `/connection/...` pipe. The server holds what we send until the other side arrives. */
export class SocketChannel extends Emitter<ChannelEvents> implements Channel {
  state: ChannelState = 'connecting'
  #socket: SocketLike | null
  #queue: string[] = []

  constructor(socket: SocketLike) {
    super()
    this.#socket = socket
    socket.onopen = () => {
      this.state = 'open'
      for (const data of this.#queue.splice(0)) socket.send(data)
      this.emit('open')
    }
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') this.emit('message', event.data)
    }
    socket.onclose = () => this.close()
  }

  send(data: string): void {
    if (this.state === 'connecting') this.#queue.push(data)
    else if (this.state === 'open' && this.#socket?.readyState === SOCKET_OPEN) this.#socket.send(data)
  }

  close(): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.#queue = []
    if (this.#socket) releaseSocket(this.#socket)
    this.#socket = null
    this.emit('close')
    this.clear()
  }
}

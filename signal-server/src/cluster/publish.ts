/**
 * PUBLISH of a pipe frame without copying it. ioredis would copy every argument into one buffer per
 * command (and the bus header would need a second copy of the payload); at 1 MiB frames those copies
 * into fresh memory cost more CPU than the rest of the path. Here the command is written to the
 * connection's socket in parts — the RESP header with the bus header, the payload as received, the
 * final CRLF — and the socket is corked until the end of the tick, so the publishes of one tick leave
 * in one write (pipelining) and small frames cost no syscall each.
 */
import { Command } from 'ioredis'
import { DATA_HEADER_BYTES, encodeDataHeader } from './wire.ts'

interface CorkableSocket {
  write(chunk: Buffer): boolean
  cork(): void
  uncork(): void
}

export class PublishFrame extends Command {
  readonly #head: Buffer
  readonly #payload: Buffer

  constructor(channel: string, link: number, isBinary: boolean, payload: Buffer) {
    super('publish', [])
    const prefix =
      `*3\r\n$7\r\npublish\r\n$${Buffer.byteLength(channel)}\r\n${channel}\r\n` +
      `$${DATA_HEADER_BYTES + payload.length}\r\n`
    const prefixBytes = Buffer.byteLength(prefix)
    this.#head = Buffer.allocUnsafe(prefixBytes + DATA_HEADER_BYTES)
    this.#head.write(prefix, 0, 'utf8')
    encodeDataHeader(link, isBinary, this.#head, prefixBytes)
    this.#payload = payload
  }

  /** ioredis writes what this returns right after: the CRLF that ends the payload. */
  override toWritable(socket: object): string {
    const stream = socket as CorkableSocket
    stream.cork()
    process.nextTick(uncork, stream)
    stream.write(this.#head)
    stream.write(this.#payload)
    return '\r\n'
  }
}

function uncork(stream: CorkableSocket): void {
  stream.uncork()
}

/**
 * One binary WebSocket message written from the pieces it arrived in, without assembling them into one
 * buffer: a frame header for the whole length, then the pieces, in one corked write. `ws` sends one
 * buffer per frame, so pieces would otherwise be copied together or sent as fragments, one frame each,
 * which costs the receiving client a frame per piece and a copy to join them.
 *
 * The header and the pieces are written in one synchronous call, so nothing `ws` writes (a ping, a
 * pong, a close) can fall inside the frame. This holds while `ws` writes each frame synchronously,
 * as it does for sockets without permessage-deflate (the pipe endpoint offers none).
 */
import type { WebSocket } from 'ws'
import { socketOf, type Corkable } from './cork.ts'

interface Writable extends Corkable {
  write(chunk: Buffer, callback?: (error?: Error | null) => void): boolean
}

/** The header of an unmasked, final, binary frame of `length` bytes (RFC 6455, 5.2). */
export function binaryFrameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([0x82, length])
  if (length < 0x10000) {
    const header = Buffer.allocUnsafe(4)
    header[0] = 0x82
    header[1] = 126
    header.writeUInt16BE(length, 2)
    return header
  }
  const header = Buffer.allocUnsafe(10)
  header[0] = 0x82
  header[1] = 127
  header.writeUInt32BE(Math.floor(length / 0x100000000), 2)
  header.writeUInt32BE(length % 0x100000000, 6)
  return header
}

/**
 * Send `pieces` (`length` bytes together) to `ws` as one binary message; `written` runs once the last
 * piece is handed to the kernel. False, and nothing written, when the socket is not open.
 */
export function sendPieces(
  ws: WebSocket,
  pieces: readonly Buffer[],
  length: number,
  written: () => void,
): boolean {
  const socket = socketOf(ws) as Writable | null
  if (socket === null || ws.readyState !== ws.OPEN) return false
  socket.cork()
  socket.write(binaryFrameHeader(length))
  const last = pieces.length - 1
  for (const [i, piece] of pieces.entries()) {
    if (i === last) socket.write(piece, () => written())
    else socket.write(piece)
  }
  if (last < 0) written()
  socket.uncork()
  return true
}

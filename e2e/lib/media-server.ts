/**
 * A static file server for link tests: serves one folder on 127.0.0.1, port 0, with byte ranges (a `<video>`
 * seeks by range requests) and, when asked, CORS headers for any origin. Counts requests per path, so a test
 * can tell what the page fetched.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize } from 'node:path'

const TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
}

export interface MediaServer {
  /** `http://127.0.0.1:<port>` */
  origin: string
  /** Requests per path so far. */
  requests: Map<string, number>
  close(): Promise<void>
}

export async function serveMedia(dir: string, options: { cors: boolean }): Promise<MediaServer> {
  const requests = new Map<string, number>()
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    requests.set(path, (requests.get(path) ?? 0) + 1)
    void respond(dir, path, req, res, options.cors)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function respond(
  dir: string,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  cors: boolean,
): Promise<void> {
  if (cors) {
    res.setHeader('Access-Control-Allow-Origin', '*')
    res.setHeader('Access-Control-Allow-Headers', 'Range')
    res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range')
  }
  if (req.method === 'OPTIONS') return void res.writeHead(204).end()
  const file = normalize(join(dir, decodeURIComponent(path)))
  const size = file.startsWith(dir)
    ? await stat(file).then(
        (s) => (s.isFile() ? s.size : null),
        () => null,
      )
    : null
  if (size === null) return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found')
  res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream')
  res.setHeader('Accept-Ranges', 'bytes')
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '')
  let start = 0
  let end = size - 1
  if (range) {
    start = range[1] ? Number(range[1]) : size - Number(range[2])
    end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1
    if (start > end || start >= size)
      return void res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end()
    res.writeHead(206, {
      'Content-Range': `bytes ${start}-${end}/${size}`,
      'Content-Length': end - start + 1,
    })
  } else {
    res.writeHead(200, { 'Content-Length': size })
  }
  if (req.method === 'HEAD') return void res.end()
  createReadStream(file, { start, end })
    .on('error', () => res.destroy())
    .pipe(res)
}

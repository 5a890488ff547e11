/**
 * Sharing a dropped file: its pieces hashed (torrent/piece-hash.ts), its `.torrent` built
 * (torrent/make-torrent.ts) and the torrent seeded from the file itself (torrent/file-store.ts), checked
 * against WebTorrent's own `seed` and a real WebTorrent leecher (the browser build, in Node).
 */
import { createHash } from 'node:crypto'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type WebTorrent from 'webtorrent/dist/webtorrent.min.js'
import type { Torrent } from 'webtorrent/dist/webtorrent.min.js'
import { decodeBencode, isDict } from '../../src/lib/media/bencode.ts'
import { FileStore } from '../../src/lib/torrent/file-store.ts'
import { choosePieceLength, makeTorrent } from '../../src/lib/torrent/make-torrent.ts'
import {
  hashPieceRange,
  hashPieces,
  type HashAnswer,
  type HashPause,
  type HashRequest,
  type HashWorker,
} from '../../src/lib/torrent/piece-hash.ts'
import { LINGER_MS, ReadGate, ReadPriority } from '../../src/lib/torrent/read-priority.ts'
import { wasmSha1 } from '../../src/lib/torrent/sha1.ts'
import { ManualTimers } from '../manual-timers.ts'
import { linkedConnections, loadWebTorrent, OFFLINE } from './webtorrent-node.ts'

const bytes = (length: number, seed = 7) => Uint8Array.from({ length }, (_, i) => (i * seed + (i >> 9)) % 251)

/** SHA-1 of every piece, by Node's own crypto. */
function expectedPieces(data: Uint8Array, pieceLength: number): Uint8Array {
  const out: Buffer[] = []
  for (let at = 0; at < data.length; at += pieceLength)
    out.push(
      createHash('sha1')
        .update(data.subarray(at, at + pieceLength))
        .digest(),
    )
  return new Uint8Array(Buffer.concat(out))
}

/** A worker in this thread: the same code the real one runs, answering asynchronously. */
class InThreadWorker implements HashWorker {
  static made = 0
  static batches = 0
  onmessage: ((event: MessageEvent<HashAnswer>) => void) | null = null
  onerror: ((event: ErrorEvent) => void) | null = null
  terminated = false
  constructor() {
    InThreadWorker.made++
  }
  readonly #gate = new ReadGate()
  postMessage(message: HashRequest | HashPause): void {
    if ('paused' in message) return this.#gate.set(message.paused)
    const { id, blob, pieceLength, first, end } = message
    InThreadWorker.batches++
    void hashPieceRange(blob, pieceLength, first, end, { mayRead: this.#gate.mayRead }).then((hashes) => {
      const data: HashAnswer = { id, hashes, sha1: { name: 'webcrypto', trials: [] } }
      this.onmessage?.({ data } as MessageEvent<HashAnswer>)
    })
  }
  terminate(): void {
    this.terminated = true
  }
}

describe('hashing pieces', () => {
  it.each([
    ['whole pieces', 4 * 16384, 16384],
    ['a short last piece', 5 * 16384 + 17, 16384],
    ['one piece shorter than the piece length', 1000, 16384],
  ])('in this thread: %s', async (_, length, pieceLength) => {
    const data = bytes(length)
    const progress: number[] = []
    const hashes = await hashPieces(new Blob([data]), pieceLength, { onProgress: (n) => progress.push(n) })
    expect(hashes).toEqual(expectedPieces(data, pieceLength))
    expect(progress.at(-1)).toBe(length)
  })

  it('reads a range in chunks that cut across pieces, the last piece short', async () => {
    const data = bytes(10 * 16384 + 99)
    const hashes = await hashPieceRange(new Blob([data]), 16384, 2, 11, { chunkBytes: 3 * 16384 + 777 })
    expect(hashes).toEqual(expectedPieces(data, 16384).subarray(2 * 20))
  })

  it('gives the same pieces with the WebAssembly SHA-1', async () => {
    const data = bytes(10 * 16384 + 99)
    const sha1 = await wasmSha1()
    const hashes = await hashPieceRange(new Blob([data]), 16384, 0, 11, { chunkBytes: 5000, sha1 })
    expect(hashes).toEqual(expectedPieces(data, 16384))
  })

  it('in workers, batches handed to whichever is free, each piece in its place, workers ended', async () => {
    const data = bytes(37 * 16384 + 5)
    const made: InThreadWorker[] = []
    InThreadWorker.batches = 0
    const chosen: string[] = []
    const hashes = await hashPieces(new Blob([data]), 16384, {
      onSha1: ({ name }) => chosen.push(name),
      workers: 3,
      batchBytes: 4 * 16384,
      createWorker: () => {
        const worker = new InThreadWorker()
        made.push(worker)
        return worker
      },
    })
    expect(hashes).toEqual(expectedPieces(data, 16384))
    expect(made).toHaveLength(3)
    expect(InThreadWorker.batches).toBe(10) // 38 pieces in batches of 4
    expect(made.every((w) => w.terminated)).toBe(true)
    expect(chosen).toEqual(['webcrypto', 'webcrypto', 'webcrypto']) // once per worker
  })

  it('a worker that fails fails the hashing', async () => {
    const failing: HashWorker = {
      onmessage: null,
      onerror: null,
      postMessage(message) {
        if ('paused' in message) return
        const { id } = message
        queueMicrotask(() =>
          this.onmessage?.({ data: { id, error: 'NotReadableError' } } as MessageEvent<HashAnswer>),
        )
      },
      terminate() {},
    }
    await expect(hashPieces(new Blob([bytes(100)]), 16384, { createWorker: () => failing })).rejects.toThrow(
      /NotReadableError/,
    )
  })

  describe('a member reading the file goes first', () => {
    /** A blob that logs every read of it (a slice's stream made); `log` gets the test's own events too. */
    function logged(data: Uint8Array<ArrayBuffer>, log: string[]): Blob {
      const blob = new Blob([data])
      return {
        size: blob.size,
        slice: (start: number, end: number) => {
          const slice = blob.slice(start, end)
          return {
            size: slice.size,
            stream: () => {
              log.push(`hash read ${start}`)
              return slice.stream()
            },
          }
        },
      } as Blob
    }

    it.each([
      ['in this thread', 0],
      ['in workers', 2],
    ])('%s: no hashing read starts until the range reads end and linger', async (_, workers) => {
      const data = bytes(8 * 16384)
      const log: string[] = []
      const timers = new ManualTimers()
      const priority = new ReadPriority(timers)
      const end = priority.begin()
      const hashing = hashPieces(logged(data, log), 16384, {
        priority,
        workers,
        batchBytes: 4 * 16384,
        ...(workers ? { createWorker: () => new InThreadWorker() } : {}),
      })
      // A range read of the same file, answered meanwhile.
      await new Blob([data]).slice(0, 1000).arrayBuffer()
      log.push('range read done')
      end()
      timers.advance(LINGER_MS - 1)
      await new Blob([data]).arrayBuffer()
      log.push('lingered')
      timers.advance(1)
      expect(await hashing).toEqual(expectedPieces(data, 16384))
      expect(log.slice(0, 2)).toEqual(['range read done', 'lingered'])
      expect(log.slice(2).every((line) => line.startsWith('hash read'))).toBe(true)
    })
  })
})

describe('the .torrent of dropped files', () => {
  it.each([
    [1000, 16384],
    [200 * 1024, 16384],
    [64 * 1024 * 1024, 64 * 1024],
    [700 * 1024 * 1024, 512 * 1024],
    [1024 ** 3, 1024 * 1024],
    [4 * 1024 ** 3, 1024 * 1024],
  ])('piece length for %i bytes: %i', (length, pieceLength) => {
    expect(choosePieceLength(length)).toBe(pieceLength)
  })

  it('is canonical bencode whose info hash is SHA-1 of its info dictionary', async () => {
    const data = bytes(3 * 16384 + 10)
    const pieces = expectedPieces(data, 16384)
    const made = await makeTorrent([{ name: 'film.webm', length: data.length }], 16384, pieces, {
      announce: ['wss://tracker.example'],
    })
    const decoded = decodeBencode(made.bytes)
    if (!decoded.ok) throw new Error(decoded.reason)
    const [start, end] = decoded.decoded.infoSpan!
    expect(createHash('sha1').update(made.bytes.subarray(start, end)).digest('hex')).toBe(made.infoHash)
    const value = decoded.decoded.value
    expect(isDict(value) && isDict(value.info) && Object.keys(value.info)).toEqual([
      'length',
      'name',
      'piece length',
      'pieces',
    ])
  })
})

describe('seeding from the dropped file (the real WebTorrent)', () => {
  let WebTorrentClass: typeof WebTorrent
  const clients: WebTorrent[] = []
  beforeAll(async () => {
    WebTorrentClass = await loadWebTorrent()
  })
  afterEach(async () => {
    await Promise.all(
      clients.splice(0).map((c) => new Promise<void>((resolve) => c.destroy(() => resolve()))),
    )
  })
  const newClient = () => {
    const client = new WebTorrentClass(OFFLINE)
    clients.push(client)
    return client
  }
  const once = (torrent: Torrent, event: string) =>
    new Promise<void>((resolve, reject) => {
      torrent.once(event, () => resolve())
      torrent.once('error', (err: Error) => reject(err))
    })

  it('gives the same info hash as WebTorrent’s own seed', async () => {
    const file = new File([bytes(12 * 16384 + 1000)], 'clip.webm')
    const theirs = await new Promise<Torrent>((resolve) =>
      newClient().seed([file], { announce: [] }, resolve),
    )
    const pieceLength = choosePieceLength(file.size)
    const pieces = await hashPieces(file, pieceLength)
    const made = await makeTorrent([{ name: file.name, length: file.size }], pieceLength, pieces)
    expect(theirs.pieceLength).toBe(pieceLength)
    expect(made.infoHash).toBe(theirs.infoHash)
  })

  it('a leecher gets every byte of several files from the files themselves, each piece verified', async () => {
    const files = [new File([bytes(40_000, 3)], 'a.webm'), new File([bytes(70_001, 5)], 'a.srt')]
    const pieceLength = 16384
    const pieces = await hashPieces(new Blob(files), pieceLength)
    const made = await makeTorrent(
      files.map((f) => ({ name: f.name, length: f.size })),
      pieceLength,
      pieces,
      { name: 'a' },
    )
    const seeder = newClient().add(made.bytes, {
      announce: [],
      preloadedStore: new FileStore(pieceLength, files, new Blob(files).size),
      skipVerify: true,
    })
    await once(seeder, 'ready')
    expect(seeder.infoHash).toBe(made.infoHash)
    const leecher = newClient().add(made.bytes, { announce: [] })
    await once(leecher, 'ready')
    const [aConn, bConn] = linkedConnections()
    seeder.addPeer(aConn)
    leecher.addPeer(bConn)
    await once(leecher, 'done')
    expect(leecher.files.map((f) => f.name)).toEqual(['a.webm', 'a.srt'])
    for (const [i, file] of files.entries()) {
      const got = new Uint8Array((await leecher.files[i]?.arrayBuffer()) ?? [])
      expect(got).toEqual(new Uint8Array(await file.arrayBuffer()))
    }
  })
})

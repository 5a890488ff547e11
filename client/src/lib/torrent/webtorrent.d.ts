/**
 * Types for WebTorrent 2's browser build, only the part torrent/client.ts uses. WebTorrent ships no types
 * and @types/webtorrent describes version 1. Only torrent/client.ts may import this module (and the tests
 * that run it, in client/test/torrent/).
 *
 * Public API only: what WebTorrent documents, and two unprefixed fields it does not, marked "undocumented"
 * (client/test/torrent/internals.test.ts checks them on the real WebTorrent). Its private fields are not
 * declared here, so no module can use one unnoticed: torrent/internals.ts names each one it relies on.
 */
declare module 'webtorrent/dist/webtorrent.min.js' {
  interface Emitter {
    on(event: string, listener: (...args: never[]) => void): this
    once(event: string, listener: (...args: never[]) => void): this
    removeListener(event: string, listener: (...args: never[]) => void): this
  }

  export interface WebTorrentFile {
    /** Byte offset of the file in the torrent (undocumented). */
    offset: number
    /** Listeners of `iterator` may replace what the stream server reads (torrent/coalesce.ts). */
    on(
      event: 'iterator',
      listener: (
        event: { iterator: AsyncIterator<Uint8Array>; req: { headers: Record<string, string | undefined> } },
        use: (target: AsyncIterable<Uint8Array>) => void,
      ) => void,
    ): unknown
    name: string
    path: string
    length: number
    type: string
    downloaded: number
    progress: number
    /** Every piece of the file is verified. */
    done: boolean
    streamTo(element: HTMLMediaElement): HTMLMediaElement
    /** Where WebTorrent's stream server serves the file (needs `createServer`). */
    streamURL: string
    arrayBuffer(opts?: { start?: number; end?: number }): Promise<ArrayBuffer>
    /** The file's bytes [start, end] (end inclusive), each piece as it is verified; selects them first. */
    [Symbol.asyncIterator](opts?: { start?: number; end?: number }): AsyncIterator<Uint8Array>
    select(): void
    deselect(): void
  }

  /** A simple-peer (`@thaunknown/simple-peer`) instance; typed structurally so this module needs no import. */
  export interface WebRtcPeer {
    id?: string
    connected?: boolean
    destroyed?: boolean
    destroy(err?: Error): void
  }

  export interface Torrent extends Emitter {
    infoHash: string
    magnetURI: string
    pieceLength: number
    /** Verified pieces, once the metadata is in (undocumented). */
    bitfield?: { get(index: number): boolean } | null
    /** The `.torrent` file, once the metadata is in. */
    torrentFile?: Uint8Array
    name: string
    files: WebTorrentFile[]
    ready: boolean
    destroyed: boolean
    done: boolean
    progress: number
    downloaded: number
    uploaded: number
    /** Bytes received from peers (documented). */
    received: number
    length: number
    downloadSpeed: number
    uploadSpeed: number
    numPeers: number
    /** The connected peers' wires (documented). */
    wires: object[]
    timeRemaining: number
    addPeer(peer: WebRtcPeer | string): boolean
    destroy(opts?: { destroyStore?: boolean }, cb?: (err: Error | null) => void): void
  }

  export interface TorrentOptions {
    announce?: string[]
    private?: boolean
    name?: string
    destroyStoreOnDestroy?: boolean
    deselect?: boolean
    /** Pieces WebTorrent caches in memory in front of a store; 0: none (the stores keep their own). */
    storeCacheSlots?: number
    /** Passed to the store's constructor with WebTorrent's own options (torrent/memory-store.ts `preload`). */
    storeOpts?: Record<string, unknown>
    /** A ready store holding the torrent's data (torrent/file-store.ts); WebTorrent makes none then. */
    preloadedStore?: object
    /** Every piece counts as had without reading the store (for data hashed just now). */
    skipVerify?: boolean
  }

  export interface WebTorrentOptions {
    dht?: boolean
    lsd?: boolean
    utPex?: boolean
    webSeeds?: boolean
    maxConns?: number
    tracker?: false | { rtcConfig?: RTCConfiguration; announce?: string[] }
  }

  export interface BrowserServer {
    close(cb?: () => void): void
    destroy(cb?: () => void): void
  }

  export default class WebTorrent implements Emitter {
    constructor(opts?: WebTorrentOptions)
    static WEBRTC_SUPPORT: boolean
    torrents: Torrent[]
    destroyed: boolean
    on(event: string, listener: (...args: never[]) => void): this
    once(event: string, listener: (...args: never[]) => void): this
    removeListener(event: string, listener: (...args: never[]) => void): this
    add(
      torrentId: string | Uint8Array,
      opts?: TorrentOptions,
      ontorrent?: (torrent: Torrent) => void,
    ): Torrent
    seed(input: File | File[], opts?: TorrentOptions, onseed?: (torrent: Torrent) => void): Torrent
    remove(
      torrentId: string | Torrent,
      opts?: { destroyStore?: boolean },
      cb?: (err: Error | null) => void,
    ): Promise<void>
    createServer(opts: { controller: ServiceWorkerRegistration }): BrowserServer
    /** Caps the upload of every torrent to `rate` bytes a second (an integer ≥ 0); -1 lifts the cap. */
    throttleUpload(rate: number): unknown
    destroy(cb?: (err: Error | null) => void): void
  }
}

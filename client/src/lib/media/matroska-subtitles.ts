/**
 * The text subtitle tracks inside a Matroska (MKV, or WebM) file, read from its bytes as they stream: the
 * Tracks element gives the track list, and each block of such a track (a SimpleBlock, or a Block in a
 * BlockGroup with its BlockDuration) becomes a cue, timed by its cluster's Timecode and the file's
 * TimecodeScale. Pure: bytes in (`push`, in file order, in chunks of any size), tracks and cues out.
 *
 * It buffers only what it reads — element headers, the Tracks element, a subtitle block — and skips every
 * other body (video and sound) without holding it, so a film costs it a few KiB of memory. EBML in brief:
 * media/webm.ts.
 *
 * Codecs: `S_TEXT/UTF8` (SubRip), `S_TEXT/WEBVTT` and WebM's `D_WEBVTT/*`, `S_TEXT/ASS` and `S_TEXT/SSA` (shown as
 * plain text, their override tags stripped). Image subtitles (PGS, VobSub) and compressed tracks are left out.
 */
import { EbmlError, header, uint, vint, type EbmlHeader } from './ebml.ts'
import { subtitleLanguage } from './subtitles.ts'

const ID = {
  EBML: 0x1a45dfa3,
  DocType: 0x4282,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Info: 0x1549a966,
  TimecodeScale: 0x2ad7b1,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackType: 0x83,
  CodecID: 0x86,
  Name: 0x536e,
  Language: 0x22b59c,
  LanguageBCP47: 0x22b59d,
  ContentEncodings: 0x6d80,
  ContentEncoding: 0x6240,
  ContentCompression: 0x5034,
  ContentCompAlgo: 0x4254,
  ContentCompSettings: 0x4255,
  Cluster: 0x1f43b675,
  Timecode: 0xe7,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
  BlockDuration: 0x9b,
  Cues: 0x1c53bb6b,
  Chapters: 0x1043a770,
  Tags: 0x1254c367,
  Attachments: 0x1941a469,
} as const

/** Children of the Segment: one of them ends a Cluster of unknown size. */
const SEGMENT_CHILDREN = new Set<number>([
  ID.SeekHead,
  ID.Info,
  ID.Tracks,
  ID.Cluster,
  ID.Cues,
  ID.Chapters,
  ID.Tags,
  ID.Attachments,
])

export type SubtitleCodec = 'srt' | 'webvtt' | 'ass'

const CODECS: Record<string, SubtitleCodec> = {
  'S_TEXT/UTF8': 'srt',
  'S_TEXT/WEBVTT': 'webvtt',
  'D_WEBVTT/SUBTITLES': 'webvtt',
  'D_WEBVTT/CAPTIONS': 'webvtt',
  'S_TEXT/ASS': 'ass',
  'S_TEXT/SSA': 'ass',
}

/** A text subtitle track of the file. */
export interface EmbeddedTrack {
  /** The file's TrackNumber. */
  number: number
  codec: SubtitleCodec
  /** BCP 47 tag, when the file gives a language (not "und"). */
  language: string | undefined
  /** For the subtitle menu: the track's name, else its language, else its number. */
  label: string
}

/** One cue: seconds of media time, and its text (WebVTT cue text: `<i>`, `<b>` kept, the rest escaped). */
export interface EmbeddedCue {
  track: number
  start: number
  end: number
  text: string
}

export type MatroskaEvent = { kind: 'tracks'; tracks: EmbeddedTrack[] } | { kind: 'cue'; cue: EmbeddedCue }

export class MatroskaError extends Error {
  override name = 'MatroskaError'
}

export type PushResult = { ok: true; events: MatroskaEvent[] } | { ok: false; error: MatroskaError }

/** A Tracks element larger than this is not one we read (ASS headers are a few KiB; fonts are elsewhere). */
const MAX_TRACKS_BYTES = 1024 * 1024
/** A subtitle block larger than this is skipped: it is no line of text. */
const MAX_BLOCK_BYTES = 64 * 1024
/** A SimpleBlock has no duration: its cue lasts this long. */
const DEFAULT_CUE_S = 4
const DEFAULT_TIMECODE_SCALE = 1_000_000
/** An element header is at most 4 + 8 bytes; a Block's head (track number, timecode, flags) at most 8 + 3. */
const MAX_HEADER_BYTES = 12
const BLOCK_HEAD_BYTES = 11

interface Open {
  id: number
  /** File offset where its body ends; null for an unknown size (a live Segment or Cluster). */
  end: number | null
}

/** A Block of a text track inside the open BlockGroup, waiting for the group's BlockDuration. */
interface PendingBlock {
  track: number
  start: number
  payload: Uint8Array
  duration: number | null
}

/** A compressed track's header bytes stripped from every block (ContentCompAlgo 3), put back here. */
interface TextTrackState extends EmbeddedTrack {
  prefix: Uint8Array
}

export class MatroskaSubtitleReader {
  #buffer: Uint8Array = new Uint8Array(0)
  /** File offset of `#buffer[0]`. */
  #offset = 0
  /** Bytes still to drop before the next element: the rest of a body this reader does not need. */
  #skip = 0
  readonly #open: Open[] = []
  #started = false
  #scale = DEFAULT_TIMECODE_SCALE
  #clusterTime = 0
  #tracks: Map<number, TextTrackState> | null = null
  #block: PendingBlock | null = null
  #failed: MatroskaError | null = null
  #events: MatroskaEvent[] = []

  /** The text tracks, once the Tracks element was read (empty: the file has none); null before. */
  get tracks(): readonly EmbeddedTrack[] | null {
    return this.#tracks ? [...this.#tracks.values()].map(publicTrack) : null
  }

  /** The file offset of the next byte `push` expects. */
  get position(): number {
    return this.#offset + this.#buffer.length
  }

  /** The next bytes of the file. Once it failed, every later push fails the same way. */
  push(chunk: Uint8Array): PushResult {
    if (this.#failed) return { ok: false, error: this.#failed }
    this.#buffer = this.#buffer.length === 0 ? chunk : join(this.#buffer, chunk)
    try {
      this.#read()
    } catch (err) {
      // Bytes from a peer: whatever breaks the reading is the file's fault, never the page's.
      this.#failed =
        err instanceof MatroskaError
          ? err
          : new MatroskaError(err instanceof EbmlError ? err.message : String(err))
      return { ok: false, error: this.#failed }
    }
    const events = this.#events
    this.#events = []
    return { ok: true, events }
  }

  #read(): void {
    for (;;) {
      if (this.#skip > 0) {
        const dropped = Math.min(this.#skip, this.#buffer.length)
        this.#consume(dropped)
        this.#skip -= dropped
        if (this.#skip > 0) return
      }
      this.#closeEnded()
      const head = sizedHeader(this.#buffer, 0)
      if (!head) {
        if (this.#buffer.length >= MAX_HEADER_BYTES) throw new MatroskaError('an element header is damaged')
        return
      }
      if (!this.#element(head)) return
    }
  }

  /** Acts on the element whose header starts the buffer; false when it needs more bytes first. */
  #element(head: EbmlHeader): boolean {
    const { id, start, size } = head
    if (!this.#started) {
      if (id !== ID.EBML || size === null) throw new MatroskaError('it does not start with an EBML header')
      if (!this.#has(start + size)) return false
      const docType = docTypeOf(this.#buffer.subarray(start, start + size))
      if (docType !== 'matroska' && docType !== 'webm')
        throw new MatroskaError(`its document type is “${docType}”`)
      this.#started = true
      this.#consume(start + size)
      return true
    }
    const parent = this.#open.at(-1)
    if (parent?.id === ID.Cluster && parent.end === null && SEGMENT_CHILDREN.has(id)) this.#open.pop()
    if (id === ID.Segment || id === ID.Cluster || id === ID.Info || id === ID.BlockGroup) {
      if (size === null && id !== ID.Segment && id !== ID.Cluster)
        throw new MatroskaError('an element other than a Segment or Cluster has no size')
      if (id === ID.BlockGroup) this.#block = null
      this.#consume(start)
      this.#open.push({ id, end: size === null ? null : this.#offset + size })
      return true
    }
    if (size === null) throw new MatroskaError('an element has no size')
    switch (id) {
      case ID.TimecodeScale:
      case ID.Timecode:
      case ID.BlockDuration: {
        if (!this.#has(start + size)) return false
        const value = uintAtMost8(this.#buffer, start, size)
        if (id === ID.TimecodeScale) this.#scale = value || DEFAULT_TIMECODE_SCALE
        else if (id === ID.Timecode) this.#clusterTime = value
        else if (this.#block) this.#block.duration = value
        this.#consume(start + size)
        return true
      }
      case ID.Tracks: {
        if (size > MAX_TRACKS_BYTES) throw new MatroskaError('its Tracks element is larger than expected')
        if (!this.#has(start + size)) return false
        this.#tracks = readTracks(this.#buffer.subarray(start, start + size))
        this.#events.push({ kind: 'tracks', tracks: [...this.#tracks.values()].map(publicTrack) })
        this.#consume(start + size)
        return true
      }
      case ID.SimpleBlock:
      case ID.Block:
        return this.#blockElement(id, start, size)
      default:
        this.#consume(start)
        this.#skip = size
        return true
    }
  }

  /** A block: kept when it belongs to a text track, skipped otherwise (after its first bytes tell which). */
  #blockElement(id: number, start: number, size: number): boolean {
    if (!this.#has(start + Math.min(size, BLOCK_HEAD_BYTES))) return false
    const track = vint(this.#buffer, start, false)
    const text = track ? this.#tracks?.get(track.value) : undefined
    if (!text || size > MAX_BLOCK_BYTES) {
      if (text) console.warn(`subtitles: skipped a ${size}-byte block of track ${text.number}`)
      this.#consume(start)
      this.#skip = size
      return true
    }
    if (!this.#has(start + size)) return false
    const block = this.#buffer.subarray(start, start + size)
    this.#consume(start + size)
    const parsed = parseBlock(block)
    if (!parsed) throw new MatroskaError('a subtitle block is damaged')
    // Laced blocks carry several frames; text tracks are never laced, so such a block is not one of theirs.
    if (parsed.laced) return true
    const pending: PendingBlock = {
      track: text.number,
      start: ((this.#clusterTime + parsed.timecode) * this.#scale) / 1e9,
      payload: text.prefix.length > 0 ? join(text.prefix, parsed.payload) : parsed.payload.slice(),
      duration: null,
    }
    if (id === ID.Block) this.#block = pending
    else this.#emit(pending)
    return true
  }

  /** Closes the elements that ended where the reading is; a closed BlockGroup gives its cue. */
  #closeEnded(): void {
    for (let top = this.#open.at(-1); top?.end != null && top.end <= this.#offset; top = this.#open.at(-1)) {
      this.#open.pop()
      if (top.id === ID.BlockGroup && this.#block) {
        this.#emit(this.#block)
        this.#block = null
      }
    }
  }

  #emit(block: PendingBlock): void {
    const track = this.#tracks?.get(block.track)
    if (!track) return
    const text = cueText(track.codec, new TextDecoder().decode(block.payload))
    const seconds = block.duration === null ? DEFAULT_CUE_S : (block.duration * this.#scale) / 1e9
    if (text === '' || !Number.isFinite(block.start) || block.start < 0) return
    this.#events.push({
      kind: 'cue',
      cue: { track: block.track, start: block.start, end: block.start + seconds, text },
    })
  }

  #has(end: number): boolean {
    return this.#buffer.length >= end
  }

  #consume(count: number): void {
    this.#buffer = this.#buffer.subarray(count)
    this.#offset += count
  }
}

function publicTrack({ number, codec, language, label }: TextTrackState): EmbeddedTrack {
  return { number, codec, language, label }
}

// ── cue text ─────────────────────────────────────────────────────────────────────────────────────────────

/** A block's text as WebVTT cue text. */
export function cueText(codec: SubtitleCodec, raw: string): string {
  const text = raw.replace(/\r\n?/g, '\n').replace(/\0+$/, '')
  switch (codec) {
    case 'webvtt':
      return text.trim()
    case 'srt':
      return text
        .replace(/\{\\[^}]*\}/g, '')
        .replace(/<\/?font[^>]*>/gi, '')
        .replace(/&(?![a-z]+;|#\d+;)/gi, '&amp;')
        .replace(/<(?!\/?[biu]>)/gi, '&lt;')
        .trim()
    case 'ass':
      return assText(text)
  }
}

/**
 * ASS/SSA in Matroska: `ReadOrder, Layer, Style, Name, MarginL, MarginR, MarginV, Effect, Text`. The text
 * loses its override blocks (`{\i1}`, `{\pos(…)}`), `\N` and `\n` become line breaks, `\h` a space; what is
 * left is plain text, escaped.
 */
export function assText(fields: string): string {
  let at = 0
  for (let commas = 0; commas < 8; commas++) {
    const next = fields.indexOf(',', at)
    if (next < 0) return ''
    at = next + 1
  }
  return fields
    .slice(at)
    .replace(/\{[^}]*\}/g, '')
    .replace(/\\[Nn]/g, '\n')
    .replace(/\\h/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .trim()
}

// ── EBML ─────────────────────────────────────────────────────────────────────────────────────────────────

/** `header`, with sizes past what a number holds exactly refused. */
function sizedHeader(bytes: Uint8Array, at: number): EbmlHeader | null {
  const h = header(bytes, at)
  if (h?.size != null && h.size > Number.MAX_SAFE_INTEGER)
    throw new MatroskaError('an element is impossibly large')
  return h
}

/** The whole children of `bytes` (a master element's body). */
function* children(bytes: Uint8Array): Generator<{ id: number; body: Uint8Array }> {
  let at = 0
  while (at < bytes.length) {
    const h = sizedHeader(bytes, at)
    if (!h || h.size === null || h.start + h.size > bytes.length)
      throw new MatroskaError('an element runs past its parent')
    yield { id: h.id, body: bytes.subarray(h.start, h.start + h.size) }
    at = h.start + h.size
  }
}

function uintAtMost8(bytes: Uint8Array, start: number, size: number): number {
  if (size > 8) throw new MatroskaError('an integer is longer than 8 bytes')
  return uint(bytes, start, size)
}

function ascii(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes.subarray(0, 64)).replace(/\0+$/, '')
}

function utf8(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes.subarray(0, 512)).replace(/\0+$/, '')
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

function docTypeOf(body: Uint8Array): string {
  for (const child of children(body)) if (child.id === ID.DocType) return ascii(child.body)
  return 'matroska'
}

/** A Block's body: track number, signed 16-bit timecode relative to the cluster's, flags, frame. */
function parseBlock(block: Uint8Array): { timecode: number; laced: boolean; payload: Uint8Array } | null {
  const track = vint(block, 0, false)
  if (!track || block.length < track.length + 3) return null
  const at = track.length
  const raw = ((block[at] as number) << 8) | (block[at + 1] as number)
  const timecode = raw >= 0x8000 ? raw - 0x10000 : raw
  const flags = block[at + 2] as number
  return { timecode, laced: (flags & 0x06) !== 0, payload: block.subarray(at + 3) }
}

/** The text tracks of a Tracks element's body; tracks in another codec, or compressed, are left out. */
function readTracks(body: Uint8Array): Map<number, TextTrackState> {
  const tracks = new Map<number, TextTrackState>()
  for (const entry of children(body)) {
    if (entry.id !== ID.TrackEntry) continue
    let number: number | null = null
    let codecId = ''
    let name = ''
    let language: string | undefined
    let bcp47: string | undefined
    let prefix: Uint8Array | null = new Uint8Array(0)
    for (const field of children(entry.body)) {
      if (field.id === ID.TrackNumber) number = uintAtMost8(field.body, 0, field.body.length)
      else if (field.id === ID.CodecID) codecId = ascii(field.body)
      else if (field.id === ID.Name) name = utf8(field.body).trim()
      else if (field.id === ID.Language) language = ascii(field.body)
      else if (field.id === ID.LanguageBCP47) bcp47 = ascii(field.body)
      else if (field.id === ID.ContentEncodings) prefix = strippedHeader(field.body)
    }
    const codec = CODECS[codecId]
    if (!codec || number === null || number === 0) continue
    if (!prefix) {
      console.warn(`subtitles: track ${number} is compressed; it is not offered`)
      continue
    }
    const tag = subtitleLanguage(bcp47 ?? language ?? '')
    tracks.set(number, { number, codec, language: tag, label: trackLabel(name, tag, number), prefix })
  }
  return tracks
}

/** Header stripping (ContentCompAlgo 3) gives the bytes to put back; other compression gives null. */
function strippedHeader(encodings: Uint8Array): Uint8Array | null {
  let prefix: Uint8Array = new Uint8Array(0)
  for (const encoding of children(encodings)) {
    if (encoding.id !== ID.ContentEncoding) continue
    for (const part of children(encoding.body)) {
      if (part.id !== ID.ContentCompression) continue
      let algo = 0
      let settings: Uint8Array = new Uint8Array(0)
      for (const field of children(part.body)) {
        if (field.id === ID.ContentCompAlgo) algo = uintAtMost8(field.body, 0, field.body.length)
        if (field.id === ID.ContentCompSettings) settings = field.body.slice()
      }
      if (algo !== 3) return null
      prefix = join(prefix, settings)
    }
  }
  return prefix
}

function trackLabel(name: string, language: string | undefined, number: number): string {
  if (name !== '') return name
  if (!language) return `Track ${number}`
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(language) ?? language
  } catch {
    return language
  }
}

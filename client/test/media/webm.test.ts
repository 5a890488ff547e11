import { describe, expect, it } from 'vitest'
import {
  clusterFor,
  cueAtOrAfter,
  elementLength,
  ID,
  MAX_HEAD_BYTES,
  parseCues,
  parseHead,
  type WebmHead,
} from '../../src/lib/media/webm.ts'

// ── a small EBML writer, enough to build WebM heads and cues ─────────────────────────────────────────────

function idBytes(id: number): number[] {
  const out: number[] = []
  for (let v = id; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256)
  return out
}

/** A size as an EBML variable-length integer of `width` bytes (the shortest by default). */
function sizeBytes(size: number, width?: number): number[] {
  let length = width ?? 1
  while (width === undefined && size >= 2 ** (7 * length) - 1) length++
  const out: number[] = []
  let v = size
  for (let i = 0; i < length; i++) {
    out.unshift(v % 256)
    v = Math.floor(v / 256)
  }
  out[0] = (out[0] as number) | (0x80 >> (length - 1))
  return out
}

function el(id: number, ...body: number[][]): number[] {
  const flat = body.flat()
  return [...idBytes(id), ...sizeBytes(flat.length), ...flat]
}

function uintEl(id: number, value: number, width = 4): number[] {
  const bytes: number[] = []
  for (let i = 0, v = value; i < width; i++, v = Math.floor(v / 256)) bytes.unshift(v % 256)
  return el(id, bytes)
}

const strEl = (id: number, s: string): number[] =>
  el(
    id,
    [...s].map((c) => c.charCodeAt(0)),
  )

const ebmlHeader = (docType = 'webm') => el(ID.EBML, uintEl(0x4286, 1, 1), strEl(ID.DocType, docType))
const seekHead = (cuesPosition: number) =>
  el(ID.SeekHead, el(ID.Seek, el(ID.SeekID, idBytes(ID.Cues)), uintEl(ID.SeekPosition, cuesPosition)))
const info = (scale = 1_000_000) => el(ID.Info, uintEl(ID.TimecodeScale, scale))
const tracks = (...codecs: string[]) =>
  el(
    ID.Tracks,
    ...codecs.map((codec, i) => el(ID.TrackEntry, uintEl(0xd7, i + 1, 1), strEl(ID.CodecID, codec))),
  )
const cluster = el(ID.Cluster, uintEl(0xe7, 0))

/** An EBML header and a Segment of unknown size holding `children` (a live stream's layout). */
function file(children: number[][], header = ebmlHeader()): Uint8Array {
  const segment = [...idBytes(ID.Segment), 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
  return Uint8Array.from([...header, ...segment, ...children.flat()])
}

const SEGMENT_START = ebmlHeader().length + 12

describe('parseHead', () => {
  it('reads the codecs, the time scale and where the Cues are, from the bytes before the first cluster', () => {
    const bytes = file([seekHead(5000), info(500_000), tracks('V_VP9', 'A_OPUS'), cluster])
    expect(parseHead(bytes)).toEqual({
      kind: 'head',
      head: {
        mimeType: 'video/webm; codecs="vp9,opus"',
        segmentStart: SEGMENT_START,
        timecodeScale: 500_000,
        cuesAt: SEGMENT_START + 5000,
      },
    })
  })

  it('asks for more bytes at every cut before the first cluster’s header, and reads the same head after', () => {
    const bytes = file([seekHead(5000), info(), tracks('V_VP8', 'A_VORBIS'), cluster])
    const firstCluster = bytes.length - cluster.length
    for (let cut = 0; cut < firstCluster + 4; cut++)
      expect(parseHead(bytes.subarray(0, cut)).kind, `cut at ${cut}`).toBe('more')
    const head = parseHead(bytes.subarray(0, firstCluster + 5))
    expect(head).toMatchObject({ kind: 'head', head: { mimeType: 'video/webm; codecs="vp8,vorbis"' } })
  })

  it('works without a SeekHead (no cues: seeks then read on) and with the default time scale', () => {
    const bytes = file([el(ID.Info), tracks('V_VP9'), cluster])
    expect(parseHead(bytes)).toEqual({
      kind: 'head',
      head: {
        mimeType: 'video/webm; codecs="vp9"',
        segmentStart: SEGMENT_START,
        timecodeScale: 1_000_000,
        cuesAt: null,
      },
    })
  })

  it('leaves subtitle tracks out of the codecs: the SourceBuffer opens for the picture and the sound', () => {
    const subtitle = el(
      ID.TrackEntry,
      uintEl(0xd7, 3, 1),
      uintEl(0x83, 0x11, 1),
      strEl(ID.CodecID, 'D_WEBVTT/SUBTITLES'),
    )
    const withText = el(
      ID.Tracks,
      el(ID.TrackEntry, uintEl(0xd7, 1, 1), strEl(ID.CodecID, 'V_VP9')),
      subtitle,
    )
    expect(parseHead(file([info(), withText, cluster]))).toMatchObject({
      kind: 'head',
      head: { mimeType: 'video/webm; codecs="vp9"' },
    })
  })

  it('skips elements it does not know, such as Void and Tags', () => {
    const bytes = file([el(0xec, [0, 0, 0]), info(), el(0x1254c367, [1, 2]), tracks('V_VP9'), cluster])
    expect(parseHead(bytes).kind).toBe('head')
  })

  it.each([
    ['not EBML', Uint8Array.from([0x00, 0x00, 0x00, 0x18, 0x66, 0x74, 0x79, 0x70]), /no marker|EBML header/],
    ['a Matroska file', file([info(), tracks('V_VP9'), cluster], ebmlHeader('matroska')), /matroska/],
    ['H.264 in WebM clothing', file([info(), tracks('V_MPEG4/ISO/AVC'), cluster]), /V_MPEG4\/ISO\/AVC/],
    ['AV1 (its codec string needs more)', file([info(), tracks('V_AV1', 'A_OPUS'), cluster]), /V_AV1/],
    ['no Tracks before the first cluster', file([info(), cluster]), /no Tracks/],
    ['an MP4', Uint8Array.from([0, 0, 0, 0x20, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]), /./],
  ])('says why it can’t open %s', (_, bytes, reason) => {
    const result = parseHead(bytes)
    expect(result.kind).toBe('unsupported')
    if (result.kind === 'unsupported') expect(result.reason).toMatch(reason)
  })

  it('reads a huge codec ID as the unknown codec it is, without choking on its length', () => {
    const bytes = file([info(), tracks('V_' + 'X'.repeat(200_000)), cluster])
    const result = parseHead(bytes)
    expect(result.kind).toBe('unsupported')
    if (result.kind === 'unsupported') expect(result.reason.length).toBeLessThan(200)
  })

  it('gives up on a head larger than MAX_HEAD_BYTES instead of asking for ever more', () => {
    const huge = el(
      0xec,
      Array.from({ length: MAX_HEAD_BYTES }, () => 0),
    )
    const bytes = file([info(), huge, tracks('V_VP9'), cluster])
    expect(parseHead(bytes.subarray(0, 4096))).toMatchObject({ kind: 'unsupported' })
    // Endless small elements: each is whole, none is the first cluster.
    const voids = Array.from({ length: MAX_HEAD_BYTES / 4 }, () => el(0xec, [0, 0]))
    const endless = file([info(), tracks('V_VP9'), ...voids])
    expect(parseHead(endless.subarray(0, MAX_HEAD_BYTES - 1)).kind).toBe('more')
    expect(parseHead(endless.subarray(0, MAX_HEAD_BYTES))).toMatchObject({ kind: 'unsupported' })
  })
})

describe('cues', () => {
  const head: Pick<WebmHead, 'segmentStart' | 'timecodeScale'> = {
    segmentStart: 48,
    timecodeScale: 1_000_000,
  }
  const point = (ms: number, position: number) =>
    el(
      ID.CuePoint,
      uintEl(ID.CueTime, ms),
      el(ID.CueTrackPositions, uintEl(0xf7, 1, 1), uintEl(ID.CueClusterPosition, position)),
    )
  const cues = Uint8Array.from(el(ID.Cues, point(2000, 900), point(0, 100), point(1000, 500)))

  it('lists the cue points in time order, as file offsets', () => {
    expect(parseCues(cues, head)).toEqual([
      { seconds: 0, offset: 148 },
      { seconds: 1, offset: 548 },
      { seconds: 2, offset: 948 },
    ])
  })

  it('scales cue times by the time scale', () => {
    expect(parseCues(cues, { segmentStart: 0, timecodeScale: 500_000 }).map((c) => c.seconds)).toEqual([
      0, 0.5, 1,
    ])
  })

  it('finds the cluster to fetch for a time: the last one starting at or before it', () => {
    const points = parseCues(cues, head)
    expect(clusterFor(points, 1.5)?.offset).toBe(548)
    expect(clusterFor(points, 1)?.offset).toBe(548)
    expect(clusterFor(points, 0.99)?.offset).toBe(148)
    expect(clusterFor(points, 60)?.offset).toBe(948)
    expect(clusterFor([{ seconds: 0.007, offset: 1053 }], 0)?.offset).toBe(1053)
    expect(clusterFor([], 3)).toBeNull()
  })

  it('finds the first cue point at or after a time (a keyframe: a seek bar lands there)', () => {
    const points = parseCues(cues, head)
    expect(cueAtOrAfter(points, 0.5)).toBe(1)
    expect(cueAtOrAfter(points, 1)).toBe(1)
    expect(cueAtOrAfter(points, 1.001)).toBe(2)
    expect(cueAtOrAfter(points, 2.5)).toBeNull()
    expect(cueAtOrAfter([], 0)).toBeNull()
  })

  it('tells the Cues element’s length from its first bytes, and refuses another element', () => {
    expect(elementLength(cues.subarray(0, 1), ID.Cues)).toBeNull()
    expect(elementLength(cues.subarray(0, 6), ID.Cues)).toBe(cues.length)
    expect(() => elementLength(Uint8Array.from(cluster), ID.Cues)).toThrow(/expected element/)
    expect(() => parseCues(Uint8Array.from(cluster), head)).toThrow(/not a Cues element/)
  })

  it('reads sizes written wider than needed (8-byte sizes, as some muxers write)', () => {
    const body = [...uintEl(ID.CueTime, 0), ...el(ID.CueTrackPositions, uintEl(ID.CueClusterPosition, 7))]
    const wide = [...idBytes(ID.CuePoint), ...sizeBytes(body.length, 8), ...body]
    const bytes = Uint8Array.from([...idBytes(ID.Cues), ...sizeBytes(wide.length, 8), ...wide])
    expect(parseCues(bytes, head)).toEqual([{ seconds: 0, offset: 55 }])
  })
})

/**
 * Which file of a torrent to play: the largest one this browser can play, with the other media files offered
 * as alternatives. Works on plain `{name, path, length}` records, so it runs on a parsed `.torrent` file as
 * well as on a WebTorrent torrent's `files` once its metadata has arrived.
 */
import { mediaInfo, playability, type CanPlayType, type MediaKind, type Playability } from './formats.ts'

export interface FileLike {
  name: string
  path: string
  length: number
}

export interface FileChoice extends Playability {
  /** Index in the torrent's file list (what WebTorrent's `torrent.files[i]` and BEP 53 use). */
  index: number
  name: string
  path: string
  length: number
  kind: MediaKind
}

export interface FileSelection {
  /** The file to play, or null when nothing in the torrent can play here. */
  chosen: FileChoice | null
  /** Every audio or video file, chosen one included, best first: playable, video, largest. */
  choices: FileChoice[]
}

/** Padding files (BEP 47) and "sample" clips are never what a person means to watch; they sort last. */
function isNoise(file: FileLike): boolean {
  return /(^|\/)\.pad\//.test(file.path) || /(^|[\s._-])sample([\s._-]|$)/i.test(file.name)
}

export function chooseFile(files: readonly FileLike[], canPlayType?: CanPlayType): FileSelection {
  const ranked: { choice: FileChoice; noise: boolean }[] = []
  files.forEach((file, index) => {
    const info = mediaInfo(file.name)
    if (!info) return
    const { name, path, length } = file
    const choice = { index, name, path, length, kind: info.kind, ...playability(file.name, canPlayType) }
    ranked.push({ choice, noise: isNoise(file) })
  })
  // "maybe" ranks with "yes": a 2 GB .mkv is the film, a 50 MB .mp4 beside it is an extra.
  const key = ({ choice, noise }: (typeof ranked)[number]) => [
    Number(choice.verdict === 'no'),
    Number(choice.kind === 'audio'),
    Number(noise),
    -choice.length,
    choice.index,
  ]
  ranked.sort((a, b) => compareTuples(key(a), key(b)))
  const choices = ranked.map((r) => r.choice)
  const first = choices[0]
  return { chosen: first && first.verdict !== 'no' ? first : null, choices }
}

function compareTuples(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/** True for names of files the player might play (used to accept dropped files before seeding them). */
export function isPlayableName(name: string): boolean {
  return mediaInfo(name) !== null && playability(name).verdict !== 'no'
}

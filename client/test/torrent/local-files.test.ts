import { describe, expect, it } from 'vitest'
import { alignLocalFiles } from '../../src/lib/torrent/local-files.ts'

const torrentFile = (path: string, length: number) => ({ name: path.split('/').pop() ?? path, path, length })
const dropped = (name: string, size: number) => ({ name, size })

describe('alignLocalFiles', () => {
  it('finds the dropped file of a one-file torrent', () => {
    const clip = dropped('clip.webm', 1000)
    expect(alignLocalFiles([torrentFile('clip.webm', 1000)], [clip])).toEqual([clip])
  })

  it('follows the torrent order, not the drop order, and looks past the torrent folder', () => {
    const a = dropped('a.webm', 10)
    const b = dropped('b.srt', 20)
    const files = [torrentFile('Pack/b.srt', 20), torrentFile('Pack/a.webm', 10)]
    expect(alignLocalFiles(files, [a, b])).toEqual([b, a])
  })

  it('needs the size to agree as well as the name', () => {
    expect(alignLocalFiles([torrentFile('clip.webm', 1000)], [dropped('clip.webm', 999)])).toEqual([
      undefined,
    ])
  })

  it('uses each dropped file once: two torrent files of one name and size get one each', () => {
    const first = dropped('x.webm', 5)
    const second = dropped('x.webm', 5)
    const aligned = alignLocalFiles([torrentFile('A/x.webm', 5), torrentFile('B/x.webm', 5)], [first, second])
    expect(aligned[0]).toBe(first)
    expect(aligned[1]).toBe(second)
  })

  it('leaves files it has no dropped file for undefined (a torrent opened, not made, here)', () => {
    expect(alignLocalFiles([torrentFile('clip.webm', 1000)], [])).toEqual([undefined])
  })
})

import { describe, expect, it } from 'vitest'
import type { FeatureHandle, FeatureHost, FeatureMember, RoomFeature } from '../../src/lib/room/feature.ts'
import {
  MAX_SUBTITLE_FILE_BYTES,
  MAX_SUBTITLES_PER_ITEM,
  SUBTITLES_FEATURE,
  SubtitleShare,
} from '../../src/lib/playlist/subtitle-share.ts'
import { expectWarning } from '../console.ts'

/** Members whose feature messages are delivered synchronously, JSON-encoded; `to` reaches one member. */
class FakeRooms {
  readonly features = new Map<string, RoomFeature>()
  readonly members: FeatureMember[] = []
  locked = false
  host = 'a'

  member(selfId: string): FeatureHost {
    this.members.push({ id: selfId, name: selfId })
    return {
      selfId,
      host: this.host,
      memberList: this.members,
      canControlPlayback: (peerId = selfId) => !this.locked || peerId === this.host,
      registerFeature: (name: string, feature: RoomFeature): FeatureHandle => {
        expect(name).toBe(SUBTITLES_FEATURE)
        this.features.set(selfId, feature)
        return {
          send: (body, to) => {
            const wire: unknown = JSON.parse(JSON.stringify(body))
            for (const [id, other] of this.features)
              if (id !== selfId && (to === undefined || to === id)) other.onMessage(selfId, wire)
          },
          unregister: () => this.features.delete(selfId),
        }
      },
    }
  }

  joined(newcomer: string): void {
    for (const [id, feature] of this.features) if (id !== newcomer) feature.onMemberJoined?.(newcomer)
  }
}

const SRT = '1\r\n00:00:01,000 --> 00:00:02,500\r\nHello\r\n'
const file = (name: string, text = SRT) => new File([text], name)

function share(rooms: FakeRooms, id: string) {
  const changed: string[] = []
  return { share: new SubtitleShare(rooms.member(id), (itemId) => changed.push(itemId)), changed }
}

describe('SubtitleShare', () => {
  it('a dropped SRT reaches every member as WebVTT for its item, and a newcomer gets it once', async () => {
    const rooms = new FakeRooms()
    const a = share(rooms, 'a')
    const b = share(rooms, 'b')
    expect(await a.share.share('item-1', file('Film.en.srt'))).toEqual({ ok: true })
    for (const { share: s, changed } of [a, b]) {
      expect(changed).toEqual(['item-1'])
      expect(s.of('item-1')).toMatchObject([{ name: 'Film.en.srt', label: 'English', language: 'en' }])
      expect(s.of('item-1')[0]?.vtt).toBe('WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nHello\n\n')
    }
    const c = share(rooms, 'c')
    rooms.joined('c')
    expect(c.share.of('item-1')).toHaveLength(1)
    expect(c.changed).toEqual(['item-1'])
    a.share.keepOnly(new Set())
    expect(a.share.of('item-1')).toEqual([])
  })

  it('refuses files too large or without cues, and keeps the newest few per item', async () => {
    const rooms = new FakeRooms()
    const a = share(rooms, 'a')
    const big = new File([new Uint8Array(MAX_SUBTITLE_FILE_BYTES + 1)], 'big.srt')
    expect(await a.share.share('i', big)).toMatchObject({
      ok: false,
      error: expect.stringContaining('too large'),
    })
    expect(await a.share.share('i', file('empty.srt', 'nothing here'))).toMatchObject({ ok: false })
    for (let n = 0; n <= MAX_SUBTITLES_PER_ITEM; n++) await a.share.share('i', file(`s${n}.srt`))
    expect(a.share.of('i').map((s) => s.name)).toEqual(['s1.srt', 's2.srt', 's3.srt', 's4.srt'])
  })

  it('drops what is not WebVTT, and what a member sends while the host has locked the controls', () => {
    const rooms = new FakeRooms()
    const b = share(rooms, 'b')
    const feature = rooms.features.get('b')!
    feature.onMessage('x', { t: 'add', itemId: 'i', id: '1', name: 'x.srt', vtt: '<script>' })
    expectWarning(/ignored a message from x: .*vtt/)
    rooms.locked = true
    feature.onMessage('x', { t: 'add', itemId: 'i', id: '1', name: 'x.srt', vtt: 'WEBVTT\n\n' })
    expectWarning(/locked/)
    expect(b.share.of('i')).toEqual([])
  })
})

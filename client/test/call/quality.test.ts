import { describe, expect, it } from 'vitest'
import {
  cameraConstraints,
  QUALITY_LARGE,
  QUALITY_SMALL,
  SMALL_ROOM,
  videoQuality,
} from '../../src/lib/call/quality.ts'

describe('videoQuality', () => {
  it('640x360 at 24 fps for up to three members, 320x180 at 15 for the rest of a mesh of eight', () => {
    for (let members = 1; members <= 8; members++)
      expect(videoQuality(members)).toBe(members <= SMALL_ROOM ? QUALITY_SMALL : QUALITY_LARGE)
    expect(QUALITY_SMALL).toMatchObject({ width: 640, height: 360, frameRate: 24 })
    expect(QUALITY_LARGE).toMatchObject({ width: 320, height: 180, frameRate: 15 })
    expect(QUALITY_LARGE.maxBitrate).toBeLessThan(QUALITY_SMALL.maxBitrate)
  })

  it('capture constraints cap the frame rate', () => {
    expect(cameraConstraints(QUALITY_LARGE)).toEqual({
      width: { ideal: 320 },
      height: { ideal: 180 },
      frameRate: { ideal: 15, max: 15 },
    })
  })
})

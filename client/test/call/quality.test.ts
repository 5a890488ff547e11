import { describe, expect, it } from 'vitest'
import {
  cameraConstraints,
  QUALITY_LARGE,
  QUALITY_SMALL,
  QUALITY_WATCHING,
  SMALL_ROOM,
  videoEncoding,
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

  it('while a film plays, at most 320x180 at 15 fps and the lowest bitrate, whatever the size', () => {
    for (let members = 1; members <= 8; members++) {
      const quality = videoQuality(members, true)
      expect(quality).toBe(QUALITY_WATCHING)
      expect(quality.width).toBeLessThanOrEqual(320)
      expect(quality.frameRate).toBeLessThanOrEqual(15)
      expect(quality.maxBitrate).toBeLessThanOrEqual(videoQuality(members).maxBitrate)
    }
  })

  it('the encoder scales the captured picture down to the quality, never up', () => {
    expect(videoEncoding(QUALITY_WATCHING, 640)).toEqual({
      maxBitrate: QUALITY_WATCHING.maxBitrate,
      maxFramerate: QUALITY_WATCHING.frameRate,
      scaleResolutionDownBy: 2,
    })
    expect(videoEncoding(QUALITY_SMALL, 320).scaleResolutionDownBy).toBe(1)
    expect(videoEncoding(QUALITY_SMALL, null).scaleResolutionDownBy).toBe(1)
  })

  it('capture constraints cap the frame rate', () => {
    expect(cameraConstraints(QUALITY_LARGE)).toEqual({
      width: { ideal: 320 },
      height: { ideal: 180 },
      frameRate: { ideal: 15, max: 15 },
    })
  })
})

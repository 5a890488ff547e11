/**
 * What each camera sends, by the number of members. In a full mesh every camera is encoded once per other
 * member (a sender per link), so the upload and the encoder's work grow with the room: small rooms get a
 * picture worth looking at, larger ones (up to the mesh's 8) a tile-sized one.
 */
export interface VideoQuality {
  width: number
  height: number
  frameRate: number
  /** Per link, bits per second. */
  maxBitrate: number
}

export const QUALITY_SMALL: VideoQuality = { width: 640, height: 360, frameRate: 24, maxBitrate: 600_000 }
export const QUALITY_LARGE: VideoQuality = { width: 320, height: 180, frameRate: 15, maxBitrate: 200_000 }

/** Members (self included) up to which the larger picture is sent. */
export const SMALL_ROOM = 3

export function videoQuality(members: number): VideoQuality {
  return members <= SMALL_ROOM ? QUALITY_SMALL : QUALITY_LARGE
}

/** The capture constraints for a quality (getUserMedia and `applyConstraints`). */
export function cameraConstraints(quality: VideoQuality): MediaTrackConstraints {
  return {
    width: { ideal: quality.width },
    height: { ideal: quality.height },
    frameRate: { ideal: quality.frameRate, max: quality.frameRate },
  }
}

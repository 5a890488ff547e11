/**
 * What each camera sends, by the number of members and whether the room watches a film. In a full mesh every
 * camera is encoded once per other member (a sender per link), so the upload and the encoder's work grow with
 * the room: small rooms get a picture worth looking at, larger ones (up to the mesh's 8) a tile-sized one.
 * While a film plays, the film is what people look at and what the page must keep smooth: each camera is
 * encoded (and so decoded at every other member) at tile size and a low frame rate, which frees the CPU that
 * the film's decoding and the sync's timers need (docs/voice.md, the cost of cameras).
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
/** While a film plays, whatever the room's size. */
export const QUALITY_WATCHING: VideoQuality = { width: 320, height: 180, frameRate: 12, maxBitrate: 150_000 }

/** Members (self included) up to which the larger picture is sent. */
export const SMALL_ROOM = 3

/** `watching`: a film plays in the room now. */
export function videoQuality(members: number, watching = false): VideoQuality {
  if (watching) return QUALITY_WATCHING
  return members <= SMALL_ROOM ? QUALITY_SMALL : QUALITY_LARGE
}

/** The encoder's side of a quality (`RTCRtpSender.setParameters`), per link. */
export interface VideoEncoding {
  maxBitrate: number
  maxFramerate: number
  /** The captured picture's width over the sent one: scaling down in the encoder needs no new capture. */
  scaleResolutionDownBy: number
}

/** The encoding that sends `quality` from a capture `captureWidth` pixels wide (null: not known yet). */
export function videoEncoding(quality: VideoQuality, captureWidth: number | null): VideoEncoding {
  const scale = captureWidth !== null && captureWidth > quality.width ? captureWidth / quality.width : 1
  return { maxBitrate: quality.maxBitrate, maxFramerate: quality.frameRate, scaleResolutionDownBy: scale }
}

/** The capture constraints for a quality (getUserMedia and `applyConstraints`). */
export function cameraConstraints(quality: VideoQuality): MediaTrackConstraints {
  return {
    width: { ideal: quality.width },
    height: { ideal: quality.height },
    frameRate: { ideal: quality.frameRate, max: quality.frameRate },
  }
}

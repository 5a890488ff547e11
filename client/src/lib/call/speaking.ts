/**
 * Whether someone is speaking, from their microphone's level (an AnalyserNode's RMS, 0–1), sampled every
 * SAMPLE_MS. Hysteresis both ways: a level over ON_LEVEL starts speaking at once (the indicator should
 * follow the voice), and only QUIET_MS below OFF_LEVEL ends it, so the indicator does not flicker
 * between words.
 */
export const SAMPLE_MS = 50
export const ON_LEVEL = 0.04
export const OFF_LEVEL = 0.02
export const QUIET_MS = 300

export class SpeakingDetector {
  #speaking = false
  #quietSince: number | null = null

  get speaking(): boolean {
    return this.#speaking
  }

  /** One level sample at `now` (ms); returns whether the person is speaking after it. */
  sample(level: number, now: number): boolean {
    if (!Number.isFinite(level)) return this.#speaking
    if (level >= ON_LEVEL) {
      this.#speaking = true
      this.#quietSince = null
    } else if (this.#speaking && level < OFF_LEVEL) {
      this.#quietSince ??= now
      if (now - this.#quietSince >= QUIET_MS) {
        this.#speaking = false
        this.#quietSince = null
      }
    } else this.#quietSince = null
    return this.#speaking
  }

  reset(): void {
    this.#speaking = false
    this.#quietSince = null
  }
}

/** The RMS of an AnalyserNode's time-domain samples (bytes centred on 128), 0–1. */
export function rmsLevel(samples: Uint8Array): number {
  if (samples.length === 0) return 0
  let sum = 0
  for (const sample of samples) {
    const value = (sample - 128) / 128
    sum += value * value
  }
  return Math.sqrt(sum / samples.length)
}

/**
 * Microphone levels for the speaking indicators: every watched audio track gets an AnalyserNode on one
 * shared AudioContext, sampled every SAMPLE_MS (its window about as long) into its SpeakingDetector. Nothing is played through the
 * context: it only measures (the sound itself plays from the tiles' <audio> elements).
 */
import { realTimers, type Timers } from '../timers.ts'
import { rmsLevel, SAMPLE_MS, SpeakingDetector } from './speaking.ts'

interface Watched {
  track: MediaStreamTrack
  source: MediaStreamAudioSourceNode
  analyser: AnalyserNode
  samples: Uint8Array<ArrayBuffer>
  detector: SpeakingDetector
}

export class LevelMeter {
  readonly #timers: Timers
  readonly #changed: (id: string, speaking: boolean) => void
  readonly #watched = new Map<string, Watched>()
  #context: AudioContext | null = null
  #interval: unknown = null

  constructor(changed: (id: string, speaking: boolean) => void, timers: Timers = realTimers) {
    this.#changed = changed
    this.#timers = timers
  }

  /** Measure `track` under `id` (null: stop measuring it). */
  watch(id: string, track: MediaStreamTrack | null): void {
    const old = this.#watched.get(id)
    if (old?.track === track) return
    if (old) this.#unwatch(id, old)
    if (!track) return this.#stopIfIdle()
    const context = this.#audioContext()
    if (!context) return
    const source = context.createMediaStreamSource(new MediaStream([track]))
    const analyser = context.createAnalyser()
    // About 43 ms at 48 kHz: nearly every sample period is looked at, so short sounds are not missed.
    analyser.fftSize = 2048
    source.connect(analyser)
    this.#watched.set(id, {
      track,
      source,
      analyser,
      samples: new Uint8Array(analyser.fftSize),
      detector: new SpeakingDetector(),
    })
    this.#interval ??= this.#timers.setInterval(() => this.#sample(), SAMPLE_MS)
  }

  destroy(): void {
    for (const [id, watched] of [...this.#watched]) this.#unwatch(id, watched)
    this.#stopIfIdle()
    void this.#context?.close().catch(() => {})
    this.#context = null
  }

  #audioContext(): AudioContext | null {
    if (this.#context) return this.#context
    try {
      this.#context = new AudioContext()
    } catch (error) {
      console.warn(`call: no AudioContext, no speaking indicators: ${String(error)}`)
      return null
    }
    return this.#context
  }

  #sample(): void {
    // A context made before any click may start suspended; a later gesture lets it run.
    if (this.#context?.state === 'suspended') void this.#context.resume().catch(() => {})
    const now = performance.now()
    for (const [id, watched] of this.#watched) {
      watched.analyser.getByteTimeDomainData(watched.samples)
      const before = watched.detector.speaking
      const after = watched.detector.sample(rmsLevel(watched.samples), now)
      if (after !== before) this.#changed(id, after)
    }
  }

  #unwatch(id: string, watched: Watched): void {
    this.#watched.delete(id)
    watched.source.disconnect()
    if (watched.detector.speaking) this.#changed(id, false)
  }

  #stopIfIdle(): void {
    if (this.#watched.size > 0 || this.#interval === null) return
    this.#timers.clearInterval(this.#interval)
    this.#interval = null
  }
}

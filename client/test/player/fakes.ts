/** Enough of HTMLVideoElement, firing media events from a later task like a browser does. */
export class FakeVideo extends EventTarget {
  paused = true
  ended = false
  readyState = 4
  seeking = false
  duration = 100
  refusePlay = false
  buffered = ranges([0, 30])
  #time = 0
  #rate = 1
  listeners = 0
  videoWidth = 0
  error = null
  volume = 1
  muted = false
  /** The text track list: its listeners count with the element's. */
  readonly textTracks = new FakeTextTracks(this)

  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
    this.listeners++
    super.addEventListener(...args)
  }
  override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void {
    this.listeners--
    super.removeEventListener(...args)
  }
  /** drop events, as a browser coalescing them would */
  silent = false
  /** The clock the events are stamped with (`timeStamp`: when the element fired them). */
  readonly #clock: () => number

  constructor(clock: () => number = () => performance.now()) {
    super()
    this.#clock = clock
  }

  /** Fires `type` now: stamped now, dispatched from a later task (whose listener may run much later). */
  #fire(type: string): void {
    if (this.silent) return
    const event = new Event(type)
    Object.defineProperty(event, 'timeStamp', { value: this.#clock() })
    setTimeout(() => this.dispatchEvent(event), 0)
  }
  get currentTime(): number {
    return this.#time
  }
  set currentTime(t: number) {
    this.#time = t
    this.seeking = true
    this.#fire('seeking')
    setTimeout(() => {
      this.seeking = false
      this.dispatchEvent(new Event('seeked'))
    }, 1)
  }
  get playbackRate(): number {
    return this.#rate
  }
  set playbackRate(r: number) {
    if (r === this.#rate) return
    this.#rate = r
    this.#fire('ratechange')
  }
  play(): Promise<void> {
    if (this.refusePlay) return Promise.reject(new Error('NotAllowedError'))
    if (this.paused) {
      this.paused = false
      this.#fire('play')
    }
    return Promise.resolve()
  }
  pause(): void {
    if (this.paused) return
    this.paused = true
    this.#fire('pause')
  }
  /** Playback reached the end: the element pauses itself. */
  end(): void {
    this.ended = true
    this.pause()
  }
  dataset: Record<string, string> = {}
  #src: string | null = null
  loads = 0
  set src(url: string) {
    this.#src = url
  }
  get currentSrc(): string {
    return this.#src ?? ''
  }
  canPlayType(): CanPlayTypeResult {
    return ''
  }
  hasAttribute(name: string): boolean {
    return name === 'src' && this.#src !== null
  }
  removeAttribute(name: string): void {
    if (name === 'src') this.#src = null
  }
  /** A new source: the load algorithm pauses a playing element and resets its rate, with nothing loaded. */
  load(): void {
    this.loads++
    this.readyState = 0
    this.pause()
    this.playbackRate = 1
  }
}

export function ranges(...spans: [number, number][]): TimeRanges {
  return { length: spans.length, start: (i: number) => spans[i]![0], end: (i: number) => spans[i]![1] }
}

/** An element's text track list without tracks, counting its listeners on the element's `listeners`. */
class FakeTextTracks extends EventTarget {
  readonly length = 0
  readonly #owner: { listeners: number }
  constructor(owner: { listeners: number }) {
    super()
    this.#owner = owner
  }
  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
    this.#owner.listeners++
    super.addEventListener(...args)
  }
  override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void {
    this.#owner.listeners--
    super.removeEventListener(...args)
  }
}

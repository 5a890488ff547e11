import { describe, expect, it } from 'vitest'
import {
  OFF_LEVEL,
  ON_LEVEL,
  QUIET_MS,
  rmsLevel,
  SAMPLE_MS,
  SpeakingDetector,
} from '../../src/lib/call/speaking.ts'

/** Feeds levels one SAMPLE_MS apart and returns what the detector said after each. */
function run(levels: number[]): boolean[] {
  const detector = new SpeakingDetector()
  return levels.map((level, index) => detector.sample(level, index * SAMPLE_MS))
}

const LOUD = ON_LEVEL * 2
const QUIET = OFF_LEVEL / 2
const BETWEEN = (ON_LEVEL + OFF_LEVEL) / 2
const QUIET_SAMPLES = QUIET_MS / SAMPLE_MS

describe('SpeakingDetector', () => {
  it('silence is not speaking', () => {
    expect(run([0, QUIET, 0])).toEqual([false, false, false])
  })

  it('a loud sample starts speaking at once', () => {
    expect(run([0, LOUD])).toEqual([false, true])
  })

  it('a level between the thresholds neither starts nor ends it', () => {
    expect(run([BETWEEN, BETWEEN])).toEqual([false, false])
    expect(run([LOUD, BETWEEN, BETWEEN, BETWEEN, BETWEEN, BETWEEN, BETWEEN])).toEqual(Array(7).fill(true))
  })

  it(`ends only after ${QUIET_MS} ms of quiet, so pauses between words do not flicker`, () => {
    const quiet = Array<number>(QUIET_SAMPLES).fill(QUIET)
    const said = run([LOUD, ...quiet, QUIET])
    expect(said.slice(0, QUIET_SAMPLES)).toEqual(Array(QUIET_SAMPLES).fill(true))
    expect(said.at(-1)).toBe(false)
  })

  it('a word in the pause starts the quiet over', () => {
    const short = Array<number>(QUIET_SAMPLES - 1).fill(QUIET)
    expect(run([LOUD, ...short, LOUD, ...short]).every(Boolean)).toBe(true)
  })

  it('a broken sample changes nothing', () => {
    expect(run([LOUD, Number.NaN])).toEqual([true, true])
  })
})

describe('rmsLevel', () => {
  it('silence (every sample at the midpoint) is 0, a full square wave is 1', () => {
    expect(rmsLevel(new Uint8Array(64).fill(128))).toBe(0)
    const square = Uint8Array.from({ length: 64 }, (_, i) => (i % 2 ? 0 : 256 - 1e-9))
    expect(rmsLevel(square)).toBeCloseTo(1, 1)
    expect(rmsLevel(new Uint8Array(0))).toBe(0)
  })
})

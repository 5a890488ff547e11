import { test, expect } from '../lib/fixtures.ts'
import { gather, person, type Person } from '../lib/room.ts'
import { expectPlaying } from '../lib/player.ts'
import { keyframeTimes, longTestVideo } from '../scripts/make-test-video.ts'

// Two browsers, a torrent link, and a 200 s video that must start playing.
test.setTimeout(180_000)

/** Each player's position, or null while it is seeking or has no metadata. */
function settled(people: Person[]): Promise<(number | null)[]> {
  return Promise.all(
    people.map((someone) =>
      someone.page
        .getByTestId('player')
        .evaluate((v: HTMLVideoElement) => (v.seeking || v.readyState < 1 ? null : v.currentTime)),
    ),
  )
}

test.describe('a seek from the seek bar', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test('lands just past the keyframe within the pixel it points at, for everyone', async ({
    app,
    chromiumBrowser,
  }) => {
    const video = await longTestVideo()
    const keyframes = await keyframeTimes(video)
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await gather(people)
    await ana.page.getByTestId('file-input').setInputFiles(video)
    await expectPlaying(bo)
    await ana.page.getByTestId('play-toggle').click()
    for (const someone of people)
      await expect(someone.page.getByTestId('player')).toHaveJSProperty('paused', true, { timeout: 15_000 })

    // One pixel of the bar spans its length over its width: the seeks below aim 0.1–0.15 s before a keyframe.
    const bar = bo.page.getByTestId('seek-bar')
    const width = (await bar.boundingBox())?.width ?? 0
    const duration = Number(await bar.getAttribute('max'))
    expect(duration / width).toBeGreaterThan(0.2)

    // Ana plays her own file (its index read from it), Bo through MSE (his feed's Cues). Each reads the
    // index in the background: a seek before it is in lands where it aims, so each tries two targets in turn.
    for (const [seeker, targets] of [
      [ana, [149.9, 139.9]],
      [bo, [99.9, 89.9]],
    ] as const) {
      let turn = 0
      await expect(async () => {
        const target = targets[turn++ % targets.length]!
        const keyframe = keyframes.find((time) => time >= target)!
        expect(keyframe - target).toBeGreaterThan(0.05)
        await seeker.page.getByTestId('seek-bar').fill(String(target))
        await expect
          .poll(async () =>
            (await settled(people)).map((read) => read !== null && Math.abs(read - target) < 1),
          )
          .toEqual([true, true])
        const paths = await Promise.all(
          people.map((someone) =>
            someone.page.getByTestId('player').evaluate((v: HTMLVideoElement) => v.dataset.stream),
          ),
        )
        const reads = await settled(people)
        const why = `${seeker === ana ? 'Ana' : 'Bo'} sought ${target}: ${JSON.stringify({ reads, paths })}`
        for (const read of reads) expect(read, why).toBeCloseTo(keyframe + 0.001, 2)
      }).toPass({ timeout: 60_000 })
    }
  })
})

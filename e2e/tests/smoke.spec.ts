import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test, expect, startApp, SHIPPED_DIST } from '../lib/fixtures.ts'
import { newPerson } from '../lib/browser.ts'
import { createRoom, person } from '../lib/room.ts'

test('the served home page shows the product', async ({ app, chromiumBrowser }) => {
  const person = await newPerson(chromiumBrowser, app.baseURL)
  const page = await person.newPage()
  const response = await page.goto('/')
  expect(response?.status()).toBe(200)
  await expect(page.getByTestId('product-name')).toHaveText('Theatron')
  await expect(page).toHaveTitle('Theatron')
  await person.close()
})

test('the shipped build has no test hooks; the e2e build has them', async ({ chromiumBrowser }) => {
  const shipped = await startApp(0, SHIPPED_DIST)
  try {
    const ana = await person(chromiumBrowser, shipped.baseURL, 'Ana')
    await createRoom(ana) // the room is composed: the e2e build would have installed its hooks by now
    expect(await ana.page.evaluate(() => '__theatron' in window)).toBe(false)
    await ana.close()
  } finally {
    await shipped.server.close()
  }
  const bundle = async (dir: string) => {
    const assets = join(dir, 'assets')
    const names = (await readdir(assets)).filter((name) => name.endsWith('.js'))
    return (await Promise.all(names.map((name) => readFile(join(assets, name), 'utf8')))).join('\n')
  }
  expect(await bundle(SHIPPED_DIST)).not.toContain('simulateStall')
  expect(await bundle(join(SHIPPED_DIST, '../dist-e2e'))).toContain('simulateStall')
})

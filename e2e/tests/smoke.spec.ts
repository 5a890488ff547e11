import { test, expect } from '../lib/fixtures.ts'
import { newPerson } from '../lib/browser.ts'

test('the served home page shows the product', async ({ app, chromiumBrowser }) => {
  const person = await newPerson(chromiumBrowser, app.baseURL)
  const page = await person.newPage()
  const response = await page.goto('/')
  expect(response?.status()).toBe(200)
  await expect(page.getByTestId('product-name')).toHaveText('Theatron')
  await expect(page).toHaveTitle('Theatron')
  await person.close()
})

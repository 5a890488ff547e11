import { defineConfig } from '@playwright/test'

export default defineConfig({
  testDir: './tests',
  // Each test starts its own signal server on port 0 and its own browsers; a room test runs
  // several Chromium windows, so one worker at a time keeps timing honest on a small machine.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list']] : [['list']],
  outputDir: '../test-results',
})

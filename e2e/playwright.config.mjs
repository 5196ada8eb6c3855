// Playwright against the release binary that scripts/e2e starts (NEOFORGE_E2E_URL), driving
// Debian's Chromium: nothing is downloaded.
import { defineConfig } from '@playwright/test';
import { BASE_URL, CHROMIUM, CHROMIUM_FLAGS } from './tests/env.mjs';

export default defineConfig({
  testDir: './tests',
  workers: 1,
  // Long enough to wait out the server's one-minute sign-in limit once.
  timeout: 180_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['json', { outputFile: 'pw-results.json' }]],
  outputDir: '../target/e2e/test-results',
  use: {
    baseURL: BASE_URL,
    browserName: 'chromium',
    headless: true,
    serviceWorkers: 'block',
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_FLAGS },
  },
});

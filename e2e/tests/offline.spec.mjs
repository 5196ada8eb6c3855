// The installable, offline app: a real (persistent) browser profile with the service worker.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, expect, test } from '@playwright/test';
import { BASE_URL, CHROMIUM, CHROMIUM_FLAGS } from './env.mjs';
import { allTodos, createUser, signInThroughUi } from './helpers.mjs';

let profile;
let context;

test.beforeEach(async () => {
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'neoforge-e2e-profile-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_FLAGS,
    headless: true,
    baseURL: BASE_URL,
    serviceWorkers: 'allow', // the other tests block them; these are about them
  });
});

test.afterEach(async () => {
  await context?.close();
  fs.rmSync(profile, { recursive: true, force: true });
});

const controlled = (page) => page.waitForFunction(() => !!navigator.serviceWorker.controller);

test('the app is installable: a valid manifest and no installability errors', async () => {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto('/');
  await controlled(page);
  const cdp = await context.newCDPSession(page);
  const manifest = await cdp.send('Page.getAppManifest');
  expect(manifest.errors).toEqual([]);
  expect(manifest.url).toMatch(/\/manifest\.webmanifest$/);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  expect(installabilityErrors).toEqual([]);
  const data = JSON.parse(manifest.data);
  for (const icon of data.icons) {
    const response = await page.request.get(icon.src);
    expect(response.status(), icon.src).toBe(200);
  }
  expect(data.icons.map((i) => i.purpose)).toContain('maskable');
});

test('offline: the last-seen todos show, changes queue, and replay exactly once', async () => {
  const user = await createUser('offline');
  const page = context.pages()[0] ?? (await context.newPage());
  await signInThroughUi(page, user);
  await controlled(page);
  const input = page.getByLabel('New todo');
  await input.fill('Seen while online');
  await input.press('Enter');
  const list = page.getByRole('list', { name: 'Todos' });
  await expect(list.getByText('Seen while online', { exact: true })).toBeVisible();
  // Let the service worker keep a copy of the list as it is now.
  await page.reload();
  await expect(list.getByText('Seen while online', { exact: true })).toBeVisible();

  await context.setOffline(true);
  const offlineLoad = await page.reload();
  expect(offlineLoad.fromServiceWorker()).toBe(true);
  await expect(page.getByTestId('offline')).toBeVisible();
  await expect(list.getByText('Seen while online', { exact: true })).toBeVisible();

  await input.fill('Written on the train');
  await input.press('Enter');
  const queued = list.getByRole('listitem').filter({ hasText: 'Written on the train' });
  await expect(queued.getByText('Not synced yet')).toBeVisible();
  await page.getByRole('checkbox', { name: 'Seen while online' }).check();
  expect((await allTodos(user.token)).map((t) => t.title)).toEqual(['Seen while online']);

  await context.setOffline(false);
  await expect(page.getByTestId('offline')).toHaveCount(0);
  await expect(queued.getByText('Not synced yet')).toHaveCount(0, { timeout: 15_000 });
  // Going offline and online again must not send anything twice.
  await context.setOffline(true);
  await context.setOffline(false);
  await page.waitForTimeout(1500);
  const saved = await allTodos(user.token);
  expect(saved.map((t) => [t.title, t.completed]).sort()).toEqual([
    ['Seen while online', true],
    ['Written on the train', false],
  ]);
});

test('a new deployed version is offered, and taken on reload', async () => {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto('/login');
  await controlled(page);
  // A deploy changes sw.js; a new script URL makes the browser install it the same way.
  await page.evaluate(() => navigator.serviceWorker.register('/sw.js?next-version', { scope: '/' }));
  const offer = page.getByRole('button', { name: 'Reload to update' });
  await expect(offer).toBeVisible();
  await expect(page.getByText('A new version of NeoForge is available.')).toBeVisible();
  const reloaded = page.waitForEvent('load');
  await offer.click();
  await reloaded;
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  // (The reloaded page registers /sw.js again, which for this stand-in deploy is yet another
  // script URL, so the bar may come back; a real deploy keeps the URL and only changes bytes.)
  const controller = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
  expect(controller).toMatch(/\/sw\.js\?next-version$/);
});

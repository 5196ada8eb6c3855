// Live updates: two sessions of the same user, each in its own browser context (two devices),
// see each other's changes without a reload, without duplicates, with the right stats.
import { expect, test } from '@playwright/test';
import { api, createUser, signInThroughUi } from './helpers.mjs';

const list = (page) => page.getByRole('list', { name: 'Todos' });
const rows = (page) => list(page).getByRole('listitem');
const item = (page, title) => rows(page).filter({ hasText: title });
const stats = (page) => page.getByTestId('stats');
const isStream = (url) => new URL(url).pathname === '/api/events';

// One account for the whole file: sign-ups are limited per address and hour.
let user;
test.beforeAll(async () => {
  user = await createUser('live');
});

/** A new context (another device) signed in as the user; extra options go to the context. */
async function device(browser, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await signInThroughUi(page, user);
  return { context, page };
}

async function add(page, title) {
  const input = page.getByLabel('New todo');
  await input.fill(title);
  await input.press('Enter');
  await expect(item(page, title)).toBeVisible();
}

test('adds, toggles, edits and deletes show up live in the other session', async ({ browser }) => {
  const a = await device(browser);
  // The second device runs the service worker, which must let the stream through untouched.
  const b = await device(browser, { serviceWorkers: 'allow' });
  await b.page.waitForFunction(() => !!navigator.serviceWorker.controller);
  await b.page.reload();
  await expect(b.page.getByRole('heading', { name: 'Your todos' })).toBeVisible();
  for (const { page } of [a, b]) await expect(page.getByText('Nothing to do yet')).toBeVisible();

  await add(a.page, 'Alpha');
  await expect(item(b.page, 'Alpha')).toBeVisible();
  await add(a.page, 'Beta');
  await expect(item(b.page, 'Beta')).toBeVisible();
  for (const { page } of [a, b]) {
    await expect(rows(page)).toHaveCount(2);
    await expect(stats(page)).toHaveText(/2 active · 0 completed · 2 in all/);
  }

  // Toggle in B: A shows it completed.
  await b.page.getByRole('checkbox', { name: 'Alpha' }).check();
  await expect(a.page.getByRole('checkbox', { name: 'Alpha' })).toBeChecked();
  for (const { page } of [a, b]) {
    await expect(stats(page)).toHaveText(/1 active · 1 completed · 2 in all/);
    await expect(rows(page)).toHaveCount(2);
  }

  // Edit in A: B shows the new title.
  await a.page.getByRole('button', { name: 'Edit “Beta”' }).click();
  await a.page.getByLabel('Edit the todo').fill('Beta, revised');
  await a.page.getByLabel('Edit the todo').press('Enter');
  await expect(item(b.page, 'Beta, revised')).toBeVisible();
  for (const { page } of [a, b]) {
    await expect(list(page).getByText('Beta', { exact: true })).toHaveCount(0);
    await expect(rows(page)).toHaveCount(2);
  }

  // Delete in B (sent when its undo delay ends): gone from A.
  const deleted = b.page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes('/api/todos/'));
  await b.page.getByRole('button', { name: 'Delete “Alpha”' }).click();
  expect((await deleted).status()).toBe(204);
  await expect(item(a.page, 'Alpha')).toHaveCount(0);
  for (const { page } of [a, b]) {
    await expect(rows(page)).toHaveCount(1);
    await expect(stats(page)).toHaveText(/1 active · 0 completed · 1 in all/);
  }

  // Filters hold: A watches its active todos while B completes, adds and completes.
  await a.page.getByRole('link', { name: 'Active' }).click();
  await expect(a.page).toHaveURL(/filter=active/);
  await expect(item(a.page, 'Beta, revised')).toBeVisible();
  await b.page.getByRole('checkbox', { name: 'Beta, revised' }).check();
  await expect(a.page.getByText('Nothing left to do')).toBeVisible();
  await add(b.page, 'Gamma');
  await expect(item(a.page, 'Gamma')).toBeVisible();
  await expect(rows(a.page)).toHaveCount(1);
  await b.page.getByRole('checkbox', { name: 'Gamma' }).check();
  await expect(a.page.getByText('Nothing left to do')).toBeVisible();
  await expect(stats(a.page)).toHaveText(/0 active · 2 completed · 2 in all/);

  // A change through the API (a third client) reaches both, once.
  const created = await api('POST', '/api/todos', { token: user.token, body: { title: 'Delta from the API' } });
  expect(created.status).toBe(201);
  await expect(item(a.page, 'Delta from the API')).toBeVisible();
  await expect(item(b.page, 'Delta from the API')).toBeVisible();
  await expect(rows(a.page)).toHaveCount(1);
  await expect(rows(b.page)).toHaveCount(3);
  for (const { page } of [a, b]) await expect(stats(page)).toHaveText(/1 active · 2 completed · 3 in all/);

  // Nothing alarming was shown along the way.
  for (const { page } of [a, b]) await expect(page.getByRole('alert')).toHaveCount(0);
  await a.context.close();
  await b.context.close();
});

test('a revoked session’s stream ends quietly, and the other session stays live', async ({ browser }) => {
  const a = await device(browser);
  const context = await browser.newContext({ userAgent: 'NeoForge e2e device B' });
  const page = await context.newPage();
  const streams = [];
  page.on('response', (response) => {
    if (isStream(response.url())) streams.push(response.status());
  });
  const opened = page.waitForResponse((r) => isStream(r.url()) && r.status() === 200);
  await signInThroughUi(page, user);
  await opened;
  const ended = new Promise((resolve) => {
    const done = (request) => isStream(request.url()) && resolve();
    page.on('requestfinished', done);
    page.on('requestfailed', done);
  });

  const sessions = await api('GET', '/api/users/me/sessions', { token: user.token });
  expect(sessions.status).toBe(200);
  const session = sessions.body.items.find((s) => s.user_agent === 'NeoForge e2e device B');
  expect(session, JSON.stringify(sessions.body.items)).toBeTruthy();
  expect((await api('DELETE', `/api/users/me/sessions/${session.id}`, { token: user.token })).status).toBe(204);

  // The server ends the stream, the retry is refused, and B is simply signed out.
  await ended;
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  expect(streams.at(-1)).toBe(401);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page.locator('nf-toaster .toast')).toHaveCount(0);
  const attempts = streams.length;

  // A still gets changes; B, signed out, asks for no more streams.
  const created = await api('POST', '/api/todos', { token: user.token, body: { title: 'After the revocation' } });
  expect(created.status).toBe(201);
  await expect(item(a.page, 'After the revocation')).toBeVisible();
  expect(streams.length).toBe(attempts);
  await a.context.close();
  await context.close();
});

test('the stream is parsed as sent, resumed with Last-Event-ID, and a resync refetches', async ({ page }) => {
  // The server stands in for itself here, to send exactly these bytes: CRLF lines, a comment,
  // data split over two lines, an event repeated (an echo), and an update.
  const id = 'ffffffff-ffff-7fff-bfff-ffffffffffff';
  const at = (second) => `2030-01-01T00:00:0${second}Z`;
  const todo = (title, second) => JSON.stringify({ id, title, completed: false, created_at: at(0), updated_at: at(second) });
  const created = todo('Only on the wire', 0);
  const split = created.indexOf('"completed"');
  const first =
    ': hello\r\n\r\n' +
    `id: 41\r\nevent: todo.created\r\ndata: ${created.slice(0, split)}\r\ndata: ${created.slice(split)}\r\n\r\n` +
    `id: 42\r\nevent: todo.created\r\ndata: ${created}\r\n\r\n` +
    `id: 43\r\nevent: todo.updated\r\ndata: ${todo('Only on the wire, edited', 1)}\r\n\r\n`;
  let release;
  const resumeAllowed = new Promise((resolve) => (release = resolve));
  const requests = [];
  await page.route('**/api/events', async (route) => {
    const request = route.request();
    requests.push((await request.allHeaders())['last-event-id'] ?? null);
    const stream = (body) => route.fulfill({ status: 200, contentType: 'text/event-stream', body });
    if (requests.length === 1) return stream(first);
    if (requests.length === 2) {
      await resumeAllowed;
      return stream('id: 44\nevent: resync\ndata: {}\n\n');
    }
    return route.continue();
  });

  const real = await api('POST', '/api/todos', { token: user.token, body: { title: 'Really on the server' } });
  expect(real.status).toBe(201);
  await signInThroughUi(page, user);
  await expect(item(page, 'Only on the wire, edited')).toBeVisible();
  await expect(item(page, 'Only on the wire')).toHaveCount(1);
  expect(requests[0]).toBeNull();

  // The stream ended; the retry resumes after the last id and is told to resync, so the list
  // is refetched and the todo the real server never had is gone.
  const refetched = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/todos');
  release();
  await refetched;
  await expect(item(page, 'Only on the wire')).toHaveCount(0);
  expect(requests[1]).toBe('43');
  await expect(item(page, 'Really on the server')).toHaveCount(1);
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('offline pauses the stream; back online it resumes after the last event', async ({ page }) => {
  const resumedFrom = [];
  let lists = 0;
  page.on('request', (request) => {
    if (isStream(request.url())) resumedFrom.push(request.headers()['last-event-id'] ?? null);
  });
  page.on('response', (response) => {
    if (new URL(response.url()).pathname === '/api/todos') lists++;
  });
  await signInThroughUi(page, user);
  // The first list, then the refetch the stream's fresh opening asks for: after these, a new
  // todo can only arrive through the stream, which also gives the page an id to resume from.
  await expect.poll(() => lists).toBeGreaterThanOrEqual(2);
  const before = await rows(page).count();
  const seen = await api('POST', '/api/todos', { token: user.token, body: { title: 'Seen before going away' } });
  expect(seen.status).toBe(201);
  await expect(item(page, 'Seen before going away')).toBeVisible();

  const dropped = page.waitForEvent('requestfailed', (r) => isStream(r.url()));
  await page.context().setOffline(true);
  await dropped;
  const streamsBefore = resumedFrom.length;
  const away = await api('POST', '/api/todos', { token: user.token, body: { title: 'Made while away' } });
  expect(away.status).toBe(201);

  await page.context().setOffline(false);
  await expect(item(page, 'Made while away')).toBeVisible();
  await expect(rows(page)).toHaveCount(before + 2);
  // The first stream after coming back asked to resume after what was already seen.
  expect(resumedFrom.length).toBeGreaterThan(streamsBefore);
  expect(resumedFrom[streamsBefore]).toMatch(/^\d+$/);
  await expect(page.getByRole('alert')).toHaveCount(0);
});

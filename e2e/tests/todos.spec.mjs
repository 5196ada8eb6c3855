// The todo app, driven as a person would: keyboard and mouse, with the API as the witness.
import { expect, test } from '@playwright/test';
import { allTodos, api, capture, createUser, signInThroughUi } from './helpers.mjs';

const list = (page) => page.getByRole('list', { name: 'Todos' });
const item = (page, title) => list(page).getByRole('listitem').filter({ hasText: title });

test('add, edit, toggle, filter, delete with undo, and reload', async ({ page }) => {
  const user = await createUser('todo');
  await signInThroughUi(page, user);
  await expect(page.getByText('Nothing to do yet')).toBeVisible();
  await capture(page, 'todos-empty');

  const input = page.getByLabel('New todo');
  for (const title of ['Buy milk', 'Call the bank', 'Water the plants']) {
    await input.fill(title);
    await input.press('Enter');
    await expect(item(page, title)).toBeVisible();
  }
  await expect(input).toBeFocused();
  await expect(page.getByTestId('stats')).toHaveText(/3 active · 0 completed · 3 in all/);

  // Edit in place: double-click, Escape cancels, Enter saves.
  await item(page, 'Call the bank').getByText('Call the bank', { exact: true }).dblclick();
  const edit = page.getByLabel('Edit the todo');
  await edit.fill('Something else');
  await edit.press('Escape');
  await expect(item(page, 'Call the bank')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Edit “Call the bank”' })).toBeFocused();
  await page.keyboard.press('Enter');
  await page.getByLabel('Edit the todo').fill('Call the bank about the card');
  await page.getByLabel('Edit the todo').press('Enter');
  await expect(item(page, 'Call the bank about the card')).toBeVisible();

  // Toggle with the keyboard.
  await page.getByRole('checkbox', { name: 'Buy milk' }).focus();
  await page.keyboard.press('Space');
  await expect(page.getByRole('checkbox', { name: 'Buy milk' })).toBeChecked();
  await expect(page.getByTestId('stats')).toHaveText(/2 active · 1 completed · 3 in all/);

  // Filters live in the URL.
  await page.getByRole('link', { name: 'Active' }).click();
  await expect(page).toHaveURL(/\/app\?filter=active$/);
  await expect(item(page, 'Water the plants')).toBeVisible();
  await expect(item(page, 'Buy milk')).toHaveCount(0);
  await page.getByRole('link', { name: 'Completed' }).click();
  await expect(page).toHaveURL(/filter=completed/);
  await expect(item(page, 'Buy milk')).toBeVisible();
  await expect(list(page).getByRole('listitem')).toHaveCount(1);
  await page.goBack();
  await expect(page).toHaveURL(/filter=active/);
  await expect(item(page, 'Buy milk')).toHaveCount(0);
  await page.getByRole('link', { name: 'All' }).click();
  await capture(page, 'todos');

  // Delete, undo, delete for good.
  await page.getByRole('button', { name: 'Delete “Water the plants”' }).click();
  await expect(item(page, 'Water the plants')).toHaveCount(0);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(item(page, 'Water the plants')).toBeVisible();
  const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes('/api/todos/'));
  await page.getByRole('button', { name: 'Delete “Water the plants”' }).click();
  expect((await deleted).status()).toBe(204);

  const saved = await allTodos(user.token);
  expect(saved.map((t) => [t.title, t.completed]).sort()).toEqual([
    ['Buy milk', true],
    ['Call the bank about the card', false],
  ]);

  // A reload keeps the session (refresh cookie) and shows the same list.
  await page.reload();
  await expect(item(page, 'Buy milk')).toBeVisible();
  await expect(page.getByRole('checkbox', { name: 'Buy milk' })).toBeChecked();
  await expect(item(page, 'Call the bank about the card')).toBeVisible();
  await expect(item(page, 'Water the plants')).toHaveCount(0);

  // Deep link with a filter.
  await page.goto('/app?filter=completed');
  await expect(list(page).getByRole('listitem')).toHaveCount(1);
});

test('a slow save does not pull focus back once the user has moved on', async ({ page }) => {
  const user = await createUser('focus');
  await signInThroughUi(page, user);
  const input = page.getByLabel('New todo');
  for (const title of ['First', 'Second']) {
    await input.fill(title);
    await input.press('Enter');
    await expect(item(page, title)).toBeVisible();
  }

  // Hold the rename on its way to the server until the user is elsewhere.
  let release;
  const held = new Promise((resolve) => (release = resolve));
  await page.route(/\/api\/todos\/[^/?]+$/, async (route) => {
    if (route.request().method() === 'PATCH') await held;
    await route.continue();
  });
  await item(page, 'First').getByText('First', { exact: true }).dblclick();
  await page.getByLabel('Edit the todo').fill('First, renamed');
  await page.getByLabel('Edit the todo').press('Enter');
  await expect(page.getByRole('button', { name: 'Edit “First, renamed”' })).toBeFocused();

  await page.getByRole('checkbox', { name: 'Second' }).focus();
  const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
  release();
  expect((await saved).status()).toBe(200);
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  await expect(page.getByRole('checkbox', { name: 'Second' })).toBeFocused();
  await page.keyboard.press('Space');
  await expect(page.getByRole('checkbox', { name: 'Second' })).toBeChecked();
});

test('user text is shown as text, never run as markup', async ({ page }) => {
  const user = await createUser('xss');
  const payload = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>';
  await api('POST', '/api/todos', { token: user.token, body: { title: payload } });
  await signInThroughUi(page, user);
  await expect(list(page).getByText(payload, { exact: true })).toBeVisible();
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
  expect(await page.locator('todos-page img').count()).toBe(0);
});

test('validation errors are shown in words next to the field', async ({ page }) => {
  const user = await createUser('invalid');
  await signInThroughUi(page, user);
  await page.getByLabel('New todo').press('Enter');
  await expect(page.getByText('Write something first.')).toBeVisible();
  await expect(page.getByLabel('New todo')).toHaveAttribute('aria-invalid', 'true');
});

test('long lists load page by page', async ({ page }) => {
  const user = await createUser('long');
  for (let i = 1; i <= 120; i++) {
    const r = await api('POST', '/api/todos', { token: user.token, body: { title: `Task ${String(i).padStart(3, '0')}` } });
    expect(r.status).toBe(201);
  }
  await signInThroughUi(page, user);
  await expect(list(page).getByRole('listitem')).toHaveCount(50);
  await expect(page.getByTestId('stats')).toHaveText(/120 in all/);
  await page.getByRole('button', { name: /Load more \(70 more\)/ }).click();
  await expect(list(page).getByRole('listitem')).toHaveCount(100);
  await page.getByRole('button', { name: /Load more \(20 more\)/ }).click();
  await expect(list(page).getByRole('listitem')).toHaveCount(120);
  await expect(page.getByRole('button', { name: /Load more/ })).toHaveCount(0);
  await expect(item(page, 'Task 001')).toBeVisible();
});

test('a second user cannot see the first one’s todos', async ({ browser }) => {
  const first = await createUser('first');
  await api('POST', '/api/todos', { token: first.token, body: { title: 'Private plans of the first user' } });
  const second = await createUser('second');
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInThroughUi(page, second);
  await expect(page.getByText('Nothing to do yet')).toBeVisible();
  await expect(page.getByText('Private plans of the first user')).toHaveCount(0);
  const theirs = await allTodos(first.token);
  const direct = await api('GET', `/api/todos/${theirs[0].id}`, { token: second.token });
  expect(direct.status).toBe(404);
  await context.close();
});

test('signing out ends the session and protects the app', async ({ page }) => {
  const user = await createUser('leaver');
  await signInThroughUi(page, user);
  const logout = page.waitForResponse((r) => r.url().endsWith('/api/auth/logout'));
  await page.getByRole('button', { name: 'Sign out' }).click();
  expect((await logout).status()).toBe(204);
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/app');
  await expect(page).toHaveURL(/\/login\?next=%2Fapp$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});

test('every page fits a 320 px wide screen', async ({ page }) => {
  const user = await createUser('narrow');
  await api('POST', '/api/todos', { token: user.token, body: { title: 'A rather long todo title that has to wrap on a small phone screen' } });
  await page.setViewportSize({ width: 320, height: 640 });
  const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  for (const route of ['/', '/login', '/register', '/forgot-password']) {
    await page.goto(route);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    expect(await fits(), route).toBe(true);
  }
  await signInThroughUi(page, user);
  expect(await fits(), '/app').toBe(true);
  await capture(page, 'todos-320px');
  await page.goto('/settings');
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  expect(await fits(), '/settings').toBe(true);
});

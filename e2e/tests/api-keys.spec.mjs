// Personal API keys and the MCP connection, from the settings page, with the API (called with
// the key itself) as the witness.
import { expect, test } from '@playwright/test';
import { BASE_URL } from './env.mjs';
import { api, capture, createUser, signInThroughUi } from './helpers.mjs';

const keysSection = (page) => page.getByRole('region', { name: 'API keys' });
const keyRow = (page, name) => keysSection(page).getByRole('listitem').filter({ hasText: name });

/** Everything this origin keeps in the browser: web storage and every IndexedDB record. */
const storedText = (page) =>
  page.evaluate(async () => {
    const parts = [JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage })];
    for (const { name } of await indexedDB.databases()) {
      const db = await new Promise((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      for (const store of db.objectStoreNames) {
        const all = db.transaction(store).objectStore(store).getAll();
        parts.push(JSON.stringify(await new Promise((resolve) => (all.onsuccess = () => resolve(all.result)))));
      }
      db.close();
    }
    return parts.join('\n');
  });

test('create a read-only key, copy it once, use it, and revoke it', async ({ page, context, request }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE_URL });
  const user = await createUser('keys');
  await signInThroughUi(page, user);
  await page.getByRole('link', { name: 'Settings' }).click();
  const section = keysSection(page);
  await expect(section.getByText('You have no API keys yet.')).toBeVisible();

  // The MCP section: this server's address, a placeholder where the key goes.
  const mcp = page.getByRole('region', { name: 'Connect an AI assistant (MCP)' });
  const template = JSON.parse(await mcp.locator('pre code').innerText());
  expect(template.mcpServers.neoforge).toEqual({
    type: 'http',
    url: `${BASE_URL}/mcp`,
    headers: { Authorization: 'Bearer YOUR_API_KEY' },
  });
  await capture(page, 'api-keys');

  // The server's validation comes back next to the fields.
  const name = section.getByLabel('What is this key for?');
  await section.getByRole('button', { name: 'Create key' }).click();
  await expect(section.locator('#name-error')).toBeVisible();
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await expect(name).toBeFocused();
  await name.fill('e2e read key');
  await section.getByLabel('Read todos').uncheck();
  await section.getByRole('button', { name: 'Create key' }).click();
  await expect(section.locator('#scopes-error')).toBeVisible();

  // Read only, for 30 days.
  await section.getByLabel('Read todos').check();
  await expect(section.getByLabel('Change todos')).not.toBeChecked();
  await section.getByLabel('Expires').selectOption({ label: 'In 30 days' });
  await section.getByRole('button', { name: 'Create key' }).click();

  const dialog = page.getByRole('dialog', { name: 'Your new key “e2e read key”' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Copy the key' })).toBeFocused();
  await expect(dialog).toContainText('you won’t see it again');
  const key = await dialog.locator('pre code').first().innerText();
  expect(key).toMatch(/^nf_\S+$/);
  const config = JSON.parse(await dialog.locator('pre code').nth(1).innerText());
  expect(config.mcpServers.neoforge).toEqual({ type: 'http', url: `${BASE_URL}/mcp`, headers: { Authorization: `Bearer ${key}` } });
  await capture(page, 'api-key-created');

  await dialog.getByRole('button', { name: 'Copy the key' }).click();
  await expect(dialog.getByText('Copied.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
  await dialog.getByRole('button', { name: 'Copy the configuration with the key' }).click();
  expect(JSON.parse(await page.evaluate(() => navigator.clipboard.readText()))).toEqual(config);

  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(dialog).toBeHidden();
  await expect(section.getByRole('heading', { name: 'API keys' })).toBeFocused();
  // Gone for good: not on the page, not kept by the browser.
  await expect(page.getByText(key)).toHaveCount(0);
  expect(await storedText(page)).not.toContain(key);

  // Listed by its prefix, with what it may do and when it ends.
  const listed = await api('GET', '/api/users/me/api-keys', { token: user.token });
  expect(listed.status).toBe(200);
  expect(listed.body.total).toBe(1);
  const [summary] = listed.body.items;
  expect(summary).toMatchObject({ name: 'e2e read key', scopes: ['todos:read'], last_used_at: null });
  expect(summary).not.toHaveProperty('key');
  expect(key.startsWith(summary.prefix.replace(/…$/, ''))).toBe(true);
  const days = (Date.parse(summary.expires_at) - Date.now()) / 86_400_000;
  expect(days).toBeGreaterThan(29.9);
  expect(days).toBeLessThanOrEqual(30);
  const row = keyRow(page, 'e2e read key');
  await expect(row).toContainText(summary.prefix.replace(/…$/, ''));
  await expect(row).toContainText('Read todos');
  await expect(row).not.toContainText('Change todos');
  await expect(row).toContainText(/Last used\s*Never/);
  await expect(row).toContainText(/Expires\s*\S+/);
  await expect(row).not.toContainText(/Expires\s*Never/);

  // The key reads todos and may not change them.
  const bearer = { Authorization: `Bearer ${key}` };
  expect((await request.get('/api/todos', { headers: bearer })).status()).toBe(200);
  const write = await request.post('/api/todos', { headers: bearer, data: { title: 'Written with a read-only key' } });
  expect(write.status()).toBe(403);
  expect(write.headers()['content-type']).toContain('application/problem+json');
  expect(write.headers()['www-authenticate']).toContain('insufficient_scope');

  // The configuration from the dialog works as an MCP client uses it.
  const server = config.mcpServers.neoforge;
  const rpc = (id, method, params) =>
    request.post(server.url, {
      headers: { ...server.headers, Accept: 'application/json, text/event-stream' },
      data: { jsonrpc: '2.0', id, method, params },
    });
  const init = await rpc(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } });
  expect(init.status()).toBe(200);
  expect((await init.json()).result.protocolVersion).toBe('2025-06-18');
  const tools = await rpc(2, 'tools/call', { name: 'list_todos', arguments: {} });
  expect((await tools.json()).result.structuredContent).toMatchObject({ items: [], total: 0 });

  await page.reload();
  await expect(row).toBeVisible();
  await expect(row).not.toContainText(/Last used\s*Never/);

  // Revoke, by keyboard: Escape cancels and gives the focus back, the second time it counts.
  const revoke = row.getByRole('button', { name: 'Revoke e2e read key' });
  await revoke.focus();
  await page.keyboard.press('Enter');
  const confirm = page.getByRole('dialog', { name: 'Revoke the key “e2e read key”?' });
  await expect(confirm).toBeVisible();
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await capture(page, 'api-key-revoke');
  await page.keyboard.press('Escape');
  await expect(confirm).toBeHidden();
  await expect(revoke).toBeFocused();
  expect((await request.get('/api/todos', { headers: bearer })).status()).toBe(200);

  await page.keyboard.press('Enter');
  await expect(confirm).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(confirm.getByRole('button', { name: 'Revoke key' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByText('The key “e2e read key” is revoked.')).toBeVisible();
  await expect(section.getByText('You have no API keys yet.')).toBeVisible();
  await expect(section.getByRole('heading', { name: 'API keys' })).toBeFocused();

  const refused = await request.get('/api/todos', { headers: bearer });
  expect(refused.status()).toBe(401);
  expect(refused.headers()['www-authenticate']).toMatch(/^Bearer/);
  expect((await rpc(3, 'tools/call', { name: 'list_todos', arguments: {} })).status()).toBe(401);
});

test('API keys fit a 320 px wide screen, by keyboard alone', async ({ page }) => {
  const user = await createUser('narrow-keys');
  const longName = `A key for a script whose name goes on ${'and on '.repeat(8)}`.slice(0, 100);
  const made = await api('POST', '/api/users/me/api-keys', {
    token: user.token,
    body: { name: longName, scopes: ['todos:read', 'todos:write'] },
  });
  expect(made.status, JSON.stringify(made.body)).toBe(201);

  await page.setViewportSize({ width: 320, height: 640 });
  const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  await signInThroughUi(page, user);
  await page.goto('/settings');
  const row = keyRow(page, longName);
  await expect(row).toContainText('Read todos, Change todos');
  await expect(row).toContainText(/Expires\s*Never/);
  expect(await fits()).toBe(true);
  await capture(page, 'api-keys-320px');

  const section = keysSection(page);
  await section.getByLabel('What is this key for?').focus();
  await page.keyboard.type('Assistant on my phone');
  await page.keyboard.press('Tab');
  await expect(section.getByLabel('Read todos')).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Space');
  await expect(section.getByLabel('Change todos')).toBeChecked();
  await page.keyboard.press('Tab');
  await expect(section.getByLabel('Expires')).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');

  const dialog = page.getByRole('dialog', { name: 'Your new key “Assistant on my phone”' });
  await expect(dialog).toBeVisible();
  const box = await dialog.boundingBox();
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(320);
  expect(await fits()).toBe(true);
  await capture(page, 'api-key-created-320px');
  // A browser that refuses the clipboard: the key is selected for the copy shortcut instead.
  await page.evaluate(() => {
    navigator.clipboard.writeText = () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError'));
  });
  await page.keyboard.press('Enter');
  await expect(dialog.getByText('The text is selected')).toBeVisible();
  const selected = await page.evaluate(() => window.getSelection().toString());
  expect(selected).toMatch(/^nf_\S+$/);
  await expect(dialog.locator('pre code').first()).toHaveText(selected);
  const done = dialog.getByRole('button', { name: 'Done' });
  // From Copy the key, past Copy the configuration, to Done.
  await expect(dialog.getByRole('button', { name: 'Copy the key' })).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(done).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(keyRow(page, 'Assistant on my phone')).toContainText('Read todos, Change todos');
});

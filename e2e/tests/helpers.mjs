// Shared steps: accounts through the API or the UI, checks with axe, screenshots.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect } from '@playwright/test';
import { BASE_URL, DATA_DIR, SHOTS_DIR } from './env.mjs';

export const PASSWORD = 'correct horse battery';
let counter = 0;
export const uniqueEmail = (name) => `${name}-${Date.now().toString(36)}-${counter++}@example.test`;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Call the API from the test itself (not the browser). The server's sign-in limits count
 * every test's sign-ins from this one address, so a 429 is waited out as a person would. */
export async function api(method, route, { token, body, headers = {} } = {}, attempt = 0) {
  const response = await fetch(new URL(route, BASE_URL), {
    method,
    headers: {
      ...(body ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (response.status === 429 && attempt < 2) {
    await sleep(Math.min(Number(response.headers.get('Retry-After')) || 5, 65) * 1000);
    return api(method, route, { token, body, headers }, attempt + 1);
  }
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

/** A new account made through the API; returns its credentials and an access token. */
export async function createUser(name = 'user') {
  const email = uniqueEmail(name);
  const created = await api('POST', '/api/auth/register', { body: { email, password: PASSWORD, name } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const login = await api('POST', '/api/auth/login', { body: { email, password: PASSWORD } });
  expect(login.status).toBe(200);
  return { email, password: PASSWORD, token: login.body.access_token, id: created.body.id };
}

/** Every todo of a user, all pages. */
export async function allTodos(token) {
  const items = [];
  for (let offset = 0; ; offset += 100) {
    const page = await api('GET', `/api/todos?limit=100&offset=${offset}`, { token });
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    if (items.length >= page.body.total || page.body.items.length === 0) return items;
  }
}

/** Press "Sign in" on a filled form; when the sign-in limit says to wait, wait and retry. */
export async function submitSignIn(page) {
  for (let attempt = 0; ; attempt++) {
    await page.getByRole('button', { name: 'Sign in' }).click();
    const limited = page.getByRole('alert').filter({ hasText: 'Too many attempts' });
    await expect(page.getByRole('heading', { name: 'Your todos' }).or(limited)).toBeVisible();
    if (attempt >= 2 || !(await limited.isVisible())) return;
    const seconds = Number(/in (\d+) seconds/.exec(await limited.innerText())?.[1] ?? 5);
    await page.waitForTimeout(Math.min(seconds, 65) * 1000);
  }
}

export async function signInThroughUi(page, { email, password }) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await submitSignIn(page);
  await expect(page).toHaveURL(/\/app$/);
  await expect(page.getByRole('heading', { name: 'Your todos' })).toBeVisible();
}

/** The page as axe sees it: zero violations of WCAG 2.1 A/AA and best practices. */
export async function expectAccessible(page) {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  expect(summary, `axe violations on ${page.url()}`).toEqual([]);
}

/** Save the page in the light and the dark theme, and check both with axe. */
export async function capture(page, name) {
  fs.mkdirSync(SHOTS_DIR, { recursive: true });
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
    await page.waitForTimeout(50);
    await expectAccessible(page);
    await page.screenshot({ path: path.join(SHOTS_DIR, `${name}-${scheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** Make every session of the user look signed in long ago, past the reauthentication window,
 * straight in the server's SQLite database (Python's sqlite3 module: Node 20 has none). */
export function ageSignIn(userId) {
  const script = [
    'import sqlite3, sys',
    'db = sqlite3.connect(sys.argv[1], timeout=10)',
    'db.execute("UPDATE sessions SET authenticated_at = 0 WHERE user_id = ?", (sys.argv[2],))',
    'db.commit()',
  ].join('\n');
  execFileSync('python3', ['-c', script, path.join(DATA_DIR, 'neoforge.db'), userId]);
}

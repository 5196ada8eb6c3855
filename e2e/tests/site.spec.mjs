// The landing page (real HTML for crawlers), the not-found page, and what the server refuses
// to answer with HTML.
import { expect, test } from '@playwright/test';
import { capture } from './helpers.mjs';

test('the landing page is readable without JavaScript and describes itself', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const response = await page.goto('/');
  expect(response.status()).toBe(200);
  await expect(page).toHaveTitle(/NeoForge/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Todos that keep up with you');
  await expect(page.locator('meta[name="description"]')).toHaveAttribute('content', /todos/);
  await expect(page.locator('meta[property="og:title"]')).toHaveAttribute('content', /NeoForge/);
  await expect(page.getByRole('link', { name: 'Create a free account' })).toHaveAttribute('href', '/register');
  await context.close();
});

test('the landing page links into the app', async ({ page }) => {
  await page.goto('/');
  await capture(page, 'landing');
  await page.getByRole('link', { name: 'Sign in' }).first().click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});

test('an unknown page is a 404 with a way back', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await capture(page, 'not-found');
  await page.getByRole('link', { name: 'Home page' }).click();
  await expect(page).toHaveURL(/\/$/);
});

test('API and tooling paths keep their problem details, even for a browser', async ({ page }) => {
  for (const route of ['/api/nope', '/health/nope', '/docs/nope/x', '/openapi.json/x']) {
    const response = await page.goto(route);
    expect(response.status(), route).toBe(404);
    expect(response.headers()['content-type'], route).toContain('application/problem+json');
  }
});

test('assets are hashed, immutable and precompressed; documents are revalidated', async ({ request }) => {
  const shell = await request.get('/app', { headers: { Accept: 'text/html', 'Accept-Encoding': 'br' } });
  expect(shell.headers()['cache-control']).toBe('no-cache');
  expect(shell.headers()['content-encoding']).toBe('br');
  const csp = shell.headers()['content-security-policy'];
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
  const html = await shell.text();
  const scripts = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  expect(scripts.length).toBeGreaterThan(1);
  for (const url of scripts) {
    expect(url).toMatch(/-[A-Za-z0-9_-]{8,}\.(js|css|svg|png)$/);
    const asset = await request.get(url, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(asset.status(), url).toBe(200);
    expect(asset.headers()['cache-control'], url).toBe('public, max-age=31536000, immutable');
  }
  for (const route of ['/sw.js', '/manifest.webmanifest']) {
    const response = await request.get(route);
    expect(response.headers()['cache-control'], route).toBe('no-cache');
  }
});

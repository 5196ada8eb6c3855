// The app's one error path: a page whose code cannot be fetched (as when a deploy replaced
// its chunk) and an error nothing handled both show a message with a Reload button, never a
// blank page.
import { expect, test } from '@playwright/test';
import { capture } from './helpers.mjs';

test('a page whose code fails to load offers a reload that brings it back', async ({ page }) => {
  // The sign-up page's lazily loaded chunk, gone from the server.
  const chunk = /\/assets\/register-page-[^/]+\.js$/;
  await page.route(chunk, (route) => route.fulfill({ status: 404, body: 'Not Found' }));
  await page.goto('/register');
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('This page could not be loaded');
  await expect(page.getByRole('heading', { name: 'Create your account' })).toHaveCount(0);
  await capture(page, 'chunk-failed');

  await page.unroute(chunk);
  await alert.getByRole('button', { name: 'Reload' }).click();
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('an error nothing handled is reported over a page that keeps working', async ({ page }) => {
  await page.goto('/login');
  const heading = page.getByRole('heading', { name: 'Sign in' });
  await expect(heading).toBeVisible();
  await page.evaluate(() => {
    void Promise.reject(new Error('a failure nothing catches'));
  });
  const alert = page.getByRole('alert').filter({ hasText: 'Something went wrong' });
  await expect(alert).toBeVisible();
  await expect(alert.getByRole('button', { name: 'Reload' })).toBeVisible();
  await expect(heading).toBeVisible();
  await alert.getByRole('button', { name: 'Dismiss' }).click();
  await expect(alert).toHaveCount(0);
  await expect(heading).toBeVisible();
});

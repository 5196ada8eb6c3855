// The admin area, signed in as the admin scripts/e2e created with `neoforge create-admin`.
import { expect, test } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './env.mjs';
import { api, capture, createUser, signInThroughUi } from './helpers.mjs';

test('an admin finds a user, deactivates them, and sees it in the audit log', async ({ page, browser }) => {
  expect(ADMIN_EMAIL, 'scripts/e2e creates the admin').not.toBe('');
  const user = await createUser('member');
  await signInThroughUi(page, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  await page.getByRole('link', { name: 'Admin' }).click();
  await expect(page.getByRole('heading', { name: 'Admin', level: 1 })).toBeVisible();

  await page.getByLabel('Search by email or name').fill(user.email);
  await page.getByRole('button', { name: 'Search' }).click();
  const row = page.locator(`tr[data-email="${user.email}"]`);
  await expect(row).toBeVisible();
  await expect(page.locator('tbody tr').first()).toHaveAttribute('data-email', user.email);
  await capture(page, 'admin');

  await row.getByRole('button', { name: `Deactivate ${user.email}` }).click();
  await expect(row.getByText('Deactivated')).toBeVisible();
  const refused = await api('POST', '/api/auth/login', { body: { email: user.email, password: user.password } });
  expect(refused.status).toBe(403);
  expect((await api('GET', '/api/users/me', { token: user.token })).status).toBe(401);
  const theirs = await browser.newPage();
  await theirs.goto('/login');
  await theirs.getByLabel('Email').fill(user.email);
  await theirs.getByLabel('Password').fill(user.password);
  await theirs.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(theirs.getByRole('alert')).toHaveText('This account has been deactivated. Contact support to restore it.');
  await theirs.close();

  await row.getByRole('button', { name: `Activate ${user.email}` }).click();
  await expect(row.getByText('Active', { exact: true })).toBeVisible();

  await page.getByLabel('User id').fill(user.id);
  await page.getByLabel('Event').selectOption('user_deactivated');
  await page.getByRole('button', { name: 'Filter' }).click();
  const rows = page.getByRole('table', { name: 'Audit log, newest first' }).locator('tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('user deactivated');
  await expect(rows.first()).toContainText(user.id);
});

test('someone who is not an admin gets no admin area', async ({ page }) => {
  const user = await createUser('curious');
  await signInThroughUi(page, user);
  await expect(page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await page.goto('/admin');
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

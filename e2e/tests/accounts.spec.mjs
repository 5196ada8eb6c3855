// Accounts through the browser, with the server's mail folder as the inbox.
import { expect, test } from '@playwright/test';
import { api, capture, signInThroughUi, uniqueEmail } from './helpers.mjs';
import { linkFromMail } from './mail.mjs';

test('sign up lands signed in, the banner resends the link, verify from the email, sign in again', async ({ page }) => {
  const email = uniqueEmail('signup');
  const password = 'a long enough passphrase';
  await page.goto('/register');
  await capture(page, 'register');

  // The server's validation comes back next to the field.
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  const passwordError = page.locator('#password-error');
  await expect(passwordError).toBeVisible();
  await expect(page.getByLabel('Password')).toHaveAttribute('aria-invalid', 'true');

  await page.getByLabel('Name').fill('Ada');
  await page.getByLabel('Password').fill(password);
  const started = Date.now() - 1000;
  await page.getByRole('button', { name: 'Create account' }).click();
  // Signed in at once, with a banner until the address is confirmed.
  await expect(page).toHaveURL(/\/app$/);
  const banner = page.getByRole('region', { name: 'Confirm your email address' });
  await expect(banner).toContainText(email);
  const first = await linkFromMail(email, '/verify-email', { after: started });
  await banner.getByRole('button', { name: 'Send the link again' }).click();
  await expect(banner.getByRole('status')).toHaveText(/^Sent\./);
  await capture(page, 'verify-banner');

  const link = await linkFromMail(email, '/verify-email', { except: first });
  const url = new URL(link);
  await page.goto(url.pathname + url.search);
  await expect(page.getByRole('heading', { name: 'Your email is verified' })).toBeVisible();
  await expect(banner).toHaveCount(0);
  await capture(page, 'verify-email');

  // A used link is refused in plain words.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'We could not verify your email' })).toBeVisible();
  await expect(page.getByText('This link has expired or was already used.')).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);

  await page.goto('/login');
  await capture(page, 'login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('a wrong passphrase');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('That email and password do not match an account.');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/app$/);

  const login = await api('POST', '/api/auth/login', { body: { email, password } });
  const me = await api('GET', '/api/users/me', { token: login.body.access_token });
  expect(me.body).toMatchObject({ email, name: 'Ada', email_verified: true });
});

test('forgot and reset the password from the email', async ({ page }) => {
  const email = uniqueEmail('forgetful');
  const created = await api('POST', '/api/auth/register', { body: { email, password: 'the old passphrase' } });
  expect(created.status).toBe(201);

  await page.goto('/login');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await capture(page, 'forgot-password');
  const started = Date.now() - 1000;
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByText(`If an account exists for ${email}`)).toBeVisible();

  const link = await linkFromMail(email, '/reset-password', { after: started });
  const url = new URL(link);
  await page.goto(url.pathname + url.search);
  await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  await capture(page, 'reset-password');
  await page.getByLabel('New password', { exact: true }).fill('the new passphrase');
  await page.getByLabel('Repeat the new password').fill('not the same one');
  await page.getByRole('button', { name: 'Save the new password' }).click();
  await expect(page.getByText('The two passwords are not the same.')).toBeVisible();
  await page.getByLabel('Repeat the new password').fill('the new passphrase');
  await page.getByRole('button', { name: 'Save the new password' }).click();
  await expect(page).toHaveURL(/\/login\?reset=1$/);
  await expect(page.getByText('Your password has been changed.')).toBeVisible();

  const old = await api('POST', '/api/auth/login', { body: { email, password: 'the old passphrase' } });
  expect(old.status).toBe(401);
  await signInThroughUi(page, { email, password: 'the new passphrase' });
});

test('settings: name, theme, sessions, password and account deletion', async ({ page }) => {
  const email = uniqueEmail('settler');
  const password = 'settings passphrase';
  expect((await api('POST', '/api/auth/register', { body: { email, password } })).status).toBe(201);
  // Another device, to revoke from here.
  const other = await api('POST', '/api/auth/login', { body: { email, password }, headers: { 'User-Agent': 'Other device' } });
  await signInThroughUi(page, { email, password });
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeFocused();

  await page.getByLabel('Name').fill('Grace');
  await page.getByRole('button', { name: 'Save name' }).click();
  await expect(page.getByText('Your name is saved.')).toBeVisible();

  const first = await linkFromMail(email, '/verify-email');
  await page.getByRole('button', { name: 'Send a new verification link' }).click();
  await expect(page.getByText('We sent a new verification link.')).toBeVisible();
  expect(await linkFromMail(email, '/verify-email', { except: first })).toContain('/verify-email?token=');

  await page.getByLabel('Dark').check();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.getByLabel('Same as my device').check();
  await expect(page.locator('html')).not.toHaveAttribute('data-theme', /.+/);

  const revokeOther = page.getByRole('button', { name: 'Sign out Other device' });
  await expect(revokeOther).toBeVisible();
  await capture(page, 'settings');
  await revokeOther.click();
  await expect(revokeOther).toHaveCount(0);
  expect((await api('GET', '/api/users/me', { token: other.body.access_token })).status).toBe(401);

  await page.getByLabel('Current password').fill(password);
  await page.getByLabel('New password', { exact: true }).fill('an even better passphrase');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Your password is changed.')).toBeVisible();

  await page.getByLabel('Your password, to confirm').fill('an even better passphrase');
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page).toHaveURL(/\/$/);
  const gone = await api('POST', '/api/auth/login', { body: { email, password: 'an even better passphrase' } });
  expect(gone.status).toBe(401);
});

test('a long email address wraps on a 320 px screen', async ({ page }) => {
  await page.setViewportSize({ width: 320, height: 700 });
  // Long, but deliverable: a local part has at most 64 characters, so the length is in the domain.
  const email = uniqueEmail('long-mailbox').replace('@example.test', '@mail.a-rather-long-department-name.of-an-example-company.test');
  const password = 'a long enough passphrase';
  expect((await api('POST', '/api/auth/register', { body: { email, password } })).status).toBe(201);
  await signInThroughUi(page, { email, password });
  const widthOf = () => page.evaluate(() => document.documentElement.scrollWidth);

  await expect(page.getByRole('region', { name: 'Confirm your email address' })).toContainText(email);
  expect(await widthOf()).toBeLessThanOrEqual(320);
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  await expect(page.getByText(email).first()).toBeVisible();
  expect(await widthOf()).toBeLessThanOrEqual(320);
  await capture(page, 'settings-320');
});

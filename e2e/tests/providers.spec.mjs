// Signing in with another identity provider: the real round trip through the OpenID Connect
// provider scripts/e2e runs (its own login and consent pages), landing in the app signed in,
// the link shown in the settings, and the sign-in page explaining a failed attempt.
import { expect, test } from '@playwright/test';
import { BASE_URL, OIDC_NAME } from './env.mjs';
import { capture, uniqueEmail } from './helpers.mjs';

const methods = (page) => page.getByRole('region', { name: 'Sign-in methods' });

test('continue with a provider: its login and consent, then the app, signed in', async ({ page }) => {
  const email = uniqueEmail('oidc');
  await page.goto('/login');
  const button = page.getByRole('link', { name: `Continue with ${OIDC_NAME}` });
  await expect(button).toBeVisible();
  await capture(page, 'login-with-providers');
  await button.click();

  // At the provider.
  await expect(page.getByRole('heading', { name: 'Sign in to the test provider' })).toBeVisible();
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Allow access' })).toBeVisible();
  await page.getByRole('button', { name: 'Allow' }).click();

  // Back here, signed in, with the marker gone from the address.
  await expect(page.getByRole('heading', { name: 'Your todos' })).toBeVisible();
  await expect(page).toHaveURL(`${BASE_URL}/app`);

  // A reload resumes the session from the refresh cookie, like a password sign-in.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Your todos' })).toBeVisible();

  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByText(`Signed in as ${email}.`)).toBeVisible();
  const linked = methods(page).getByRole('list', { name: 'Your linked accounts' });
  await expect(linked.getByRole('listitem')).toHaveCount(1);
  await expect(linked).toContainText(OIDC_NAME);
  await expect(linked).toContainText(email);
  await expect(methods(page).getByText('Your account has no password yet')).toBeVisible();
  await capture(page, 'linked-accounts');

  // The only way to sign in stays: the server refuses, and says why.
  await linked.getByRole('button', { name: /^Unlink/ }).click();
  await expect(methods(page).getByRole('alert')).toContainText('only way left to sign in');
  await expect(linked.getByRole('listitem')).toHaveCount(1);

  // Signing in again through the provider is the same account.
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.goto('/login');
  await page.getByRole('link', { name: `Continue with ${OIDC_NAME}` }).click();
  // The provider remembers this browser: straight back, signed in.
  await expect(page.getByRole('heading', { name: 'Your todos' }).or(page.getByRole('button', { name: 'Allow' }))).toBeVisible();
  if (await page.getByRole('button', { name: 'Allow' }).isVisible()) await page.getByRole('button', { name: 'Allow' }).click();
  await expect(page.getByRole('heading', { name: 'Your todos' })).toBeVisible();
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByText(`Signed in as ${email}.`)).toBeVisible();
});

test('a declined or failed provider sign-in is explained on the sign-in page', async ({ page }) => {
  await page.goto('/login');
  await page.getByRole('link', { name: `Continue with ${OIDC_NAME}` }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to the test provider' })).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page).toHaveURL(/\/login\?error=cancelled$/);
  await expect(page.getByRole('alert')).toHaveText('Signing in was cancelled at the provider.');

  await page.goto('/login?error=email_unverified');
  await expect(page.getByRole('alert')).toContainText('the provider has not verified it');
  await page.goto('/login?error=something_new');
  await expect(page.getByRole('alert')).toHaveText('Something went wrong while signing you in. Please try again.');
  // The registration page offers the providers too.
  await page.goto('/register');
  await expect(page.getByRole('link', { name: `Continue with ${OIDC_NAME}` })).toBeVisible();
});

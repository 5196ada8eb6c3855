// Signing in with another identity provider: the real round trip through the OpenID Connect
// provider scripts/e2e runs (its own login and consent pages), landing in the app signed in,
// the link shown in the settings, and the sign-in page explaining a failed attempt.
import { expect, test } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, BASE_URL, OIDC_NAME } from './env.mjs';
import { ageSignIn, api, capture, uniqueEmail } from './helpers.mjs';
import { authenticator } from './totp.mjs';

const methods = (page) => page.getByRole('region', { name: 'Sign-in methods' });
const linkedList = (page) => methods(page).getByRole('list', { name: 'Your linked accounts' });

/** A first sign-in at the provider as `email`: its login form and consent, then the app. */
async function providerSignIn(page, email) {
  await page.goto('/login');
  await page.getByRole('link', { name: `Continue with ${OIDC_NAME}` }).click();
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Allow' }).click();
  await expect(page.getByRole('heading', { name: 'Your todos' })).toBeVisible();
}

/** The id of the account with `email`, as the admin area lists it. */
async function userId(email) {
  const admin = await api('POST', '/api/auth/login', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  expect(admin.status).toBe(200);
  const found = await api('GET', `/api/admin/users?q=${encodeURIComponent(email)}`, { token: admin.body.access_token });
  expect(found.body.items).toHaveLength(1);
  return found.body.items[0].id;
}

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
  const linked = linkedList(page);
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

test('without a password, "Sign in again" goes through the provider and back to the settings', async ({ page }) => {
  const email = uniqueEmail('oidc-reauth');
  await providerSignIn(page, email);
  ageSignIn(await userId(email));
  await page.getByRole('link', { name: 'Settings' }).click();

  // An old sign-in: the account has no password to confirm with, so it offers a new sign-in.
  await linkedList(page).getByRole('button', { name: /^Unlink/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Sign in again' }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Fsettings$/);
  await page.getByRole('link', { name: `Continue with ${OIDC_NAME}` }).click();

  // The provider still knows this browser: straight back, to the settings this time.
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await expect(page).toHaveURL(`${BASE_URL}/settings`);
  await linkedList(page).getByRole('button', { name: /^Unlink/ }).click();
  await expect(methods(page).getByRole('alert')).toContainText('only way left to sign in');
});

test('with two-factor on, a provider sign-in asks for the code too', async ({ page }) => {
  const email = uniqueEmail('oidc-2fa');
  await providerSignIn(page, email);
  await page.getByRole('link', { name: 'Settings' }).click();
  const section = methods(page);
  await section.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
  const secret = await section.locator('#totp-secret').getAttribute('data-secret');
  const app = authenticator(secret);
  await section.getByLabel('Code from the app').fill(await app.code());
  await section.getByRole('button', { name: 'Turn on', exact: true }).click();
  await section.getByRole('button', { name: 'I have saved them' }).click();
  await expect(section.getByText('10 recovery codes are left.')).toBeVisible();

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.goto('/login');
  await page.getByRole('link', { name: `Continue with ${OIDC_NAME}` }).click();
  // Back from the provider: the second step, not the app.
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  expect(new URL(page.url()).hash).toBe('');
  await page.getByLabel('Code', { exact: true }).fill(await app.code());
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: 'Your todos' })).toBeVisible();
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByText(`Signed in as ${email}.`)).toBeVisible();
});

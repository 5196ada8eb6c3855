// Passkeys in a real browser: Chromium's virtual authenticator (over CDP) stands in for the
// device's platform authenticator. Add a passkey in the settings, sign out, sign in with the
// passkey alone. A relying party id cannot be an IP address, so this spec opens the app as
// http://localhost:<port> (scripts/e2e sets NEOFORGE_WEBAUTHN_RP_ID=localhost and lists that
// origin), while the other specs stay on 127.0.0.1.
import { expect, test } from '@playwright/test';
import { BASE_URL } from './env.mjs';
import { capture, createUser, submitSignIn } from './helpers.mjs';

const LOCAL = BASE_URL.replace('://127.0.0.1', '://localhost');

const passkeysPart = (page) => page.locator('settings-passkeys');

/** A platform authenticator with user verification that answers without prompts. */
async function addAuthenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

/** Signing out lands on the sign-in page. */
async function signOut(page) {
  const logout = page.waitForResponse((r) => r.url().endsWith('/api/auth/logout'));
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  expect((await logout).status()).toBe(204);
  await expect(page).toHaveURL(`${LOCAL}/login`);
}

/** The sign-in page's autofill (conditional mediation) would pick the virtual
 * authenticator's passkey by itself, before any button is pressed: this switch makes the
 * browser say it has no such autofill, as many do, so the button can be tested. */
const AUTOFILL_SWITCH = () => {
  const original = PublicKeyCredential.isConditionalMediationAvailable;
  PublicKeyCredential.isConditionalMediationAvailable = async () =>
    localStorage.getItem('e2e-no-passkey-autofill') === '1' ? false : original.call(PublicKeyCredential);
};

test('add a passkey in the settings, then sign in with it and no password', async ({ page }) => {
  const user = await createUser('passkey');
  const { cdp, authenticatorId } = await addAuthenticator(page);
  await page.addInitScript(AUTOFILL_SWITCH);

  await page.goto(`${LOCAL}/login`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await submitSignIn(page);
  await expect(page).toHaveURL(`${LOCAL}/app`);

  await page.getByRole('link', { name: 'Settings' }).click();
  const part = passkeysPart(page);
  await expect(part.getByRole('heading', { name: 'Passkeys' })).toBeVisible();
  await expect(part.getByText('You have no passkeys yet.')).toBeVisible();
  await part.getByLabel('What to call it').fill('e2e laptop');
  await part.getByRole('button', { name: 'Add a passkey' }).click();
  const row = part.getByRole('listitem').filter({ hasText: 'e2e laptop' });
  await expect(row).toBeVisible();
  await expect(row).toContainText('not used yet');

  // The authenticator holds one discoverable credential for this site, for this account.
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0].isResidentCredential).toBe(true);
  expect(credentials[0].rpId).toBe('localhost');
  await capture(page, 'settings-passkeys');

  await page.evaluate(() => localStorage.setItem('e2e-no-passkey-autofill', '1'));
  await signOut(page);

  // No email, no password: the passkey names the account.
  const signedIn = page.waitForResponse((r) => r.url().endsWith('/api/auth/passkey') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  expect((await signedIn).status()).toBe(200);
  await expect(page).toHaveURL(`${LOCAL}/app`);
  await expect(page.getByRole('heading', { name: 'Your todos' })).toBeVisible();

  // Where the browser offers passkeys in the email field's autofill, picking one signs in
  // (the virtual authenticator picks at once).
  await page.evaluate(() => localStorage.removeItem('e2e-no-passkey-autofill'));
  const autofilled = page.waitForResponse((r) => r.url().endsWith('/api/auth/passkey') && r.request().method() === 'POST');
  await signOut(page).catch(() => undefined);
  expect((await autofilled).status()).toBe(200);
  await expect(page).toHaveURL(`${LOCAL}/app`);
  await expect(page.getByRole('heading', { name: 'Your todos' })).toBeVisible();

  // The settings show it used; rename it, then delete it (the account keeps its password).
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(row).not.toContainText('not used yet');
  await expect(row).toContainText('last used');
  await row.getByRole('button', { name: 'Rename e2e laptop' }).click();
  const rename = part.getByRole('dialog', { name: 'Rename the passkey “e2e laptop”' });
  await rename.getByLabel('New name').fill('work laptop');
  await rename.getByRole('button', { name: 'Save' }).click();
  const renamed = part.getByRole('listitem').filter({ hasText: 'work laptop' });
  await expect(renamed).toBeVisible();
  await renamed.getByRole('button', { name: 'Delete work laptop' }).click();
  await part.getByRole('dialog').getByRole('button', { name: 'Delete passkey' }).click();
  await expect(part.getByText('You have no passkeys yet.')).toBeVisible();
});

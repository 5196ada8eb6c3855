// Two-factor authentication from the settings page: set up an authenticator app with the key
// the page shows (the codes are computed here, RFC 6238 with node:crypto, as the app would),
// keep the recovery codes, then sign in with the password and a code, and with a recovery code.
import { expect, test } from '@playwright/test';
import { api, capture, createUser, signInThroughUi } from './helpers.mjs';
import { authenticator, totp } from './totp.mjs';

/** Sign in with the password and stop at the second step; waits out the sign-in limit. */
async function passwordStep(page, { email, password }) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  for (let attempt = 0; ; attempt++) {
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const limited = page.getByRole('alert').filter({ hasText: 'Too many attempts' });
    await expect(page.getByRole('heading', { name: 'Two-step verification' }).or(limited)).toBeVisible();
    if (attempt >= 2 || !(await limited.isVisible())) break;
    const seconds = Number(/in (\d+) seconds/.exec(await limited.innerText())?.[1] ?? 5);
    await page.waitForTimeout(Math.min(seconds, 65) * 1000);
  }
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  await expect(page.getByText('Enter the 6-digit code from your authenticator app, or a recovery code.')).toBeVisible();
}

async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
}

test('the code helper follows RFC 6238', () => {
  // RFC 6238 appendix B, SHA-1: T = 59 s is step 1, code 94287082 (its last six digits).
  expect(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1)).toBe('287082');
});

test('set up an authenticator app, then sign in with a code and with a recovery code', async ({ page }) => {
  const user = await createUser('twofactor');
  await signInThroughUi(page, user);
  await page.getByRole('link', { name: 'Settings' }).click();
  const methods = page.getByRole('region', { name: 'Sign-in methods' });
  await expect(methods.getByRole('heading', { name: 'Two-factor authentication' })).toBeVisible();

  // Set-up: the QR code and the key to type by hand.
  await methods.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
  await expect(methods.getByRole('heading', { name: 'Set up your authenticator app' })).toBeVisible();
  const qr = methods.getByRole('img', { name: 'QR code for setting up your authenticator app' });
  await expect(qr).toBeVisible();
  expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml,/);
  const secret = await methods.locator('#totp-secret').getAttribute('data-secret');
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  expect((await methods.locator('#totp-secret').innerText()).replace(/\s/g, '')).toBe(secret);
  await capture(page, 'two-factor-setup');

  // A wrong code is refused next to the field; the app's code turns it on.
  const app = authenticator(secret);
  const codeField = methods.getByLabel('Code from the app');
  await codeField.fill('12');
  await methods.getByRole('button', { name: 'Turn on', exact: true }).click();
  await expect(methods.locator('#totp_code-error')).toBeVisible();
  await codeField.fill(await app.code());
  await methods.getByRole('button', { name: 'Turn on', exact: true }).click();

  // The recovery codes, once.
  await expect(methods.getByRole('heading', { name: 'Your recovery codes' })).toBeVisible();
  const codes = await methods.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allInnerTexts();
  expect(codes).toHaveLength(10);
  for (const code of codes) expect(code).toMatch(/^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/);
  await expect(methods.getByRole('button', { name: 'Download' })).toBeVisible();
  await capture(page, 'two-factor-codes');
  const download = page.waitForEvent('download');
  await methods.getByRole('button', { name: 'Download' }).click();
  expect((await download).suggestedFilename()).toBe('neoforge-recovery-codes.txt');
  await methods.getByRole('button', { name: 'I have saved them' }).click();
  await expect(methods.getByText('10 recovery codes are left.')).toBeVisible();
  const me = await api('GET', '/api/users/me', { token: user.token });
  expect(me.body.mfa_enabled).toBe(true);

  // The password alone no longer signs in: the app's next code does.
  await signOut(page);
  await passwordStep(page, user);
  await capture(page, 'two-factor-sign-in');
  await page.getByLabel('Code', { exact: true }).fill(await app.code());
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: 'Your todos' })).toBeVisible();
  await expect(page).toHaveURL(/\/app$/);

  // A wrong code is refused; a recovery code, typed in capitals, signs in once.
  await signOut(page);
  await passwordStep(page, user);
  const code = page.getByLabel('Code', { exact: true });
  await code.fill('0000-0000-0000-0000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('#code-error')).toContainText('That code is not right');
  await expect(code).toBeFocused();
  await code.fill(codes[0].toUpperCase());
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: 'Your todos' })).toBeVisible();

  // Settings count the used code; turning it off takes the password.
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(methods.getByText('9 recovery codes are left.')).toBeVisible();
  await methods.getByRole('button', { name: 'Turn off', exact: true }).click();
  await methods.getByLabel('Your password, to confirm').fill(user.password);
  await methods.getByRole('button', { name: 'Turn off two-factor authentication' }).click();
  await expect(methods.getByRole('button', { name: 'Turn on two-factor authentication' })).toBeVisible();
  const login = await api('POST', '/api/auth/login', { body: { email: user.email, password: user.password } });
  expect(login.status).toBe(200);
});

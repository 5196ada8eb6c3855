// A session that signed in long ago confirms the password before a sensitive change (here,
// creating an API key): the dialog asks, a wrong password is said so, cancelling changes
// nothing, and the change goes through once confirmed.
import { expect, test } from '@playwright/test';
import { ageSignIn, api, capture, createUser, signInThroughUi } from './helpers.mjs';

test('an old session confirms the password before creating an API key', async ({ page }) => {
  const user = await createUser('reauth');
  await signInThroughUi(page, user);
  await page.getByRole('link', { name: 'Settings' }).click();
  const section = page.getByRole('region', { name: 'API keys' });
  await section.getByLabel('What is this key for?').fill('after a while');
  ageSignIn(user.id);

  // Cancelling leaves things as they were, with no error.
  await section.getByRole('button', { name: 'Create key' }).click();
  const confirm = page.getByRole('dialog', { name: 'Confirm it is you' });
  await expect(confirm).toBeVisible();
  await expect(confirm.getByLabel('Password')).toBeFocused();
  await capture(page, 'reauth');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toHaveCount(0);
  await expect(section.getByRole('alert')).toHaveCount(0);
  expect((await api('GET', '/api/users/me/api-keys', { token: user.token })).body.total).toBe(0);

  await section.getByRole('button', { name: 'Create key' }).click();
  await confirm.getByLabel('Password').fill('not my password');
  await confirm.getByRole('button', { name: 'Confirm' }).click();
  await expect(confirm.getByText('That is not your password.')).toBeVisible();
  await confirm.getByLabel('Password').fill(user.password);
  await confirm.getByRole('button', { name: 'Confirm' }).click();

  await expect(confirm).toHaveCount(0);
  await expect(page.getByRole('dialog', { name: 'Your new key “after a while”' })).toBeVisible();
  expect((await api('GET', '/api/users/me/api-keys', { token: user.token })).body.total).toBe(1);
});

// "Plan with AI": free text in, proposed todos out, the chosen ones added like typed ones.
// scripts/e2e points the server at e2e/fake-llm.mjs, which proposes one todo per line.
import { expect, test } from '@playwright/test';
import { allTodos, capture, createUser, signInThroughUi } from './helpers.mjs';

const list = (page) => page.getByRole('list', { name: 'Todos' });
const item = (page, title) => list(page).getByRole('listitem').filter({ hasText: title });
const planner = (page) => page.getByRole('dialog', { name: 'Plan with AI' });

// One account for the file: every spec signs up from the same address, under its limit.
let user;
test.beforeAll(async () => {
  user = await createUser('planner');
});

test('paste text, see the proposals, leave one out, add the rest', async ({ page }) => {
  await signInThroughUi(page, user);
  await expect(page.getByText('Nothing to do yet')).toBeVisible();
  const open = page.getByRole('button', { name: 'Plan with AI' });
  await open.click();
  const dialog = planner(page);
  await expect(dialog).toBeVisible();
  const text = dialog.getByLabel('Your notes, an email or a goal');
  await expect(text).toBeFocused();

  const markup = '<img src=x onerror="window.__pwned=1">';
  await text.fill(`Before the trip:\n- Renew the passport\n- ${markup}\n- Book the dentist`);
  await capture(page, 'plan-text');
  await dialog.getByRole('button', { name: 'Propose todos' }).click();

  await expect(dialog.getByRole('heading', { name: '4 proposed todos' })).toBeFocused();
  const boxes = dialog.getByRole('checkbox');
  await expect(boxes).toHaveCount(4);
  for (const box of await boxes.all()) await expect(box).toBeChecked();
  // A title from the model is text, never markup.
  await expect(dialog.getByText(markup, { exact: true })).toBeVisible();
  expect(await page.locator('todos-page img').count()).toBe(0);
  // The pointer still rests where "Propose todos" was; axe checks the resting colours.
  await page.mouse.move(0, 0);
  await capture(page, 'plan-proposals');

  await dialog.getByRole('checkbox', { name: 'Before the trip:' }).uncheck();
  await dialog.getByRole('button', { name: 'Add selected (3)' }).click();
  await expect(dialog).toBeHidden();
  await expect(open).toBeFocused();

  // The list reads as the plan did, newest first; every todo is saved on the server.
  const rows = list(page).getByRole('listitem');
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toContainText('Renew the passport');
  await expect(rows.nth(1)).toContainText(markup);
  await expect(rows.nth(2)).toContainText('Book the dentist');
  await expect(item(page, 'Before the trip:')).toHaveCount(0);
  await expect(page.getByTestId('stats')).toHaveText(/3 active · 0 completed · 3 in all/);
  const saved = await allTodos(user.token);
  expect(saved.map((t) => t.title).sort()).toEqual(['Book the dentist', 'Renew the passport', markup].sort());
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
});

test('the dialog says what went wrong, and Escape closes it', async ({ page }) => {
  await signInThroughUi(page, user);
  const before = (await allTodos(user.token)).length;
  const open = page.getByRole('button', { name: 'Plan with AI' });
  await open.click();
  const dialog = planner(page);
  await dialog.getByRole('button', { name: 'Propose todos' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('Paste or write some text first.');
  await expect(dialog.getByLabel('Your notes, an email or a goal')).toHaveAttribute('aria-invalid', 'true');

  await page.route('**/api/assistant/plan', (route) =>
    route.fulfill({
      status: 429,
      headers: { 'Retry-After': '3600' },
      contentType: 'application/problem+json',
      body: JSON.stringify({
        type: 'about:blank',
        title: 'Too Many Requests',
        status: 429,
        detail: 'You have used all 50 plans of your daily quota. Try again in 60 minutes.',
      }),
    }),
  );
  await dialog.getByLabel('Your notes, an email or a goal').fill('Plan my week');
  await dialog.getByRole('button', { name: 'Propose todos' }).click();
  await expect(dialog.getByRole('alert')).toContainText('used all 50 plans');

  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(open).toBeFocused();
  expect(await allTodos(user.token)).toHaveLength(before);
});

test('without an assistant on the server, the button is not there', async ({ page }) => {
  await page.route('**/api/assistant', (route) => route.fulfill({ json: { available: false } }));
  await signInThroughUi(page, user);
  await expect(page.getByTestId('stats')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Plan with AI' })).toHaveCount(0);
});

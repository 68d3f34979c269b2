// Regressions: bugs these tests found in the pages, written as the behaviour a user should get.
// Each of these was a bug found by these tests (first written as knownBug(...), see
// ../lib.mjs); they now guard the fixes.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TENANT, launch, newestMailTo, openPage, text } from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The sheet of the n-th school of the list. */
async function openSchool(page, n) {
  await page.goto(`/t/${TENANT}`);
  const href = await page.locator('main table a').nth(n).getAttribute('href');
  await page.goto(href);
  return href;
}

async function propose(page, field, value, vintage = '2024-2025') {
  await page.getByLabel('Millésime', { exact: true }).fill(vintage);
  await page.getByLabel('Champ').selectOption({ label: field });
  await page.getByLabel('Valeur').fill(value);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.waitForEvent('load'),
    page.getByRole('button', { name: 'Proposer' }).click(),
  ]);
  return response;
}

test('an out-of-range value is reported once', async (t) => {
  const page = await openPage(t, browser);
  await openSchool(page, 4);
  await propose(page, 'Enseignants', '-5');
  const message = await text(page.getByRole('alert'));
  assert.equal(message.split('doit valoir au moins 0').length - 1, 1, message);
});

test('after an invalid value the form is shown again with what was typed', async (t) => {
  const page = await openPage(t, browser);
  await openSchool(page, 4);
  await propose(page, 'Enseignants', '-5');
  await page.getByRole('alert').waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Proposer une donnée' }).count(), 1);
  assert.equal(await page.getByLabel('Valeur').inputValue(), '-5');
});

test('error messages on a French page are in French', async (t) => {
  const page = await openPage(t, browser);
  await openSchool(page, 4);
  await page.getByLabel('Votre e-mail (facultatif, privé)').evaluate((el) => { el.type = 'text'; });
  await page.getByLabel('Votre e-mail (facultatif, privé)').fill('pas-une-adresse');
  await propose(page, 'Enseignants', '12');
  const message = await text(page.getByRole('alert'));
  assert.doesNotMatch(message, /is not an|unreadable|^email:|^value:/, message);
});

test('reloading the thank-you page does not file the proposal a second time', async (t) => {
  const page = await openPage(t, browser);
  await openSchool(page, 5);
  const before = await page.locator('tr', { hasText: 'AESH' }).count();
  await propose(page, 'AESH', '3');
  await page.reload();
  assert.equal(await page.locator('tr', { hasText: 'AESH' }).count(), before + 1);
});

test('the language link works on the page shown after a proposal', async (t) => {
  const page = await openPage(t, browser);
  await openSchool(page, 5);
  await propose(page, 'AESH', '4');
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().isNavigationRequest() && r.url().includes('lang=en')),
    page.locator('header a[hreflang="en"]').click(),
  ]);
  assert.equal(response.status(), 200);
  await page.getByRole('heading', { name: 'Propose a value' }).waitFor();
});

test('each page has one main landmark', async (t) => {
  const page = await openPage(t, browser);
  await page.goto('/');
  assert.equal(await page.getByRole('main').count(), 1);
});

test('the language link on the address-confirmed page keeps the page', async (t) => {
  const page = await openPage(t, browser);
  const email = `lang.${Date.now()}${process.pid}@example.org`;
  const registered = await page.request.post('/register', {
    form: { email, display_name: 'Lang E2E', password: 'une phrase de passe assez longue' },
  });
  assert.equal(registered.status(), 201);
  const link = (await newestMailTo(email)).body.match(/https?:\/\/\S+\/verify\?token=[0-9a-f]+/)[0];
  await page.goto(link);
  await page.getByRole('status').waitFor();
  await Promise.all([page.waitForURL(/lang=en/), page.locator('header a[hreflang="en"]').click()]);
  assert.equal(await page.getByRole('alert').count(), 0, await page.getByRole('alert').allInnerTexts().then(String));
});

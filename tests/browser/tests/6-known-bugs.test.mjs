// Bugs these tests found in the pages, written as the behaviour a user should get. Each is a
// knownBug(...) (see ../lib.mjs): reported as TODO while the bug is there, failing once it is
// fixed so that it becomes a plain test guarding the fix.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { TENANT, knownBug, launch, newestMailTo, openPage, text } from '../lib.mjs';

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
  await page.getByLabel('Millésime').fill(vintage);
  await page.getByLabel('Champ').selectOption({ label: field });
  await page.getByLabel('Valeur').fill(value);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.waitForEvent('load'),
    page.getByRole('button', { name: 'Proposer' }).click(),
  ]);
  return response;
}

knownBug('an out-of-range value is reported once',
  '« Enseignants » doit valoir au moins 0 (valeur reçue : -5). is shown twice, joined by « · »', async (t) => {
  const page = await openPage(t, browser);
  await openSchool(page, 4);
  await propose(page, 'Enseignants', '-5');
  const message = await text(page.getByRole('alert'));
  assert.equal(message.split('doit valoir au moins 0').length - 1, 1, message);
});

knownBug('after an invalid value the form is shown again with what was typed',
  'the error is a bare message page (only a link « Accueil »); the form and the input are gone', async (t) => {
  const page = await openPage(t, browser);
  await openSchool(page, 4);
  await propose(page, 'Enseignants', '-5');
  await page.getByRole('alert').waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Proposer une donnée' }).count(), 1);
  assert.equal(await page.getByLabel('Valeur').inputValue(), '-5');
});

knownBug('error messages on a French page are in French',
  "« email: 'pas-une-adresse' is not an e-mail address: expected name@domain.tld » (English, with the internal field name) on a French page", async (t) => {
  const page = await openPage(t, browser);
  await openSchool(page, 4);
  await page.getByLabel('Votre e-mail (facultatif, privé)').evaluate((el) => { el.type = 'text'; });
  await page.getByLabel('Votre e-mail (facultatif, privé)').fill('pas-une-adresse');
  await propose(page, 'Enseignants', '12');
  const message = await text(page.getByRole('alert'));
  assert.doesNotMatch(message, /is not an|unreadable|^email:|^value:/, message);
});

knownBug('reloading the thank-you page does not file the proposal a second time',
  'the proposal is answered at the POST URL (no redirect), so a reload posts it again: two pending lines', async (t) => {
  const page = await openPage(t, browser);
  await openSchool(page, 5);
  const before = await page.locator('tr', { hasText: 'AESH' }).count();
  await propose(page, 'AESH', '3');
  await page.reload();
  assert.equal(await page.locator('tr', { hasText: 'AESH' }).count(), before + 1);
});

knownBug('the language link works on the page shown after a proposal',
  'it leads to GET …/contribute?lang=en, answered « method not allowed » (405)', async (t) => {
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

knownBug('each page has one main landmark',
  'base.html wraps the footer in a second <main class="muted">', async (t) => {
  const page = await openPage(t, browser);
  await page.goto('/');
  assert.equal(await page.getByRole('main').count(), 1);
});

knownBug('the language link on the address-confirmed page keeps the page',
  'it leads to /verify?lang=en (the token dropped), which says « This link is invalid or has expired. »', async (t) => {
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

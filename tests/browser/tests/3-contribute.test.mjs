// 3. A visitor who is not signed in proposes a value with the sheet's form: the page thanks
// them and the history lists the proposal as pending; an invalid value gives an error message,
// never a server error, and is not recorded.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TENANT, launch, openPage, tableRows, text } from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Opens the sheet of the n-th school of the collective's list; returns its path. */
async function openSchool(page, n) {
  await page.goto(`/t/${TENANT}`);
  const link = page.locator('main table a').nth(n);
  const href = await link.getAttribute('href');
  await Promise.all([page.waitForURL(`**${href}`), link.click()]);
  return href;
}

/** Fills and sends the « Proposer une donnée » form; returns the response to the POST. */
async function propose(page, { vintage, field, value, source = '', email = '' }) {
  const form = page.locator('form', { has: page.getByRole('button', { name: 'Proposer' }) });
  await form.getByLabel('Millésime', { exact: true }).fill(vintage);
  await form.getByLabel('Champ').selectOption({ label: field });
  await form.getByLabel('Valeur').fill(value);
  await form.getByLabel('Source (lien, document)').fill(source);
  await form.getByLabel('Votre e-mail (facultatif, privé)').fill(email);
  // The answer to the POST, and the load of the page it brings (not the page still showing).
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/contribute')),
    page.waitForEvent('load'),
    form.getByRole('button', { name: 'Proposer' }).click(),
  ]);
  return response;
}

const historyRows = async (page) =>
  (await tableRows(page.locator('.card', { has: page.getByRole('heading', { name: 'Historique complet' }) }).locator('table'))).slice(1);

test('a visitor proposes a value; it is listed as pending in the history', async (t) => {
  const page = await openPage(t, browser);
  const href = await openSchool(page, 2);
  const before = await historyRows(page);

  // Not signed in: the form asks for an optional private e-mail.
  await page.getByRole('heading', { name: 'Proposer une donnée' }).waitFor();
  // The current school year (it starts on 1 September), not the plugin's first example.
  const now = new Date();
  const start = now.getUTCMonth() >= 8 ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
  assert.equal(await page.getByLabel('Millésime', { exact: true }).inputValue(), `${start}-${start + 1}`,
    'the form suggests the current school year');
  const response = await propose(page, {
    vintage: '2024-2025', field: 'Enseignants', value: '12',
    source: 'https://example.org/conseil-ecole-2024.pdf', email: 'parent.e2e@example.org',
  });
  assert.ok(response.status() < 400, `POST answered ${response.status()}`);

  const flash = page.getByRole('status');
  assert.match(await text(flash), /^Merci ! Votre proposition attend la validation d'un garant ou d'un citoyen certifié/);
  assert.equal(await page.locator('main h1').count(), 1);

  const after = await historyRows(page);
  assert.equal(after.length, before.length + 1, 'one more line in the history');
  // Newest first: When | Field | Vintage | Value | Who | State
  const [when, field, vintage, value, who, state] = after[0];
  assert.match(when, /^\d{4}-\d{2}-\d{2}$/);
  assert.deepEqual([field, vintage, value, who, state], ['Enseignants', '2024-2025', '12', '—', 'en attente']);
  // The contact e-mail is private: it is nowhere on the page.
  assert.equal(await page.getByText('parent.e2e@example.org').count(), 0);
  // A pending proposal is not a current value: no « Enseignants » row in the table of values.
  const values = await tableRows(page.locator('table.grid'));
  assert.equal(values.some((r) => r[0].startsWith('Enseignants')), false);

  // The proposal is public: a fresh visit of the sheet lists it too.
  await page.goto(href);
  const again = await historyRows(page);
  assert.deepEqual(again[0].slice(1), ['Enseignants', '2024-2025', '12', '—', 'en attente']);
  assert.deepEqual(page.problems, []);
});

test('an invalid value shows an error message, no server error, and nothing is recorded', async (t) => {
  const page = await openPage(t, browser);
  const href = await openSchool(page, 3);
  const before = await historyRows(page);

  const response = await propose(page, { vintage: '2024-2025', field: 'Enseignants', value: '-5' });
  assert.equal(response.status(), 400);
  const alert = page.getByRole('alert');
  assert.match(await text(alert), /« Enseignants » doit valoir au moins 0 \(valeur reçue : -5\)/);
  assert.equal(await page.getByRole('status').count(), 0, 'no thank-you message');

  // Not a number at all.
  await page.goto(href);
  const notANumber = await propose(page, { vintage: '2024-2025', field: 'Enseignants', value: 'douze' });
  assert.equal(notANumber.status(), 400);
  assert.match(await text(page.getByRole('alert')), /Enseignants.*douze/);

  // Not a school year.
  await page.goto(href);
  const badYear = await propose(page, { vintage: 'l’an dernier', field: 'Enseignants', value: '12' });
  assert.equal(badYear.status(), 400);
  assert.match(await text(page.getByRole('alert')), /n'est pas une année scolaire/);

  await page.goto(href);
  assert.deepEqual(await historyRows(page), before, 'the history is unchanged');
  assert.deepEqual(page.problems, []);
});

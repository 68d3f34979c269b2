// 1. The home page, in French by default, lists the demo collective; the language link switches
// to English, and the choice sticks while the visitor navigates.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TENANT, launch, openPage, text } from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('home page in French lists the demo collective; English sticks after navigation', async (t) => {
  const page = await openPage(t, browser);

  const home = await page.goto('/');
  assert.equal(home.status(), 200);
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  assert.equal(await text(page.locator('main h1')), 'Collectifs');
  await page.getByText('Des faits publics sur les services publics, tenus par les citoyens.').waitFor();
  const demo = page.locator(`main a[href="/t/${TENANT}"]`);
  assert.equal(await text(demo), 'Écoles de Marseille (démo)');
  assert.equal(await text(demo.locator('xpath=..').locator('.tag')), 'démo');
  assert.match(await text(page.locator('header')), /Se connecter.*Créer un compte.*EN/);

  // The language link in the header says where it goes.
  const toEnglish = page.locator('header a[hreflang="en"]');
  assert.equal(await text(toEnglish), 'EN');
  await Promise.all([page.waitForURL(/\?lang=en$/), toEnglish.click()]);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.equal(await text(page.locator('main h1')), 'Collectives');
  await page.getByText('Public facts about public services, kept by citizens.').waitFor();
  assert.equal(await text(page.locator('main .tag').first()), 'demo');
  assert.match(await text(page.locator('header')), /Sign in.*Create an account.*FR/);

  // Follow plain links (no ?lang= in them): the pages stay in English.
  await Promise.all([page.waitForURL(`**/t/${TENANT}`), demo.click()]);
  assert.equal(new URL(page.url()).search, '');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await page.getByRole('heading', { name: 'Map' }).waitFor();
  await page.getByRole('heading', { name: /^Facilities \(\d+\)$/ }).waitFor();
  assert.equal(await text(page.locator('header a[hreflang="fr"]')), 'FR');

  await Promise.all([page.waitForURL(/\/o\/\d+$/), page.locator('main table a').first().click()]);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await page.getByRole('heading', { name: 'Data by vintage' }).waitFor();
  await page.getByRole('heading', { name: 'Propose a value' }).waitFor();
  await page.getByRole('heading', { name: 'Full history' }).waitFor();

  // A fresh visit of the home page (typed address) is still in English.
  await page.goto('/');
  assert.equal(await text(page.locator('main h1')), 'Collectives');

  // And the link back to French works the same way.
  await Promise.all([page.waitForURL(/\?lang=fr$/), page.locator('header a[hreflang="fr"]').click()]);
  assert.equal(await text(page.locator('main h1')), 'Collectifs');
  await page.goto(`/t/${TENANT}`);
  await page.getByRole('heading', { name: 'Carte' }).waitFor();

  assert.deepEqual(page.problems, []);
});

// 11. The moderation desk (issue 13): a citizen proposes a value on a school's sheet and the
// school's Certified citizen, led by the header's « À modérer » count, accepts it from the desk;
// a Garant publishes a request from the desk, then merges a second one like it into it, using
// the duplicate the desk proposes beside it. axe-core finds no serious or critical violation
// on the desk. On a desktop and on a phone.
//
// The demo collective is shared with the other test files: these tests find their own items by
// their ids and words, never by their place in a list.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { BASE, TENANT, launch, newestMailTo, openPage, text, vigie } from '../lib.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const PASSWORD = 'une phrase de passe assez longue';
const stamp = () => `${Date.now()}${process.pid}`.slice(-9);

/** Registers and verifies an account; returns its e-mail. */
async function account(page, name) {
  const email = `${name.toLowerCase().replace(/[^a-z]+/g, '.').replace(/^\.+|\.+$/g, '')}.${stamp()}@example.org`;
  const r = await page.request.post('/register', { form: { email, display_name: name, password: PASSWORD } });
  assert.equal(r.status(), 201);
  const link = (await newestMailTo(email)).body.match(/https?:\/\/\S+\/verify\?token=[0-9a-f]+/)[0];
  await page.goto(link);
  return email;
}

async function signIn(page, email) {
  await page.goto('/login');
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await Promise.all([page.waitForURL(`${BASE}/`), page.locator('main').getByRole('button', { name: 'Se connecter' }).click()]);
}

/** Submits `form` with the button named `button`; returns the answer to the POST. */
async function submit(page, form, button) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.waitForEvent('load'),
    form.getByRole('button', { name: button, exact: true }).click(),
  ]);
  return response;
}

/** The id and name of the n-th school of the collective's list. */
async function school(page, n) {
  await page.goto(`/t/${TENANT}`);
  const link = page.locator('main table#objects-list a').nth(n);
  const href = await link.getAttribute('href');
  return { id: Number(href.match(/\/o\/(\d+)$/)[1]), name: await text(link), href };
}

/** The serious and critical violations axe finds on the page, as readable lines. */
async function violations(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

/** A request filed through the API by the signed-in user of `page`; its id. */
async function fileRequest(page, objectId, title) {
  const r = await page.request.post(`/api/v1/tenants/${TENANT}/objects/${objectId}/requests`, {
    data: {
      kind: 'intervention',
      title,
      description: `${title} : la grille du portail ne ferme plus depuis la semaine dernière.`,
    },
  });
  assert.equal(r.status(), 201, await r.text());
  return (await r.json()).request.id;
}

for (const [label, options, n] of [['desktop', {}, 5], ['phone', PHONE, 7]]) {
  test(`a citizen proposes a value and the school's Certified citizen accepts it from the desk (${label})`, async (t) => {
    const citizen = await openPage(t, browser, options);
    await signIn(citizen, await account(citizen, 'Parent Desk'));
    const { id, name, href } = await school(citizen, n);
    const value = String(20 + (Number(stamp()) % 60));
    await citizen.goto(href);
    const form = citizen.locator('form', { has: citizen.getByRole('button', { name: 'Proposer' }) });
    await form.getByLabel('Millésime', { exact: true }).fill('2025-2026');
    await form.getByLabel('Champ').selectOption({ label: 'Enseignants' });
    await form.getByLabel('Valeur').fill(value);
    assert.equal((await submit(citizen, form, 'Proposer')).status(), 303);

    // The school's Certified citizen sees the count in the header and opens the desk from it.
    const relay = await openPage(t, browser, options);
    const email = await account(relay, 'Relais Desk');
    vigie('role', 'grant', '--role', 'certified', '--user', email, '--tenant', TENANT, '--type', 'schools', '--object', String(id));
    await signIn(relay, email);
    await relay.goto(`/t/${TENANT}`);
    const badge = relay.locator('header a.desk-link');
    assert.match(await text(badge), /^À modérer \d+ en attente$/);
    await Promise.all([relay.waitForURL(`**/t/${TENANT}/desk`), badge.click()]);
    await relay.getByRole('heading', { level: 1, name: 'Bureau de modération' }).waitFor();

    const item = relay.locator('#d-contributions article', { hasText: name })
      .filter({ has: relay.locator('strong.desk-value', { hasText: new RegExp(`^${value}$`) }) });
    assert.equal(await item.count(), 1, 'the proposal is on the desk, once');
    assert.match(await text(item.getByRole('heading')), /Enseignants \(2025-2026\)$/);
    const before = Number((await text(relay.locator('header a.desk-link .count'))).match(/^\d+/)[0]);
    const answer = await submit(relay, item.locator('form', { has: relay.getByRole('button', { name: 'Accepter' }) }), 'Accepter');
    assert.equal(answer.status(), 303);
    assert.equal(await text(relay.getByRole('status')), 'Proposition acceptée.');
    assert.equal(await relay.locator('#d-contributions article', { hasText: name })
      .filter({ has: relay.locator('strong.desk-value', { hasText: new RegExp(`^${value}$`) }) }).count(), 0);
    const badgeAfter = relay.locator('header a.desk-link .count');
    if (await badgeAfter.count()) {
      assert.ok(Number((await text(badgeAfter)).match(/^\d+/)[0]) < before, 'one less waits');
    }

    // The public sheet shows the value as validated.
    const visitor = await openPage(t, browser, options);
    await visitor.goto(href);
    const history = visitor.locator('.card', { has: visitor.getByRole('heading', { name: 'Historique complet' }) }).locator('tr', { hasText: '2025-2026' })
      .filter({ hasText: 'Enseignants' }).filter({ hasText: value });
    assert.match(await text(history.first()), /validée$/);
    assert.deepEqual([...citizen.problems, ...relay.problems, ...visitor.problems], []);
  });

  test(`a Garant publishes a request from the desk and merges its duplicate into it (${label})`, async (t) => {
    const citizen = await openPage(t, browser, options);
    await signIn(citizen, await account(citizen, 'Parent Portail'));
    const { id: objectId } = await school(citizen, n - 1);
    const words = `Portail bloqué ${stamp()}`;
    const kept = await fileRequest(citizen, objectId, words);

    const garant = await openPage(t, browser, options);
    const email = await account(garant, 'Garante Desk');
    vigie('role', 'grant', '--role', 'garant', '--user', email, '--tenant', TENANT, '--type', 'schools');
    await signIn(garant, email);
    await garant.goto(`/t/${TENANT}/desk`);
    const first = garant.locator(`#request-${kept}`);
    await first.getByRole('radio', { name: 'Publier' }).check();
    assert.equal((await submit(garant, first.locator('form', { has: garant.getByRole('radio', { name: 'Publier' }) }), 'Enregistrer la décision')).status(), 303);
    assert.equal(await text(garant.getByRole('status')), 'Décision enregistrée.');
    assert.equal(await garant.locator(`#request-${kept}`).count(), 0, 'published: no longer waiting');

    // A second request like it: the desk proposes the first as its duplicate; merge it there.
    const duplicate = await fileRequest(citizen, objectId, `${words} encore`);
    await garant.goto(`/t/${TENANT}/desk`);
    const second = garant.locator(`#request-${duplicate}`);
    const proposed = second.locator('.desk-duplicates li', { has: garant.locator(`a[href="/t/${TENANT}/r/${kept}"]`) });
    assert.equal(await proposed.count(), 1, 'the published request is proposed as a duplicate');
    assert.equal((await submit(garant, proposed, `Fusionner dans celle-ci — Demande n° ${kept}`)).status(), 303);
    assert.equal(await text(garant.getByRole('status')), 'Demande fusionnée.');
    assert.equal(await garant.locator(`#request-${duplicate}`).count(), 0);

    const r = await garant.request.get(`/api/v1/tenants/${TENANT}/requests/${duplicate}`);
    assert.equal((await r.json()).request.merged_into, kept);
    assert.deepEqual([...citizen.problems, ...garant.problems], []);
  });
}

for (const [label, options] of [['desktop', {}], ['phone', PHONE]]) {
  for (const lang of ['fr', 'en']) {
    test(`no serious accessibility violation on the desk (${label}, ${lang})`, async (t) => {
      const citizen = await openPage(t, browser, options);
      await signIn(citizen, await account(citizen, 'Parent Axe'));
      const { id } = await school(citizen, 1);
      await fileRequest(citizen, id, `Fenêtre cassée ${stamp()}`);

      const garant = await openPage(t, browser, { ...options, bypassCSP: true });
      const email = await account(garant, 'Garant Axe');
      vigie('role', 'grant', '--role', 'garant', '--user', email, '--tenant', TENANT, '--type', 'schools');
      await signIn(garant, email);
      await garant.goto(`/t/${TENANT}/desk?lang=${lang}`);
      await garant.locator('#d-requests article').first().waitFor();
      assert.deepEqual(await violations(garant), [], 'the desk');
      assert.deepEqual(garant.problems, []);
    });
  }
}

// 13. In the school yard (issue 13): a quick report with a photo in three taps on a phone, the
// similar open requests shown before sending, and — without network — a report kept on the
// phone, the page reloaded, the network restored, and the report on the server exactly once,
// even when the phone sends it again. Installable: a manifest and a service worker.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BASE, SCREENSHOTS, TENANT, launch, openPage, vigie } from '../lib.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** A demo school with a position, and a point about 150 m north of it. */
async function schoolNearby() {
  const schools = await (await fetch(`${BASE}/api/v1/tenants/${TENANT}/objects`)).json();
  const school = schools.filter((s) => s.latitude != null).at(-3);
  return { school, here: { latitude: school.latitude + 0.00135, longitude: school.longitude } };
}

let guruCookie;
/** The collective's requests with this title, as a Guru sees them (awaiting moderation too). */
async function requestsTitled(title) {
  if (!guruCookie) {
    const email = `guru.rapide.${Date.now()}${process.pid}@example.org`;
    const password = 'une phrase de passe assez longue';
    vigie('user', 'create', '--email', email, '--password', password, '--name', 'Guru rapide', '--guru');
    const r = await fetch(`${BASE}/api/v1/session`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }),
    });
    assert.equal(r.status, 200);
    guruCookie = r.headers.get('set-cookie').split(';')[0];
  }
  const list = await (await fetch(`${BASE}/api/v1/tenants/${TENANT}/requests`, { headers: { cookie: guruCookie } })).json();
  return list.filter((r) => r.title === title);
}

/** A real JPEG photo: a screenshot of part of the page. */
async function photo(page) {
  return page.screenshot({ type: 'jpeg', quality: 80, clip: { x: 0, y: 0, width: 120, height: 90 } });
}

test('a quick report with a photo takes three taps on a phone, and the photo shows on the request', async (t) => {
  const { school, here } = await schoolNearby();
  const page = await openPage(t, browser, { ...PHONE, geolocation: here, permissions: ['geolocation'] });
  const sent = [];
  page.on('request', (r) => sent.push(r.url()));
  await page.goto(`/t/${TENANT}`);
  // From the collective's page, its button opens the quick report.
  await Promise.all([page.waitForURL(/\/report$/), page.getByRole('link', { name: 'Signaler en 3 gestes' }).tap()]);
  // The nearest places are proposed, nearest first and chosen, from where the phone stands.
  const nearest = page.getByRole('radio', { name: new RegExp(school.name.replace(/[()]/g, '\\$&')) });
  await nearest.waitFor();
  assert.ok(await nearest.isChecked(), 'the nearest place is chosen');
  const send = page.getByRole('button', { name: 'Envoyer' });
  const box = await send.boundingBox();
  assert.ok(box.y + box.height <= 844, `the send button is on the first screen (bottom at ${box.y + box.height}px)`);
  const jpeg = await photo(page);

  // Tap 1: the photo (the camera, or the gallery).
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByText('Prendre ou choisir une photo').tap()]);
  await chooser.setFiles({ name: 'preau.jpg', mimeType: 'image/jpeg', buffer: jpeg });
  await page.locator('#q-thumb').waitFor();
  // Tap 2: the place (the nearest, already proposed).
  await nearest.tap();
  // The kind of the common case is chosen; a short title.
  assert.equal(await page.getByLabel('Type de demande').inputValue(), 'intervention');
  const title = `Fuite sous le préau ${Date.now()}`;
  await page.getByLabel('En quelques mots').fill(title);
  // Tap 3: send.
  await Promise.all([page.waitForURL(/\/r\/\d+\?/), send.tap()]);
  await page.getByRole('heading', { name: title }).waitFor();
  const thumb = page.locator('img.thumb');
  await thumb.waitFor();
  // Loaded lazily: once scrolled to, the photo arrives and shows.
  await thumb.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => {
    const img = document.querySelector('img.thumb');
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 10_000 });
  await page.screenshot({ path: join(SCREENSHOTS, 'quick-report-filed.png'), fullPage: true });
  assert.equal((await requestsTitled(title)).length, 1);
  // The position never left the phone.
  const lat = String(here.latitude).slice(0, 7);
  assert.deepEqual(sent.filter((u) => u.includes(lat)), [], 'no request carries the position');

  // Published by a moderator, it is an open request like any other…
  const [filed] = await requestsTitled(title);
  const published = await fetch(`${BASE}/api/v1/tenants/${TENANT}/requests/${filed.id}/moderation`, {
    method: 'POST', headers: { 'content-type': 'application/json', cookie: guruCookie }, body: JSON.stringify({ decision: 'publish' }),
  });
  assert.equal(published.status, 200, await published.text());
  // …and the same report again shows it before anything is sent.
  await page.goto(`/t/${TENANT}/report?o=${school.id}`);
  await page.getByLabel('En quelques mots').fill(title);
  await page.getByRole('button', { name: 'Envoyer' }).tap();
  const similar = page.locator('#similar-slot');
  await similar.getByRole('link', { name: title }).waitFor();
  await similar.getByRole('button', { name: /Moi aussi/ }).waitFor();
  assert.match(page.url(), /\/report\?o=\d+$/, 'nothing was sent');
  await page.getByRole('button', { name: 'Déposer quand même' }).waitFor();
  assert.equal((await requestsTitled(title)).length, 1);
  assert.deepEqual(page.problems, []);
});

test('offline, a quick report waits on the phone and reaches the server exactly once when the network returns', async (t) => {
  const { school, here } = await schoolNearby();
  const page = await openPage(t, browser, { ...PHONE, geolocation: here, permissions: ['geolocation'] });
  const context = page.context();
  await page.goto(`/t/${TENANT}/report?o=${school.id}`);
  // Installable: the manifest, and the service worker in control once the page is opened again.
  const manifest = await (await fetch(`${BASE}/manifest.webmanifest`)).json();
  assert.equal(manifest.name, 'Vigie');
  assert.equal(manifest.start_url, '/');
  assert.ok(manifest.icons.length > 0);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'the worker controls the page');

  await context.setOffline(true);
  const title = `Vitre cassée hors ligne ${Date.now()}`;
  await page.getByLabel('En quelques mots').fill(title);
  await page.getByRole('button', { name: 'Envoyer' }).tap();
  await page.getByText("Pas de réseau : c'est enregistré sur ce téléphone").waitFor();
  assert.match(page.url(), /\/report\?o=\d+$/);
  const kept = await page.evaluate(() => window.vigieOutbox.db('readonly', (s) => s.getAll()));
  assert.equal(kept.length, 1);
  assert.equal(kept[0].title, title);

  // Reloaded without network: the page opens (seen before), and says what waits.
  await page.reload();
  const outbox = page.locator('#outbox');
  await outbox.getByText(title).waitFor();
  assert.match(await outbox.innerText(), /En attente sur ce téléphone/);
  assert.equal((await requestsTitled(title)).length, 0, 'nothing reached the server yet');

  // The network returns: sent by itself, once.
  await context.setOffline(false);
  await outbox.getByRole('link', { name: new RegExp(title) }).waitFor({ timeout: 15_000 });
  assert.match(await outbox.innerText(), /Envoyé/);
  const filed = await requestsTitled(title);
  assert.equal(filed.length, 1);

  // The answer was lost and the phone sends it again, with its key: still one request.
  const again = { ...kept[0], state: 'waiting' };
  await page.evaluate((e) => window.vigieOutbox.db('readwrite', (s) => s.put(e)), again);
  await page.evaluate(() => window.vigieOutbox.flush());
  assert.equal((await requestsTitled(title)).length, 1, 'never filed twice');
  assert.deepEqual(page.problems, []);
});

test('offline, a value proposed on a sheet waits on the phone and is proposed once when the network returns', async (t) => {
  const { school } = await schoolNearby();
  const page = await openPage(t, browser, PHONE);
  await page.goto(`/t/${TENANT}/o/${school.id}`);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.context().setOffline(true);
  const source = `https://example.org/releve-hors-ligne-${Date.now()}`;
  const form = page.locator(`form[action="/t/${TENANT}/o/${school.id}/contribute"]`);
  await form.getByLabel('Champ').selectOption('atsem');
  await form.getByLabel('Valeur').fill('3');
  await form.getByLabel('Source (lien, document)').fill(source);
  await form.getByRole('button', { name: 'Proposer' }).tap();
  await form.getByText("Pas de réseau : c'est enregistré sur ce téléphone").waitFor();
  await page.context().setOffline(false);
  await page.locator('#outbox').getByText(/Envoyé/).waitFor({ timeout: 15_000 });
  const list = await (await fetch(`${BASE}/api/v1/tenants/${TENANT}/contributions`)).json();
  const mine = list.filter((c) => c.source === source);
  assert.equal(mine.length, 1, JSON.stringify(mine));
  assert.deepEqual([mine[0].field, mine[0].value, mine[0].object_id], ['atsem', { integer: 3 }, school.id]);
  assert.deepEqual(page.problems, []);
});

for (const [label, options] of [['desktop', {}], ['phone', PHONE]]) {
  test(`the quick report has no serious accessibility violation (${label})`, async (t) => {
    const page = await openPage(t, browser, { ...options, bypassCSP: true });
    await page.goto(`/t/${TENANT}/report`);
    await page.addScriptTag({ path: AXE });
    const result = await page.evaluate(() => window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    }));
    const serious = result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    assert.deepEqual(serious, []);
  });
}

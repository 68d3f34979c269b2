// 2. The collective's map shows the 8 demo schools (close ones clustered); a click on a marker
// opens that school's sheet, which shows the school years side by side and the derived indicators.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TENANT, launch, openPage, placesOnMap, tableRows, text } from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The number in a cell such as "184 ◆" or "23.0". */
const num = (cell) => Number.parseFloat(cell.replace(',', '.'));

test('the map shows the 8 schools, clustered where close, and a marker opens its sheet', async (t) => {
  const page = await openPage(t, browser);
  await page.goto(`/t/${TENANT}`);

  const map = page.getByRole('region', { name: 'Carte' });
  await map.locator('path.leaflet-interactive, .cluster').first().waitFor();
  const box = await map.boundingBox();
  assert.ok(box.width > 300 && box.height > 250, `the map is drawn large enough (${box.width}×${box.height})`);
  await page.waitForFunction(() => document.querySelectorAll('#map .leaflet-interactive, #map .cluster').length > 0);
  assert.equal(await placesOnMap(map), 8);

  // The list below the map names the same 8 schools, each linking to its sheet.
  await page.getByRole('heading', { name: 'Lieux suivis (8)' }).waitFor();
  const listLinks = await page.locator('main table a').evaluateAll((as) =>
    as.map((a) => [a.getAttribute('href'), a.textContent.trim()]));
  assert.equal(listLinks.length, 8);
  for (const [, name] of listLinks) assert.match(name, /\(démo\)$/);

  // A cluster opens on a click (the map zooms in); a lone marker opens its school's sheet.
  const cluster = map.locator('.cluster').first();
  if (await cluster.count()) {
    const before = await map.evaluate((el) => el.dataset.zoom);
    await cluster.click();
    await page.waitForFunction((z) => document.getElementById('map').dataset.zoom !== z, before);
  }
  const marker = map.locator('.leaflet-overlay-pane path.leaflet-interactive').first();
  await marker.waitFor();
  await Promise.all([page.waitForURL(/\/o\/\d+$/), marker.click()]);
  const name = await text(page.locator('main h1'));
  assert.ok(listLinks.some(([, n]) => n === name), `${name} is one of the listed schools`);
  assert.deepEqual(page.problems, []);
});

test("a school's sheet shows both school years side by side with an indicator row", async (t) => {
  const page = await openPage(t, browser);
  await page.goto(`/t/${TENANT}`);
  const link = page.locator('main table#objects-list a').first();
  const name = await link.textContent();
  await Promise.all([page.waitForURL(/\/o\/\d+$/), link.click()]);

  assert.equal(await text(page.locator('main h1')), name.trim());
  assert.match(await text(page.locator('main p').nth(1)), /Code UAI \(ex-RNE\) \d{7}[A-Z] · .*MARSEILLE/);
  // Breadcrumb back to the collective.
  assert.equal(await page.locator(`main a[href="/t/${TENANT}"]`).first().innerText(), 'Écoles de Marseille (démo)');

  await page.getByRole('heading', { name: 'Données par millésime' }).waitFor();
  const grid = page.locator('table.grid');
  const rows = await tableRows(grid);
  const header = rows[0];
  const y1 = header.indexOf('2024-2025');
  const y2 = header.indexOf('2025-2026');
  assert.ok(y1 > 0, `2024-2025 column in ${JSON.stringify(header)}`);
  assert.equal(y2, y1 + 1, `2025-2026 column right after 2024-2025 in ${JSON.stringify(header)}`);
  // Side by side on screen too: same line, 2025-2026 to the right.
  const h1 = await grid.locator('th', { hasText: '2024-2025' }).boundingBox();
  const h2 = await grid.locator('th', { hasText: '2025-2026' }).boundingBox();
  assert.ok(Math.abs(h1.y - h2.y) < 2 && h2.x > h1.x, 'the two years are on one line');

  const row = (label) => {
    const r = rows.find((cells) => cells[0].replace(/ officiel$/, '') === label);
    assert.ok(r, `row « ${label} » in ${JSON.stringify(rows.map((x) => x[0]))}`);
    return r;
  };
  const pupils = row('Élèves');
  const classes = row('Classes');
  for (const col of [y1, y2]) {
    assert.match(pupils[col], /^\d+ ◆$/, `pupils for ${header[col]} are an imported number`);
    assert.match(classes[col], /^\d+ ◆$/, `classes for ${header[col]} are an imported number`);
  }
  // The official badge on official fields.
  assert.equal(await grid.locator('tr', { hasText: 'Élèves' }).first().locator('.badge').first().innerText(), 'officiel');

  // The indicator row (in italics) agrees with the values above it.
  const perClass = row('Élèves par classe');
  assert.equal(await grid.locator('tr', { hasText: 'Élèves par classe' }).locator('td em').first().innerText(), 'Élèves par classe');
  for (const col of [y1, y2]) {
    assert.match(perClass[col], /^\d+,\d$/, `pupils per class for ${header[col]}, written the French way (« 26,0 »)`);
    assert.equal(num(perClass[col]), Math.round((num(pupils[col]) / num(classes[col])) * 10) / 10,
      `pupils per class for ${header[col]} = ${pupils[col]} / ${classes[col]}`);
  }
  await page.getByText('◆ donnée officielle importée').waitFor();

  // The rest of the sheet.
  for (const h of ['Vie du lieu', 'Documents', 'Proposer une donnée', 'Historique complet']) {
    await page.getByRole('heading', { name: h }).waitFor();
  }
  assert.deepEqual(page.problems, []);
});

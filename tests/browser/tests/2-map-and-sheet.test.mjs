// 2. The collective's map shows the 8 demo schools; a click on a marker opens that school's
// sheet, which shows the school years side by side and the derived indicators.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TENANT, launch, openPage, tableRows, text } from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The number in a cell such as "184 ◆" or "23.0". */
const num = (cell) => Number.parseFloat(cell.replace(',', '.'));

test('the map has one marker per school and each marker opens its sheet', async (t) => {
  const page = await openPage(t, browser);
  await page.goto(`/t/${TENANT}`);

  const map = page.getByRole('img', { name: 'Carte' });
  await map.waitFor();
  const box = await map.boundingBox();
  assert.ok(box.width > 300 && box.height > 150, `the map is drawn large enough (${box.width}×${box.height})`);
  const markers = map.locator('a:has(circle)');
  assert.equal(await markers.count(), 8);
  assert.equal(await map.locator('circle').count(), 8);

  // The list below the map names the same 8 schools, each linking to the same sheet.
  await page.getByRole('heading', { name: 'Lieux suivis (8)' }).waitFor();
  const listLinks = await page.locator('main table a').evaluateAll((as) =>
    as.map((a) => [a.getAttribute('href'), a.textContent.trim()]));
  assert.equal(listLinks.length, 8);
  const markerLinks = await markers.evaluateAll((as) =>
    as.map((a) => [a.getAttribute('href'), a.querySelector('title').textContent.trim()]));
  assert.deepEqual(new Map(markerLinks), new Map(listLinks));
  for (const [, name] of listLinks) assert.match(name, /\(démo\)$/);

  // Every marker is visible inside the map and is the element a click at its place reaches
  // (Playwright refuses to click one hidden under another marker).
  for (let i = 0; i < 8; i++) {
    const [href, name] = markerLinks[i];
    const circle = markers.nth(i).locator('circle');
    const m = await map.boundingBox();
    const c = await circle.boundingBox();
    assert.ok(c.x >= m.x - 1 && c.x + c.width <= m.x + m.width + 1
      && c.y >= m.y - 1 && c.y + c.height <= m.y + m.height + 1, `${name} is inside the map`);
    await Promise.all([page.waitForURL(`**${href}`), circle.click()]);
    assert.equal(await text(page.locator('main h1')), name, `marker ${i} opens ${name}`);
    await page.goBack();
    await map.waitFor();
  }
  assert.deepEqual(page.problems, []);
});

test("a school's sheet shows both school years side by side with an indicator row", async (t) => {
  const page = await openPage(t, browser);
  await page.goto(`/t/${TENANT}`);
  const marker = page.getByRole('img', { name: 'Carte' }).locator('a:has(circle)').first();
  const name = await marker.locator('title').textContent();
  await Promise.all([page.waitForURL(/\/o\/\d+$/), marker.locator('circle').click()]);

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
    assert.match(perClass[col], /^\d+\.\d$/, `pupils per class for ${header[col]}`);
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

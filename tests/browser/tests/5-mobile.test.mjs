// 5. On a phone (390×844), the collective's page and a school's sheet fit the screen's width:
// no sideways scrolling of the page. Screenshots go to screenshots/.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SCREENSHOTS, TENANT, launch, openPage } from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const WIDTH = 390;
const PHONE = { viewport: { width: WIDTH, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/**
 * Checks that the page is no wider than the phone's screen. A phone browser zooms out to show
 * a page wider than its screen (innerWidth grows past 390), so both are compared with 390.
 * The message names the elements that stick out (outside the cards meant to scroll).
 */
async function assertFits(page, what) {
  const m = await page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const out = new Set();
    for (const el of document.body.querySelectorAll('*')) {
      // The map clips its tiles and markers (overflow hidden), like a card that scrolls.
      if (el.closest('.scroll, .leaflet-container') || el.getBoundingClientRect().right <= vw + 1) continue;
      const card = el.closest('.card')?.querySelector('h2')?.textContent?.trim();
      out.add(`${card ? `card « ${card} » ` : ''}${el.tagName.toLowerCase()}`);
      if (out.size >= 3) break;
    }
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, out: [...out] };
  });
  const widest = Math.max(m.scrollWidth, m.innerWidth);
  assert.ok(widest <= WIDTH + 1,
    `${what}: the page is ${widest}px wide on a ${WIDTH}px screen; sticking out: ${m.out.join(', ')}`);
  assert.ok(m.scrollWidth <= m.innerWidth + 1);
}

/** Opens the collective's page on a phone, with a screenshot; returns the page. */
async function collective(t) {
  const page = await openPage(t, browser, PHONE);
  await page.goto(`/t/${TENANT}`);
  await page.getByRole('region', { name: 'Carte' }).waitFor();
  return page;
}

/** Opens a school's sheet by tapping its name in the list. */
async function school(page) {
  const link = page.locator('main table#objects-list a').first();
  await Promise.all([page.waitForURL(/\/o\/\d+$/), link.tap()]);
  await page.getByRole('heading', { name: 'Données par millésime' }).waitFor();
}

test('collective page fits a 390×844 phone screen', async (t) => {
  const page = await collective(t);
  await page.screenshot({ path: join(SCREENSHOTS, 'mobile-collective.png'), fullPage: true });
  await assertFits(page, 'collective page');
  const box = await page.getByRole('region', { name: 'Carte' }).boundingBox();
  assert.ok(box.width > 300 && box.x >= 0 && box.x + box.width <= WIDTH, `the map fits (${box.x}+${box.width})`);
  assert.deepEqual(page.problems, []);
});

test("school sheet on a phone: the table of values scrolls in its card, the form fits", async (t) => {
  const page = await collective(t);
  await school(page);
  await page.screenshot({ path: join(SCREENSHOTS, 'mobile-school.png'), fullPage: true });
  // The wide table of values scrolls inside its card rather than widening the page...
  const card = page.locator('.card.scroll', { hasText: 'Données par millésime' });
  assert.equal(await card.evaluate((el) => getComputedStyle(el).overflowX), 'auto');
  const cardBox = await card.boundingBox();
  assert.ok(cardBox.x >= 0 && cardBox.x + cardBox.width <= WIDTH + 1, 'the values card fits the screen');
  // ...and the contribution form's fields fit the screen.
  for (const control of await page.locator('form.stack input, form.stack select, form.stack button').all()) {
    const b = await control.boundingBox();
    if (!b) continue; // not shown (a hidden field, or the fields of another kind of request)
    assert.ok(b.x >= 0 && b.x + b.width <= WIDTH + 1, `form control fits (${b.x}+${b.width})`);
  }
  assert.deepEqual(page.problems, []);
});

test('school sheet fits a 390×844 phone screen', async (t) => {
  const page = await collective(t);
  await school(page);
  await assertFits(page, 'school sheet');
});

test('on a phone, « Lieux près de moi » sorts the list by distance in the browser and offers to file at the nearest place', async (t) => {
  // Stand about 150 m north of a demo school (not the first of the list).
  const schools = await (await fetch(`${process.env.VIGIE_URL}/api/v1/tenants/${TENANT}/objects`)).json();
  const target = schools.filter((s) => s.latitude != null).at(-2);
  const here = { latitude: target.latitude + 0.00135, longitude: target.longitude };
  const page = await openPage(t, browser, { ...PHONE, geolocation: here, permissions: ['geolocation'] });
  const sent = [];
  page.on('request', (r) => sent.push(r.url()));
  await page.goto(`/t/${TENANT}`);
  await page.getByRole('button', { name: 'Lieux près de moi' }).click();
  const status = page.locator('#near-status');
  await status.getByRole('link', { name: 'Déposer une demande ici' }).waitFor();
  assert.match(await status.innerText(), new RegExp(`^Le plus proche de vous : ${target.name.replace(/[()]/g, '\\$&')} \\(150 m\\)`));

  // The list now starts with that school, every row with its distance, nearest first.
  const rows = await page.locator('#objects-list tr[data-id]').evaluateAll((trs) =>
    trs.map((tr) => [tr.querySelector('a').textContent.trim(), tr.querySelector('td.distance').textContent]));
  assert.equal(rows[0][0], target.name);
  const metres = rows.map(([, d]) => (d.endsWith(' km') ? Number.parseFloat(d.replace(',', '.')) * 1000 : Number.parseFloat(d)));
  assert.ok(metres.every((m, i) => i === 0 || m >= metres[i - 1]), `sorted by distance: ${rows.join(' | ')}`);
  await page.screenshot({ path: join(SCREENSHOTS, 'mobile-near-me.png'), fullPage: true });
  await assertFits(page, 'collective page sorted by distance');
  // The position never left the browser.
  const lat = String(here.latitude).slice(0, 7);
  assert.deepEqual(sent.filter((u) => u.includes(lat)), [], 'no request carries the position');

  // One tap to the quick report, at that school.
  await status.getByRole('link', { name: 'Déposer une demande ici' }).click();
  await page.waitForURL(new RegExp(`/t/${TENANT}/report\\?o=${target.id}$`));
  await page.getByRole('heading', { name: 'Signaler' }).waitFor();
  assert.ok(await page.getByRole('radio', { name: new RegExp(target.name.replace(/[()]/g, '\\$&')) }).first().isChecked());
  assert.deepEqual(page.problems, []);
});

test('without the right to locate, « Lieux près de moi » says so and leaves the list as it was', async (t) => {
  const page = await openPage(t, browser, PHONE);
  await page.goto(`/t/${TENANT}`);
  const before = await page.locator('#objects-list tr[data-id] a').allInnerTexts();
  await page.getByRole('button', { name: 'Lieux près de moi' }).click();
  const status = page.locator('#near-status');
  await page.waitForFunction(() => /indisponible/.test(document.getElementById('near-status').textContent));
  assert.equal(await status.innerText(), 'Position indisponible : autorisez la localisation, ou cherchez le lieu dans la liste.');
  assert.deepEqual(await page.locator('#objects-list tr[data-id] a').allInnerTexts(), before);
  assert.deepEqual(page.problems, []);
});

// 5. On a phone (390×844), the collective's page and a school's sheet fit the screen's width:
// no sideways scrolling of the page. Screenshots go to screenshots/.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SCREENSHOTS, TENANT, launch, openPage } from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** The page's widths, and the elements that stick out to the right of the screen. */
const measure = (page) => page.evaluate(() => {
  const vw = window.innerWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > vw + 1 && !el.closest('.scroll')) {
      out.push(`${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''} right=${Math.round(r.right)}`);
    }
  }
  return { scrollWidth: document.documentElement.scrollWidth, innerWidth: vw, out: out.slice(0, 8) };
});

async function assertFits(page, what) {
  const m = await measure(page);
  assert.equal(m.innerWidth, 390, 'the page is laid out for the phone width (meta viewport)');
  assert.ok(m.scrollWidth <= m.innerWidth + 1,
    `${what}: page is ${m.scrollWidth}px wide on a ${m.innerWidth}px screen; sticking out: ${m.out.join(', ')}`);
}

test('collective page and school sheet fit a 390×844 phone screen', async (t) => {
  const page = await openPage(t, browser, PHONE);

  await page.goto(`/t/${TENANT}`);
  const map = page.getByRole('img', { name: 'Carte' });
  await map.waitFor();
  const box = await map.boundingBox();
  assert.ok(box.width > 300 && box.x >= 0 && box.x + box.width <= 390, `the map fits (${box.x}+${box.width})`);
  await page.screenshot({ path: join(SCREENSHOTS, 'mobile-collective.png'), fullPage: true });
  await assertFits(page, 'collective page');

  // Open a school with a tap on its marker.
  const marker = map.locator('a:has(circle)').first();
  await Promise.all([page.waitForURL(/\/o\/\d+$/), marker.locator('circle').tap()]);
  await page.getByRole('heading', { name: 'Données par millésime' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'mobile-school.png'), fullPage: true });
  await assertFits(page, 'school sheet');

  // The wide table of values scrolls inside its card instead of widening the page, and the
  // form's inputs fit the screen.
  const card = page.locator('.card.scroll');
  const cardBox = await card.boundingBox();
  assert.ok(cardBox.x >= 0 && cardBox.x + cardBox.width <= 391, 'the values card fits the screen');
  for (const input of await page.locator('form.stack input, form.stack select, form.stack button').all()) {
    const b = await input.boundingBox();
    assert.ok(b.x >= 0 && b.x + b.width <= 391, `form control fits (${b.x}+${b.width})`);
  }
  assert.deepEqual(page.problems, []);
});

// 15. Badges (issue 16): from the collective's page, the badges page lists the starter set with
// their images (bundled SVGs, loaded as images), levels and public rules; it fits a 390-pixel
// phone; axe finds no serious or critical violation, in French and English.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SCREENSHOTS, TENANT, launch, openPage } from '../lib.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const WIDTH = 390;
const PHONE = { viewport: { width: WIDTH, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

async function violations(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

test('the badges page: the starter set with its images, levels and rules', async (t) => {
  const page = await openPage(t, browser);
  await page.goto(`/t/${TENANT}`);
  await Promise.all([
    page.waitForURL(/\/badges$/),
    page.getByRole('link', { name: /Les badges du collectif/ }).click(),
  ]);
  await page.getByRole('heading', { level: 1, name: /^Badges/ }).waitFor();
  for (const name of ['Première contribution', 'Contributeur', 'Rapporteur', 'Relais local']) {
    await page.getByRole('heading', { level: 2, name }).waitFor();
  }
  // Every visual is a real image that loaded.
  const images = await page.locator('#catalogue img').evaluateAll((imgs) =>
    imgs.map((i) => ({ src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0 })));
  assert.ok(images.length >= 7, `${images.length} images`);
  for (const img of images) assert.ok(img.ok, `${img.src} did not load`);
  // A rule is public, under « Comment l'obtenir ».
  await page.locator('#badge-reporter summary').click();
  assert.match(await page.locator('#badge-reporter pre').innerText(), /FROM v_requests/);
  await page.screenshot({ path: join(SCREENSHOTS, 'badges.png'), fullPage: true });
  assert.deepEqual(page.problems, []);
});

test('the badges page fits a 390-pixel phone', async (t) => {
  const page = await openPage(t, browser, PHONE);
  await page.goto(`/t/${TENANT}/badges`);
  await page.locator('#catalogue').waitFor();
  await page.locator('#badge-local-relay summary').click();
  await page.screenshot({ path: join(SCREENSHOTS, 'mobile-badges.png'), fullPage: true });
  const m = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.ok(Math.max(m.scrollWidth, m.innerWidth) <= WIDTH + 1, `the page is ${m.scrollWidth}px wide`);
  assert.deepEqual(page.problems, []);
});

for (const [label, options] of [['desktop', {}], ['phone', PHONE]]) {
  for (const lang of ['fr', 'en']) {
    test(`no serious accessibility violation on the badges page (${label}, ${lang})`, async (t) => {
      const page = await openPage(t, browser, { ...options, bypassCSP: true });
      await page.goto(`/t/${TENANT}/badges?lang=${lang}`);
      await page.locator('#catalogue').waitFor();
      assert.deepEqual(await violations(page), [], 'badges page');
    });
  }
}

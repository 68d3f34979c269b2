// 10. Accessibility (issue 12): axe-core (pinned in package-lock.json) finds no serious or
// critical violation on the home page, the collective page with its map and filters open, and
// a school's sheet — in French and in English, on a desktop and on a phone.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { TENANT, launch, openPage } from '../lib.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** The serious and critical violations axe finds on the page, as readable lines. */
async function violations(page) {
  // axe is injected as a script of the test, not of the site: the page's CSP is bypassed
  // for this context only (openPage's `bypassCSP`).
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

for (const [label, options] of [['desktop', {}], ['phone', PHONE]]) {
  for (const lang of ['fr', 'en']) {
    test(`no serious accessibility violation (${label}, ${lang})`, async (t) => {
      const page = await openPage(t, browser, { ...options, bypassCSP: true });
      await page.goto(`/?lang=${lang}`);
      assert.deepEqual(await violations(page), [], 'home page');

      await page.goto(`/t/${TENANT}`);
      await page.waitForFunction(() =>
        document.querySelectorAll('#map .leaflet-interactive, #map .cluster').length > 0);
      await page.locator('details.filters summary').click();
      assert.deepEqual(await violations(page), [], 'collective page');

      const link = page.locator('main table#objects-list a').first();
      await Promise.all([page.waitForURL(/\/o\/\d+$/), link.click()]);
      assert.deepEqual(await violations(page), [], "a school's sheet");
      assert.deepEqual(page.problems, []);
    });
  }
}

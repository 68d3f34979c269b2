// 14. The joint analysis (issue 15): from the collective's page, the analysis page shows the
// ATSEM ÷ nursery pupils ratio by arrondissement as a bar chart, a line over the vintages and
// the table under them; its URL keeps the view; the CSV link downloads the same numbers; it
// fits a 390-pixel phone; axe finds no serious or critical violation, in French and English.

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
const VIEW = 'type=schools&field=atsem&over=nursery-pupils&vintage=all&group=arrondissement&stat=ratio';

async function violations(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

/** Waits until Chart.js has drawn both charts (each canvas then names its numbers). */
async function chartsDrawn(page) {
  await page.waitForFunction(() => {
    const box = document.getElementById('analysis-charts');
    const bar = document.getElementById('bar-chart');
    return box && !box.hidden && bar.getAttribute('aria-label')?.length > 20 && bar.width > 0;
  });
}

test('the analysis page: pick a ratio, see charts and table, share the URL, get the CSV', async (t) => {
  const page = await openPage(t, browser);
  await page.goto(`/t/${TENANT}`);
  await Promise.all([
    page.waitForURL(/\/analyse$/),
    page.getByRole('link', { name: /Analyser les chiffres/ }).click(),
  ]);
  await page.getByRole('heading', { name: 'Analyse des chiffres' }).waitFor();
  await page.locator('select[name=field]').selectOption('atsem');
  await page.locator('select[name=over]').selectOption('nursery-pupils');
  await page.locator('select[name=vintage]').selectOption('all');
  await page.locator('select[name=group]').selectOption('arrondissement');
  await Promise.all([page.waitForURL(/over=nursery-pupils/), page.getByRole('button', { name: 'Afficher' }).click()]);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('field'), 'atsem');
  assert.equal(url.searchParams.get('group'), 'arrondissement');
  await chartsDrawn(page);
  const label = await page.locator('#bar-chart').getAttribute('aria-label');
  assert.match(label, /tableau/, 'the chart points to its text alternative');
  // The table under the charts: a row per group and the total, places with a value stated.
  const table = page.locator('table.analysis-table').last();
  await table.waitFor();
  assert.match(await table.innerText(), /Ensemble/);
  assert.match(await page.locator('p.with-value').last().innerText(), /lieux ont une valeur/);
  await page.screenshot({ path: join(SCREENSHOTS, 'analysis.png'), fullPage: true });

  // The permanent link opens the same view.
  const permalink = await page.locator('#analysis-permalink').getAttribute('href');
  assert.match(permalink, /field=atsem/);
  assert.match(permalink, /over=nursery-pupils/);

  // The CSV: the same numbers, downloadable.
  const csvHref = await page.getByRole('link', { name: 'Télécharger en CSV' }).getAttribute('href');
  const csv = await page.request.get(csvHref);
  assert.equal(csv.status(), 200);
  assert.match(csv.headers()['content-type'], /text\/csv/);
  assert.match(await csv.text(), /^vintage,group,group_label,field,over,objects,objects_with_value/);
  assert.deepEqual(page.problems, []);
});

test('the analysis page fits a 390-pixel phone, charts included', async (t) => {
  const page = await openPage(t, browser, PHONE);
  await page.goto(`/t/${TENANT}/analyse?${VIEW}`);
  await chartsDrawn(page);
  await page.screenshot({ path: join(SCREENSHOTS, 'mobile-analysis.png'), fullPage: true });
  const m = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    chart: document.getElementById('bar-chart').getBoundingClientRect().right,
  }));
  assert.ok(Math.max(m.scrollWidth, m.innerWidth) <= WIDTH + 1, `the page is ${m.scrollWidth}px wide`);
  assert.ok(m.chart <= WIDTH + 1, `the chart ends at ${m.chart}px`);
  assert.deepEqual(page.problems, []);
});

for (const [label, options] of [['desktop', {}], ['phone', PHONE]]) {
  for (const lang of ['fr', 'en']) {
    test(`no serious accessibility violation on the analysis page (${label}, ${lang})`, async (t) => {
      const page = await openPage(t, browser, { ...options, bypassCSP: true });
      await page.goto(`/t/${TENANT}/analyse?${VIEW}&lang=${lang}`);
      await chartsDrawn(page);
      assert.deepEqual(await violations(page), [], 'analysis page');
    });
  }
}

// 9. The collective's map (issue 12): zoom and pan kept in the URL, a plugin's layer with its
// legend, a filter on a vintaged value that changes the count, the list, the markers and the
// URL — and that URL, opened elsewhere, shows the same view; the search box answers as you
// type. On a desktop and on a phone.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TENANT, launch, openPage, placesOnMap, text } from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** Opens the collective's page (with `query`) and waits for the map's markers. */
async function mapPage(t, query = '', options = {}) {
  const page = await openPage(t, browser, options);
  await page.goto(`/t/${TENANT}${query}`);
  const map = page.getByRole('region', { name: 'Carte' });
  await markersDrawn(page);
  return { page, map };
}

async function markersDrawn(page) {
  await page.waitForFunction(() =>
    document.querySelectorAll('#map .leaflet-interactive, #map .cluster').length > 0);
}

/** The view in the URL: [zoom, lat, lon]. */
function view(url) {
  const m = /#map=(\d+)\/(-?[\d.]+)\/(-?[\d.]+)$/.exec(url);
  assert.ok(m, `the view is in the URL: ${url}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

test('zooming and panning the map is kept in the URL', async (t) => {
  const page0 = await openPage(t, browser);
  const asked = [];
  page0.on('request', (r) => { if (r.url().includes('/map/tiles/')) asked.push(r.url()); });
  await page0.goto(`/t/${TENANT}`);
  await markersDrawn(page0);
  // The first view's markers come in one request (the view's tiles at once).
  assert.equal(asked.length, 1, asked.join('\n'));
  assert.match(asked[0], /\/map\/tiles\/\d+\?.*x=\d+-\d+/);
  await page0.close();
  const { page, map } = await mapPage(t);
  await page.waitForURL(/#map=/);
  const [z0, lat0, lon0] = view(page.url());
  await page.getByRole('button', { name: 'Zoomer', exact: true }).click();
  await page.waitForFunction((z) => location.hash.startsWith(`#map=${z + 1}/`), z0);
  // A drag moves the centre.
  const box = await map.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 - 150, box.y + box.height / 2 - 80, { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction((lon) => {
    const m = /#map=\d+\/(-?[\d.]+)\/(-?[\d.]+)$/.exec(location.hash);
    return m && Number(m[2]) !== lon;
  }, lon0);
  const [z1, lat1, lon1] = view(page.url());
  assert.equal(z1, z0 + 1);
  assert.ok(lon1 > lon0 && lat1 < lat0 + 1, `panned east: ${lon0} → ${lon1}`);
  await markersDrawn(page);
  assert.deepEqual(page.problems, []);
});

test("a plugin's layer is selectable and shows its legend", async (t) => {
  const { page } = await mapPage(t);
  const legend = page.getByRole('list', { name: 'Légende' });
  assert.match(await text(legend), /Moins de 20/);
  await Promise.all([
    page.waitForURL(/layer=schools\.atsem-per-nursery-class/),
    page.getByLabel('Couche de la carte').selectOption({ label: 'ATSEM par classe de maternelle' }),
  ]);
  await markersDrawn(page);
  const items = await legend.locator('li').allInnerTexts();
  assert.deepEqual(items.map((s) => s.trim()), [
    "Moins d'une ATSEM pour deux classes",
    "Moins d'une ATSEM par classe",
    'Une ATSEM par classe',
    'Pas de valeur connue',
  ]);
  assert.equal(await page.getByLabel('Couche de la carte').inputValue(), 'schools.atsem-per-nursery-class');
  assert.deepEqual(page.problems, []);
});

test('a filter on a vintaged indicator changes the count, the list, the markers and the URL; the URL shows the same view elsewhere', async (t) => {
  const { page, map } = await mapPage(t);
  assert.equal(await text(page.locator('#places-count')), '8');
  await page.getByText('Filtres', { exact: true }).click();
  await page.locator('select[name=num]').selectOption({ label: 'Élèves par classe' });
  await page.getByLabel('au moins').fill('25');
  await Promise.all([page.waitForURL(/min=25/), page.getByRole('button', { name: 'Appliquer' }).click()]);
  assert.match(page.url(), /num=schools\.pupils-per-class/);
  await markersDrawn(page);
  const count = Number(await text(page.locator('#places-count')));
  assert.ok(count > 0 && count < 8, `some schools have 25 pupils a class or more (${count})`);
  assert.equal(await page.locator('#objects-list tr[data-id]').count(), count);
  await page.waitForFunction((n) => {
    const el = document.getElementById('map');
    const singles = el.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive').length;
    const clusters = [...el.querySelectorAll('.cluster span')].reduce((s, x) => s + Number(x.textContent), 0);
    return singles + clusters === n;
  }, count);
  assert.equal(await placesOnMap(map), count);
  const shared = page.url();

  // The shared URL, in another browser context: same filters, same count, same view.
  const other = await openPage(t, browser);
  await other.goto(shared);
  await markersDrawn(other);
  assert.equal(Number(await text(other.locator('#places-count'))), count);
  assert.equal(await placesOnMap(other.getByRole('region', { name: 'Carte' })), count);
  assert.deepEqual(view(other.url()), view(shared));
  assert.equal(await other.getByLabel('au moins').inputValue(), '25');
  assert.deepEqual([...page.problems, ...other.problems], []);
});

test('the search box finds a place as you type, on a phone', async (t) => {
  const { page } = await mapPage(t, '', PHONE);
  await page.getByLabel('Chercher un lieu').pressSequentially('belle de', { delay: 30 });
  const hit = page.locator('#search-results a', { hasText: 'Belle de Mai' });
  await hit.waitFor();
  assert.equal(await page.locator('#search-results a').count(), 1);
  await Promise.all([page.waitForURL(/\/o\/\d+$/), hit.tap()]);
  assert.match(await text(page.locator('main h1')), /Belle de Mai/);
  assert.deepEqual(page.problems, []);
});

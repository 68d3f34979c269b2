// The map's first view in Debian's Chromium, as a phone-class CPU sees it (issue 12):
//   node bench/map-first-view.mjs BASE_URL SLUG [RUNS]
// opens BASE_URL/t/SLUG with the CPU slowed 4× (DevTools' CPU throttling), a 1280×800 window
// and an empty cache, and prints one JSON line: the milliseconds from navigation to the first
// marker painted (median of RUNS, default 3), the bytes transferred for the whole first view
// (page, styles, scripts, the map's description and tiles, compressed as sent; background
// tiles from other hosts excluded), the page's own weight (HTML + CSS + JS, compressed), and
// how many places the first view's markers hold.
// playwright-core comes from tests/browser/node_modules (bash tests/browser/run.sh or
// `cd tests/browser && npm ci` installs it).

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', 'tests', 'browser', 'package.json'));
const { chromium } = require('playwright-core');

const [base, slug, runsArg] = process.argv.slice(2);
if (!base || !slug) {
  console.error('usage: node bench/map-first-view.mjs BASE_URL SLUG [RUNS]');
  process.exit(2);
}
const runs = Math.max(1, Number(runsArg ?? 3));
const origin = new URL(base).origin;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

async function once() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: Number(process.env.THROTTLE ?? 4) });
  const urls = new Map();
  let bytes = 0;
  let pageBytes = 0;
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
  cdp.on('Network.loadingFinished', (e) => {
    const url = urls.get(e.requestId) ?? '';
    if (!url.startsWith(origin)) return;
    bytes += e.encodedDataLength;
    if (!url.includes('/api/')) pageBytes += e.encodedDataLength;
  });
  const start = Date.now();
  await page.goto(`${base}/t/${slug}`, { waitUntil: 'commit' });
  await page.waitForFunction(
    () => document.querySelectorAll('#map .leaflet-interactive, #map .cluster').length > 0,
    null,
    { timeout: 60_000, polling: 'raf' },
  );
  const firstMarkers = Date.now() - start;
  await page.waitForLoadState('networkidle');
  const places = await page.evaluate(() => {
    const el = document.getElementById('map');
    const singles = el.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive').length;
    const clustered = [...el.querySelectorAll('.cluster span')]
      .reduce((n, s) => n + Number.parseInt(s.textContent.replace(/\D/g, ''), 10), 0);
    return singles + clustered;
  });
  await context.close();
  return { firstMarkers, bytes, pageBytes, places };
}

const results = [];
for (let i = 0; i < runs; i++) results.push(await once());
await browser.close();
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(JSON.stringify({
  first_markers_ms: median(results.map((r) => r.firstMarkers)),
  bytes: median(results.map((r) => r.bytes)),
  page_bytes: median(results.map((r) => r.pageBytes)),
  places: median(results.map((r) => r.places)),
  runs,
}));

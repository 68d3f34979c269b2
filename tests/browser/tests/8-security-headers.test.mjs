// 8. Held under abuse, in a real browser: every page comes with a strict Content-Security-Policy
// (no inline script or style allowed) and no page logs a violation of it, while its scripts and
// styles still work (they are files with hashed names); a form on another site that posts to
// Vigie — to change something, or to sign the visitor into the attacker's account — is refused.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, TENANT, launch, openPage, text } from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Checks the security headers of a page's answer. */
function assertHeaders(response, what) {
  const h = response.headers();
  const csp = h['content-security-policy'] ?? '';
  for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) {
    assert.ok(csp.includes(directive), `${what}: ${directive} missing from ${csp}`);
  }
  assert.ok(!csp.includes('unsafe'), `${what}: ${csp}`);
  assert.equal(h['x-content-type-options'], 'nosniff', what);
  assert.equal(h['x-frame-options'], 'DENY', what);
  assert.equal(h['referrer-policy'], 'same-origin', what);
}

test('every page has the CSP header, logs no violation, and its scripts and styles work', async (t) => {
  const page = await openPage(t, browser);
  const violations = [];
  // Also the DOM's own report, in case a violation were not logged in the console.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`Content Security Policy violation event: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });

  const requests = await (await fetch(`${BASE}/api/v1/tenants/${TENANT}/requests`)).json();
  assert.ok(requests.length > 0, 'the demo collective has requests');
  await page.goto(`/t/${TENANT}`);
  const school = await page.locator('main table a').first().getAttribute('href');

  for (const path of ['/', '/login', '/register', '/reset', `/t/${TENANT}`, `/t/${TENANT}/roles`, school, `/t/${TENANT}/r/${requests[0].id}`, '/t/nulle-part']) {
    const response = await page.goto(path);
    assert.ok(response.status() < 500, `${path}: ${response.status()}`);
    assertHeaders(response, path);
    // The stylesheet applies: the header has the accent colour, the footer its width.
    const header = await page.locator('body > header').evaluate((e) => getComputedStyle(e).backgroundColor);
    assert.equal(header, 'rgb(11, 110, 79)', `${path}: the stylesheet is applied`);
    const footer = await page.locator('footer').evaluate((e) => getComputedStyle(e).maxWidth);
    assert.notEqual(footer, 'none', `${path}: the footer's style came from the stylesheet`);
  }

  // The scripts run: on the collective's page « Lieux près de moi » shows (geolocation exists)…
  await page.goto(`/t/${TENANT}`);
  await page.locator('#near-me').waitFor({ state: 'visible' });
  // … and on a sheet, only the chosen kind's own fields are shown.
  await page.goto(school);
  const kinds = page.locator('#deposer .kind-fields');
  const states = await kinds.evaluateAll((sets) => {
    const kind = document.querySelector('#deposer select[name=kind]').value;
    return sets.map((s) => ({ mine: s.dataset.kind === kind, hidden: s.hidden }));
  });
  assert.ok(states.some((s) => s.hidden), 'the script hid the other kinds\' fields');
  for (const s of states) assert.equal(s.hidden, !s.mine);

  // The static files are cached for a year under their hashed names.
  const css = await page.locator('link[rel=stylesheet]').getAttribute('href');
  assert.match(css, /^\/static\/vigie\.[0-9a-f]{12}\.css$/);
  const asset = await page.request.get(css);
  assert.equal(asset.headers()['cache-control'], 'public, max-age=31536000, immutable');

  assert.deepEqual(violations, []);
  assert.deepEqual(page.problems, []);
});

test('the API documentation draws under its own policy (inline blocks by hash) without a violation', async (t) => {
  const page = await openPage(t, browser);
  const response = await page.goto('/api/docs');
  const csp = response.headers()['content-security-policy'] ?? '';
  assert.match(csp, /^default-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /form-action 'none'/);
  assert.match(csp, /script-src 'sha256-/);
  assert.ok(!csp.includes('unsafe'), csp);
  await page.locator('.swagger-ui .info .title').waitFor();
  assert.match(await text(page.locator('.swagger-ui .info .title')), /Vigie/);
  assert.deepEqual(page.problems, []);
});

/** Serves a page of "another site" (never reaching the network) with a form posting to Vigie. */
async function evilSite(page, html) {
  await page.route('http://evil.test/**', (route) =>
    route.fulfill({ contentType: 'text/html; charset=utf-8', body: `<!doctype html><html><body>${html}</body></html>` }));
  await page.goto('http://evil.test/trap.html');
}

test('a form on another site posting to Vigie is refused, login CSRF included', async (t) => {
  const page = await openPage(t, browser);
  await page.goto(`/t/${TENANT}`);
  const school = await page.locator('main table a').first().getAttribute('href');

  await evilSite(page, `
    <form id="contribute" method="post" action="${BASE}${school}/contribute">
      <input name="vintage" value="2024-2025"><input name="field" value="atsem">
      <input name="value" value="99"><input name="source" value="">
      <button type="submit">Gagner un cadeau</button></form>`);
  const [contributed] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.waitForEvent('load'),
    page.locator('#contribute button').click(),
  ]);
  assert.equal(contributed.status(), 403);
  assert.equal(await text(page.locator('h1')), 'Demande refusée');
  await page.getByText('Request refused').waitFor();
  assertHeaders(contributed, 'the refusal');

  await evilSite(page, `
    <form id="login" method="post" action="${BASE}/login">
      <input name="email" value="attacker@example.org"><input name="password" value="whatever-long-enough">
      <button type="submit">Se connecter</button></form>`);
  const [signedIn] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.waitForEvent('load'),
    page.locator('#login button').click(),
  ]);
  assert.equal(signedIn.status(), 403);
  assert.equal(await text(page.locator('h1')), 'Demande refusée');

  // The same sign-in form on Vigie's own page is served normally (here: unknown account).
  await page.goto('/login');
  await page.locator('input[name=email]').fill('attacker@example.org');
  await page.locator('input[name=password]').fill('whatever-long-enough');
  const [own] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.waitForEvent('load'),
    page.locator('main form button[type=submit]').click(),
  ]);
  assert.notEqual(own.status(), 403, 'the site\'s own form is not taken for another site');
  assert.deepEqual(page.problems, []);
});

// Shared helpers of the browser tests: the server under test, Debian's Chromium, and a page
// per test with a screenshot when the test fails.
//
// run.sh starts `vigie serve` and exports VIGIE_URL and VIGIE_DATA_DIR. To run one file by hand
// against a server you started yourself (`make run`: 127.0.0.1:8080, data in ./data), from
// tests/browser:
//   VIGIE_URL=http://127.0.0.1:8080 VIGIE_DATA_DIR=../../data node --test tests/1-language.test.mjs
// (tests 2 and 5 expect the demo's 8 schools; run.sh's fresh database guarantees it).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));

/** Base URL of the server under test, without a trailing slash. */
export const BASE = (process.env.VIGIE_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
/** The server's data directory (its mail outbox is `outbox/` inside). */
export const DATA_DIR = process.env.VIGIE_DATA_DIR ?? join(here, '..', '..', 'data');
/** The server's binary, for operator commands on its database (run.sh exports it). */
export const BIN = process.env.VIGIE_BIN ?? join(here, '..', '..', 'target', 'debug', 'vigie');
/** The demo collective created on first start. */
export const TENANT = 'ecoles-marseille';
/** Where screenshots go (git-ignored). */
export const SCREENSHOTS = join(here, 'screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

// The flags this machine kind needs: no sandbox as root, and no background traffic to the
// closed network.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's Chromium, headless. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

/**
 * A fresh browser context (no cookies) and page for one test. The browser asks for French
 * (Accept-Language fr-FR), as a visitor in Marseille would. The page records server errors
 * (status >= 500), uncaught page errors and Content-Security-Policy violations in
 * `page.problems`; the caller's `t.after` closes the context, with a screenshot first if the
 * test failed.
 */
export async function openPage(t, browser, options = {}) {
  const context = await browser.newContext({ locale: 'fr-FR', baseURL: BASE, ...options });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  page.problems = [];
  page.on('response', (r) => {
    if (r.status() >= 500) page.problems.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  // The pages run under a strict Content-Security-Policy: Chromium reports what it blocks in
  // the console ("Refused to … because it violates the following Content Security Policy…").
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) page.problems.push(`CSP violation: ${m.text()}`);
  });
  t.after(async () => {
    if (!t.passed) {
      const name = t.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 80);
      await page.screenshot({ path: join(SCREENSHOTS, `FAILED-${name}.png`), fullPage: true }).catch(() => {});
    }
    await context.close();
  });
  return page;
}

/**
 * A test of the behaviour a user should get, which a known bug of the pages breaks today
 * (an expected failure). While its assertions fail, it is reported as TODO with the failure
 * and does not fail the run; any other error (a time-out, a server error) still fails it. Once
 * the bug is fixed it fails, asking to be turned into a plain `test(...)` that guards the fix.
 */
export function knownBug(name, bug, fn) {
  return test(name, async (t) => {
    try {
      await fn(t);
    } catch (e) {
      if (!(e instanceof assert.AssertionError)) throw e;
      t.todo(`known bug: ${bug}`);
      t.diagnostic(`still failing: ${e.message.replace(/\s+/g, ' ').slice(0, 240)}`);
      return;
    }
    assert.fail(`known bug fixed? « ${bug} » no longer shows: make this knownBug(...) a plain test(...)`);
  });
}

/** The places the map shows: lone markers plus the counts of the clusters. */
export async function placesOnMap(map) {
  return map.evaluate((el) => {
    const singles = el.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive').length;
    const clustered = [...el.querySelectorAll('.leaflet-marker-pane .cluster span')]
      .reduce((n, s) => n + Number.parseInt(s.textContent.replace(/\D/g, ''), 10), 0);
    return singles + clustered;
  });
}

/** Visible text of a locator, with runs of white space made one space. */
export async function text(locator) {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

/** The texts of the cells of each row of a table, as arrays of strings. */
export async function tableRows(table) {
  return table.locator('tr').evaluateAll((rows) =>
    rows.map((r) => Array.from(r.cells, (c) => c.innerText.replace(/\s+/g, ' ').trim())),
  );
}

/**
 * The newest e-mail in the server's outbox sent to `to` (headers and body as text), waiting
 * up to `timeoutMs` for it.
 */
export async function newestMailTo(to, timeoutMs = 5_000) {
  const outbox = join(DATA_DIR, 'outbox');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let files = [];
    try {
      files = readdirSync(outbox)
        .filter((f) => f.endsWith('.eml'))
        .map((f) => ({ path: join(outbox, f), mtime: statSync(join(outbox, f)).mtimeMs }))
        .sort((a, b) => b.mtime - a.mtime || b.path.localeCompare(a.path));
    } catch {
      // No outbox yet.
    }
    for (const f of files) {
      const mail = decodeMail(readFileSync(f.path, 'utf8'));
      const toLine = mail.headers.match(/^To:\s*(.*)$/im)?.[1] ?? '';
      if (toLine.toLowerCase().includes(to.toLowerCase())) return mail;
    }
    if (Date.now() > deadline) throw new Error(`no e-mail to ${to} in ${outbox}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function decodeMail(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = raw.slice(0, split);
  let body = raw.slice(split).replace(/^\s+/, '');
  const encoding = headers.match(/^Content-Transfer-Encoding:\s*(\S+)/im)?.[1]?.toLowerCase();
  if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
    body = Buffer.from(bytes, 'latin1').toString('utf8');
  } else if (encoding === 'base64') {
    body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return { headers, body };
}

/**
 * Runs an operator command of the server's binary (`vigie role grant …`) on the server's data
 * directory, as `make run`'s operator would; returns its standard output.
 */
export function vigie(...args) {
  const env = { ...process.env, VIGIE_DATA_DIR: DATA_DIR, NO_COLOR: '1' };
  for (const k of ['VIGIE_DATABASE_URL', 'VIGIE_CONFIG', 'VIGIE_PUBLIC_URL']) delete env[k];
  return execFileSync(BIN, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

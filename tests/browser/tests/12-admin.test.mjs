// 12. The Gurus' and Garants' pages (issue 13), on a desktop and on a phone: a Guru signs in
// from the platform page and comes back to it, opens a collective and appoints its Garant; the
// Garant finds the empty collective telling them what to do first, imports the official file
// from the browser (the report names the refused row and why), then adds a life event and a
// document to a place from the pages. axe-core finds no serious or critical violation on the
// Guru and Garant pages.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { BASE, launch, openPage, text, vigie } from '../lib.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const PASSWORD = 'correct horse battery';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** The serious and critical violations axe finds on the page, as readable lines. */
async function violations(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

/** A valid UAI: 7 digits and the check letter (the number modulo 23, without I, O, Q). */
function uai(n) {
  return `${String(n).padStart(7, '0')}${'ABCDEFGHJKLMNPRSTUVWXYZ'[n % 23]}`;
}

/** A small referential in the ministry's format: two schools and a row with a wrong UAI. */
function referential(base) {
  const header = 'numero_uai;appellation_officielle;adresse_uai;code_postal_uai;localite_acheminement_uai;'
    + 'code_commune;latitude;longitude;secteur_public_prive_libe;nature_uai;nature_uai_libe;'
    + 'etat_etablissement_libe;date_ouverture';
  const row = (id, name, i) => `${id};${name};${i} RUE DES ECOLES;13001;MARSEILLE;13201;`
    + `${(43.29 + i / 1000).toFixed(4)};${(5.37 + i / 1000).toFixed(4)};Public;151;ECOLE DE NIVEAU ELEMENTAIRE;OUVERT;1990-09-01`;
  const bad = uai(base + 2).replace(/[A-Z]$/, 'I');
  return [header, row(uai(base), 'Ecole des Tilleuls', 1), row(uai(base + 1), 'Ecole du Canal', 2), row(bad, 'Ecole fautive', 3)]
    .join('\n');
}

const PDF = '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n';

async function signInHere(page, email) {
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.locator('main').getByRole('button', { name: 'Se connecter' }).click();
}

for (const [label, options, base] of [['desktop', {}, 1380000], ['phone', PHONE, 1381000]]) {
  test(`a Guru opens a collective and appoints its Garant, who imports a file and records a place's life (${label})`, async (t) => {
    const stamp = `${Date.now().toString(36)}${label[0]}`;
    const slug = `essai-${stamp}`;
    const guruEmail = `guru.${stamp}@example.org`;
    const garantEmail = `garante.${stamp}@example.org`;
    vigie('user', 'create', '--email', guruEmail, '--password', PASSWORD, '--name', `Guru ${stamp}`, '--guru');
    vigie('user', 'create', '--email', garantEmail, '--password', PASSWORD, '--name', `Garante ${stamp}`);

    // The Guru asks for the platform page, signs in, and comes back to it.
    const guru = await openPage(t, browser, { ...options, bypassCSP: true });
    await guru.goto('/admin');
    assert.match(guru.url(), /\/login\?next=%2Fadmin$/);
    await signInHere(guru, guruEmail);
    await guru.waitForURL(`${BASE}/admin`);
    assert.match(await text(guru.locator('#plugins-title + table')), /schools/);
    assert.deepEqual(await violations(guru), [], 'the platform page');

    // Opens a collective.
    const form = guru.locator('#collectif form');
    await form.getByLabel('Nom court (adresse)').fill(slug);
    await form.getByLabel('Nom', { exact: true }).fill(`Écoles d'essai ${stamp}`);
    await form.getByLabel('Description').fill('Un collectif ouvert depuis les pages.');
    await form.getByRole('checkbox', { name: 'Écoles' }).check();
    await form.getByLabel('Domaines officiels').fill('essai.example.org');
    await form.getByLabel('Latitude').fill('43,3');
    await form.getByLabel('Longitude').fill('5.38');
    await form.getByLabel('Zoom (0 à 19)').fill('13');
    await Promise.all([
      guru.waitForURL(/\/admin\?done=created/),
      form.getByRole('button', { name: 'Ouvrir le collectif' }).click(),
    ]);
    assert.match(await text(guru.getByRole('status')), /Collectif ouvert/);
    assert.deepEqual(await violations(guru), [], "the collective's settings");

    // Appoints the Garant by e-mail: a mistyped address is said, what was typed kept.
    const garants = guru.locator('form', { has: guru.locator('input[name=role][value=garant]') });
    await garants.getByLabel('Adresse e-mail du compte').fill(`personne.${stamp}@example.org`);
    await garants.getByRole('button', { name: 'Nommer' }).click();
    assert.match(await text(guru.getByRole('alert')), /Aucun compte/);
    const again = guru.locator('form', { has: guru.locator('input[name=role][value=garant]') });
    assert.equal(await again.getByLabel('Adresse e-mail du compte').inputValue(), `personne.${stamp}@example.org`);
    await again.getByLabel('Adresse e-mail du compte').fill(garantEmail);
    await Promise.all([
      guru.waitForURL(/done=role_granted/),
      again.getByRole('button', { name: 'Nommer' }).click(),
    ]);
    assert.match(await text(guru.locator('#roles table')), new RegExp(`Garante ${stamp}`));

    // The Garant finds the collective empty, signs in from it and comes back to it.
    const garant = await openPage(t, browser, { ...options, bypassCSP: true });
    await garant.goto(`/t/${slug}`);
    assert.match(await text(garant.locator('#vide')), /encore vide/);
    await garant.locator('header').getByRole('link', { name: 'Se connecter' }).click();
    await signInHere(garant, garantEmail);
    await garant.waitForURL(`${BASE}/t/${slug}`);
    assert.match(await text(garant.locator('#vide')), /commencez par importer/);
    await Promise.all([
      garant.waitForURL(`${BASE}/t/${slug}/garant#import`),
      garant.locator('#vide').getByRole('link', { name: 'Importer un fichier officiel' }).click(),
    ]);
    assert.deepEqual(await violations(garant), [], 'the Garant desk');

    // Imports the official file from the browser: the report, and the refused row's reason.
    await garant.locator('#import').getByLabel('Fichier').setInputFiles({
      name: 'referentiel.csv', mimeType: 'text/csv', buffer: Buffer.from(referential(base)),
    });
    await Promise.all([
      garant.waitForURL(`${BASE}/t/${slug}/garant/imports#rapport`),
      garant.locator('#import').getByRole('button', { name: 'Importer' }).click(),
    ]);
    assert.equal(await text(garant.locator('#report-created')), '2');
    assert.equal(await text(garant.locator('#report-rejected')), '1');
    assert.match(await text(garant.locator('#rejected-rows')), /^Ligne Colonne Motif 4 /);
    assert.deepEqual(await violations(garant), [], 'the import report');

    // A place's life: an event, then a document, from the place's page.
    await garant.locator('#rapport').getByRole('link', { name: 'Voir les lieux du collectif' }).click();
    await Promise.all([
      garant.waitForURL(/\/o\/\d+$/),
      garant.locator('#objects-list').getByRole('link', { name: 'Ecole des Tilleuls' }).click(),
    ]);
    const sheet = garant.url();
    await Promise.all([
      garant.waitForURL(/\/o\/\d+\/life$/),
      garant.getByRole('link', { name: 'Ajouter un événement ou un document' }).click(),
    ]);
    assert.match(await text(garant.locator('main')), /publié tout de suite/);
    assert.deepEqual(await violations(garant), [], 'the life page');
    const event = garant.locator('#evenement form');
    await event.getByLabel('Nature').selectOption('exceptional_closure');
    await event.getByLabel('Titre').fill(`Fermeture pour dégât des eaux ${stamp}`);
    await event.getByLabel('Description').fill('Une canalisation a cédé dans le réfectoire.');
    await event.getByLabel('Du (premier jour)').fill('2026-11-16');
    await event.getByLabel('Au (dernier jour, si connu)').fill('2026-11-18');
    await Promise.all([
      garant.waitForURL(/done=event_added/),
      event.getByRole('button', { name: "Ajouter l'événement" }).click(),
    ]);
    assert.equal(await text(garant.getByRole('status')), 'Événement ajouté.');
    const doc = garant.locator('#document form');
    await doc.getByLabel('Nature').selectOption('school_council_minutes');
    await doc.getByLabel('Titre').fill(`Compte rendu du conseil d'école ${stamp}`);
    await doc.getByLabel('Date du document').fill('2026-11-10');
    await doc.getByLabel('Fichier').setInputFiles({ name: 'conseil.pdf', mimeType: 'application/pdf', buffer: Buffer.from(PDF) });
    await Promise.all([
      garant.waitForURL(/done=document_added/),
      doc.getByRole('button', { name: 'Joindre le document' }).click(),
    ]);
    assert.equal(await text(garant.getByRole('status')), 'Document joint.');

    // Published at once, for everyone.
    const visitor = await openPage(t, browser, options);
    await visitor.goto(sheet);
    const main = await text(visitor.locator('main'));
    assert.match(main, new RegExp(`Fermeture pour dégât des eaux ${stamp}`));
    assert.match(main, new RegExp(`Compte rendu du conseil d'école ${stamp}`));
    // The Garant's and Guru's links are theirs only.
    await visitor.goto(`/t/${slug}`);
    assert.equal(await visitor.locator(`a[href="/t/${slug}/garant"], a[href="/t/${slug}/admin"]`).count(), 0);

    for (const page of [guru, garant, visitor]) assert.deepEqual(page.problems, []);
  });
}

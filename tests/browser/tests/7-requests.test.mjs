// 7. Requests for intervention: a visitor without an account files one from a school's sheet
// and lands on its page with their personal link, pending moderation, with its journal; filing
// a similar one shows the open duplicate first, in place and keeping the photo (« Moi aussi » or
// « Déposer quand même »; without JavaScript the server shows it after a first sending). A
// Garant moderates and assigns a contact, who answers through the e-mailed link without an
// account; a request set apart hides its content behind a warning.
//
// These tests file their own requests with words no demo request uses, so that they do not
// depend on the demo collective's requests.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BASE, SCREENSHOTS, TENANT, launch, newestMailTo, openPage, text, vigie } from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A 1×1 PNG, as a phone would send a photo. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const PASSWORD = 'une phrase de passe assez longue';
const stamp = () => `${Date.now()}${process.pid}`.slice(-9);

/** Opens the sheet of the n-th school of the collective's list; returns its path. */
async function openSchool(page, n) {
  await page.goto(`/t/${TENANT}`);
  const href = await page.locator('main table a').nth(n).getAttribute('href');
  await page.goto(href);
  await page.getByRole('heading', { name: 'Déposer une demande' }).waitFor();
  return href;
}

/** Submits a form with the button named `button`; returns the answer to the POST. */
async function submit(page, form, button) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.waitForEvent('load'),
    form.getByRole('button', { name: button }).click(),
  ]);
  return response;
}

/**
 * Sends the filing form with the button named `button`. The sheet's script first asks the
 * server for similar open requests: when there are some it shows them in place, above the form,
 * and sends nothing (null is returned); otherwise the form is sent and the answer to the POST is
 * returned once its page has loaded.
 */
async function sendFiling(page, button) {
  const form = page.locator('#deposer form.stack');
  const shown = page.locator('#similar-slot section.similar');
  const posted = page.waitForResponse((r) => r.request().method() === 'POST');
  const loaded = page.waitForEvent('load');
  posted.catch(() => {});
  loaded.catch(() => {});
  await form.getByRole('button', { name: button }).click();
  const first = await Promise.race([posted.then((response) => ({ response })), shown.waitFor().then(() => null)]);
  if (!first) return null;
  await loaded;
  return first.response;
}

/** Fills the sheet's « Déposer une demande » form and sends it (see `sendFiling`). */
async function fileRequest(page, { kind = "Demande d'intervention", title, description, categories = [], email = '', photo = null }) {
  const form = page.locator('#deposer form.stack');
  await form.getByLabel('Type de demande').selectOption({ label: kind });
  await form.getByLabel('Titre').fill(title);
  await form.getByLabel('Description').fill(description);
  for (const c of categories) await form.getByLabel(c, { exact: true }).check();
  if (email) await form.getByLabel('E-mail pour suivre la demande (facultatif, privé)').fill(email);
  if (photo) await form.getByLabel('Photo (facultatif)').setInputFiles({ name: 'parvis.png', mimeType: 'image/png', buffer: photo });
  return sendFiling(page, /^Déposer/);
}

/** Files a request and, if similar ones are open (an earlier test's), files it anyway. */
async function fileNew(page, request) {
  let response = await fileRequest(page, request);
  // Shown in place (what was chosen, the photo included, is still in the form), or by the
  // server without JavaScript.
  const similar = page.getByRole('heading', { name: 'Demandes semblables déjà ouvertes' });
  if (response === null || (response.status() === 200 && (await similar.count()))) {
    response = await submit(page, page.locator('#deposer form.stack'), 'Déposer quand même');
  }
  assert.equal(response.status(), 303, `filing answered ${response.status()}: ${await page.getByRole('alert').allInnerTexts()}`);
  const url = new URL(page.url());
  const id = Number(url.pathname.match(/\/t\/[^/]+\/r\/(\d+)$/)?.[1]);
  assert.ok(id > 0, `landed on a request's page: ${page.url()}`);
  return { id, token: url.searchParams.get('token'), url };
}

/** The journal's entries, newest last, as their text. */
const journal = async (page) => page.locator('#journal ol.timeline > li').evaluateAll((lis) =>
  lis.map((li) => li.innerText.replace(/\s+/g, ' ').trim()));

/** Registers and verifies an account; returns its e-mail. */
async function account(page, name) {
  const email = `${name.toLowerCase().replace(/[^a-z]+/g, '.').replace(/^\.+|\.+$/g, '')}.${stamp()}@example.org`;
  const r = await page.request.post('/register', { form: { email, display_name: name, password: PASSWORD } });
  assert.equal(r.status(), 201);
  const link = (await newestMailTo(email)).body.match(/https?:\/\/\S+\/verify\?token=[0-9a-f]+/)[0];
  await page.goto(link);
  return email;
}

/** Publishes request `id` as `moderator` (a signed-in Garant's page). */
async function publishAs(moderator, id) {
  await moderator.goto(`/t/${TENANT}/r/${id}`);
  const moderation = moderator.locator('#agir form', { has: moderator.getByRole('button', { name: 'Enregistrer la décision' }) });
  await moderation.getByRole('radio', { name: 'Publier' }).check();
  await submit(moderator, moderation, 'Enregistrer la décision');
  assert.equal(await text(moderator.getByRole('status')), 'Décision enregistrée.');
}

/**
 * Publishes request `id` as a new Garant of the schools: only published requests are proposed
 * as similar ones (a pending one is its author's and its moderators' only).
 */
async function publish(t, id) {
  const garant = await openPage(t, browser);
  const email = await account(garant, `Garante Publication ${stamp().slice(-5)}`);
  vigie('role', 'grant', '--role', 'garant', '--user', email, '--tenant', TENANT, '--type', 'schools');
  await signIn(garant, email);
  await publishAs(garant, id);
}

async function signIn(page, email) {
  await page.goto('/login');
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await Promise.all([page.waitForURL(`${BASE}/`), page.locator('main').getByRole('button', { name: 'Se connecter' }).click()]);
}

test('a visitor files a request without an account and lands on its page, pending moderation, with its journal', async (t) => {
  const page = await openPage(t, browser);
  const sheet = await openSchool(page, 6);
  const s = stamp();
  const title = `Lampadaire du parvis éteint le soir ${s}`;
  const email = `requerant.${s}@example.org`;
  const { id, token } = await fileNew(page, {
    title,
    description: "Le lampadaire du parvis reste éteint après 18 h : la sortie de l'étude se fait dans le noir.",
    categories: ['Sécurité'],
    email,
    photo: PNG,
  });
  assert.match(token ?? '', /^[0-9a-f]{32,}$/, 'the personal link token is in the address');

  // Keep the link: the page says so and shows it, ready to copy.
  assert.match(await text(page.getByRole('status')), /^Votre demande est enregistrée ; elle sera publiée après modération\. Gardez bien l'adresse de cette page/);
  assert.equal(await page.getByLabel('Votre lien personnel').inputValue(), `${BASE}/t/${TENANT}/r/${id}?token=${token}`);

  assert.equal(await text(page.locator('main h1')), title);
  assert.equal(await text(page.locator('main .status').first()), 'en attente de modération');
  const facts = await text(page.locator('dl.facts'));
  assert.match(facts, /Type de demande Demande d'intervention/);
  assert.match(facts, /Catégories Sécurité/);
  assert.match(facts, /Demandeur anonyme/);
  assert.match(facts, /Soutiens 0/);

  // The photo, stored without its metadata, is linked.
  const photo = page.locator('main a', { hasText: `Photo — ${title}` });
  const href = await photo.getAttribute('href');
  // Pending: the photo is its author's, through the personal link.
  assert.match(href, new RegExp(`^/api/v1/tenants/${TENANT}/documents/\\d+/file\\?token=${token}$`));
  const file = await page.request.get(href);
  assert.equal(file.status(), 200);
  assert.equal(file.headers()['content-type'], 'image/png');

  // The journal: filed by an anonymous visitor, the requester told by e-mail, the photo added;
  // each entry with its shortened hash; never an e-mail address.
  const entries = await journal(page);
  assert.match(entries[0], /— Demande déposée par anonyme .*Titre : Lampadaire du parvis.*Entrée n° \d+ · empreinte [0-9a-f]{12}…$/);
  assert.ok(entries.some((e) => /Notification envoyée .*Pour : le demandeur/.test(e)), entries.join('\n'));
  assert.ok(entries.some((e) => /Pièce jointe ajoutée/.test(e)), entries.join('\n'));
  assert.match(await page.locator('#journal code').first().getAttribute('title'), /^[0-9a-f]{64}$/);
  assert.equal(await page.getByText(email).count(), 0, 'the contact e-mail is private');
  assert.doesNotMatch(await text(page.locator('main')), /@example\.org/);

  // Anyone can check the collective's journal.
  const verify = page.getByRole('link', { name: "Vérifier l'intégrité du journal" });
  assert.equal(await verify.getAttribute('href'), `/api/v1/tenants/${TENANT}/journal/verify`);
  const report = await (await page.request.get(await verify.getAttribute('href'))).json();
  assert.equal(report.ok, true, JSON.stringify(report));

  // Comments are for signed-in readers.
  await page.getByText('Connectez-vous pour lire les commentaires.').waitFor();

  // The e-mail to the typed address carries a link of its own: opening it confirms that the
  // address is the requester's (the link on the page does not), before anything else is sent.
  const mail = await newestMailTo(email);
  const mailed = mail.body.match(new RegExp(`${BASE}/t/${TENANT}/r/${id}\\?token=([0-9a-f]+)`));
  assert.ok(mailed, mail.body);
  assert.notEqual(mailed[1], token, 'the mailed link is not the one shown to the filer');

  // Reloading does not file it twice; the sheet lists it, pending moderation, its words kept
  // for those who may read it.
  await page.reload();
  await page.goto(sheet);
  const item = page.locator('#demandes li', { has: page.locator(`a[href="/t/${TENANT}/r/${id}"]`) });
  assert.equal(await item.count(), 1);
  assert.match(await text(item), /attend la modération depuis le/);
  assert.doesNotMatch(await text(item), new RegExp(title));

  // Without the link, the visitor sees that a request awaits moderation, not what it says,
  // and may not change it.
  await page.goto(`/t/${TENANT}/r/${id}`);
  assert.equal(await page.getByRole('heading', { name: 'Agir sur cette demande' }).count(), 0);
  assert.equal(await page.getByLabel('Votre lien personnel').count(), 0);
  assert.doesNotMatch(await text(page.locator('main')), new RegExp(title));
  assert.deepEqual(page.problems, []);
});

test('filing a request like an open one shows it first: « Moi aussi » supports it, « Déposer quand même » files it with its photo', async (t) => {
  const page = await openPage(t, browser);
  const sheet = await openSchool(page, 6);
  const s = stamp();
  const first = await fileNew(page, {
    title: `Grille du jardin potager arrachée ${s}`,
    description: 'La grille du jardin potager est arrachée, les enfants passent dessous.',
    categories: ['Espaces extérieurs et cour'],
  });
  await publish(t, first.id);

  // The same problem, in other words, with a photo.
  await page.goto(sheet);
  const again = {
    title: `Jardin potager : grille arrachée ${s}`,
    description: 'Grille arrachée au jardin potager depuis les vacances.',
    categories: ['Espaces extérieurs et cour'],
    photo: PNG,
  };
  const shown = await fileRequest(page, again);
  assert.equal(shown, null, 'nothing sent yet: the similar requests are shown in place');
  assert.match(await text(page.getByRole('status')), /^Des demandes semblables sont déjà ouvertes ici ou tout près/);
  const similar = page.locator('#deposer section.similar');
  await similar.getByRole('heading', { name: 'Demandes semblables déjà ouvertes' }).waitFor();
  const candidate = similar.locator('li', { has: page.locator(`a[href="/t/${TENANT}/r/${first.id}"]`) });
  assert.equal(await candidate.count(), 1, await text(similar));
  assert.match(await text(candidate), /publiée/);
  // Everything typed and chosen is still there, the photo too.
  const form = page.locator('#deposer form.stack');
  assert.equal(await form.getByLabel('Titre').inputValue(), again.title);
  assert.equal(await form.getByLabel('Espaces extérieurs et cour', { exact: true }).isChecked(), true);
  assert.equal(await form.getByLabel('Photo (facultatif)').evaluate((input) => input.files.length), 1);

  // « Moi aussi »: the first request counts one more supporter, nothing new is filed.
  await submit(page, candidate, 'Moi aussi');
  assert.equal(new URL(page.url()).pathname, `/t/${TENANT}/r/${first.id}`);
  assert.equal(await text(page.getByRole('status')), 'Merci ! Votre soutien est compté.');
  assert.match(await text(page.locator('dl.facts')), /Soutiens 1/);
  assert.ok((await journal(page)).some((e) => /Soutien \(« moi aussi »\) par anonyme/.test(e)));

  // Or file it anyway: a request of its own, pending moderation, with the photo chosen before.
  await page.goto(sheet);
  assert.equal(await fileRequest(page, again), null);
  const response = await submit(page, page.locator('#deposer form.stack'), 'Déposer quand même');
  assert.equal(response.status(), 303);
  const id = Number(new URL(page.url()).pathname.split('/').pop());
  assert.ok(id > first.id);
  assert.equal(await text(page.locator('main h1')), again.title);
  assert.equal(await text(page.locator('main .status').first()), 'en attente de modération');
  assert.equal(await page.locator('main a', { hasText: `Photo — ${again.title}` }).count(), 1, 'the photo was filed');
  assert.match((await journal(page))[0], /Demande déposée par anonyme/);
  assert.deepEqual(page.problems, []);
});

test('without JavaScript, the server shows the similar requests after the first sending and asks for the photo again', async (t) => {
  const page = await openPage(t, browser, { javaScriptEnabled: false });
  const sheet = await openSchool(page, 6);
  const s = stamp();
  const request = { title: `Robinet de la cantine qui fuit ${s}`, description: 'Le robinet de la cantine fuit sans arrêt depuis la rentrée.' };
  const first = await fileNew(page, request);
  await publish(t, first.id);
  await page.goto(sheet);
  const shown = await fileRequest(page, { ...request, photo: PNG });
  assert.equal(shown.status(), 200, 'nothing filed yet');
  const similar = page.locator('#deposer section.similar');
  assert.equal(await similar.locator(`a[href="/t/${TENANT}/r/${first.id}"]`).count(), 1, await text(similar));
  assert.match(await text(page.locator('#r-photo-help')), /Votre photo n'a pas été gardée : joignez-la à nouveau\./);
  const response = await submit(page, page.locator('#deposer form.stack'), 'Déposer quand même');
  assert.equal(response.status(), 303);
  assert.equal(await text(page.locator('main h1')), request.title);
  assert.deepEqual(page.problems, []);
});

test('a too short title is refused in French, with what was typed kept', async (t) => {
  const page = await openPage(t, browser);
  await openSchool(page, 6);
  // Past the browser's own check, as an older browser would be.
  await page.locator('#deposer input[name=title]').evaluate((el) => el.removeAttribute('minlength'));
  const response = await fileRequest(page, { title: 'ok', description: 'Une description assez longue.' });
  assert.equal(response.status(), 400);
  assert.equal(await text(page.getByRole('alert')), '« Titre » : écrivez entre 3 et 200 caractères (ici 2).');
  assert.equal(await page.locator('#deposer').getByLabel('Description').inputValue(), 'Une description assez longue.');
  assert.deepEqual(page.problems, []);
});

test('a Garant publishes and assigns; the contact answers through the e-mailed link, without an account', async (t) => {
  const garant = await openPage(t, browser);
  const name = `Garante E2E ${stamp().slice(-5)}`;
  const email = await account(garant, name);
  vigie('role', 'grant', '--role', 'garant', '--user', email, '--tenant', TENANT, '--type', 'schools');
  await signIn(garant, email);

  // A visitor files a request.
  const visitor = await openPage(t, browser);
  const s = stamp();
  await openSchool(visitor, 7);
  const title = `Store de la bibliothèque bloqué ${s}`;
  const { id } = await fileNew(visitor, { title, description: 'Le store de la bibliothèque reste bloqué en bas depuis mardi.' });

  // The Garant moderates it: published.
  await garant.goto(`/t/${TENANT}/r/${id}`);
  const act = garant.locator('#agir');
  await act.getByRole('heading', { name: 'Agir sur cette demande' }).waitFor();
  assert.match(await text(act.locator('p.muted').first()), /Vous agissez en tant que : modérateur/);
  const moderation = act.locator('form', { has: garant.getByRole('button', { name: 'Enregistrer la décision' }) });
  await moderation.getByRole('radio', { name: 'Publier' }).check();
  await submit(garant, moderation, 'Enregistrer la décision');
  assert.equal(await text(garant.getByRole('status')), 'Décision enregistrée.');
  assert.equal(await text(garant.locator('main .status').first()), 'publiée');
  assert.equal(await garant.getByRole('heading', { name: 'Modération' }).count(), 0, 'moderated once');
  assert.ok((await journal(garant)).some((e) => e.includes(`Publiée par la modération par ${name}`)));

  // Re-expressed: the requester's words stay visible.
  const wording = act.locator('form', { has: garant.getByRole('button', { name: 'Enregistrer la reformulation' }) });
  await wording.getByLabel('Titre').fill(`Store bloqué à la bibliothèque ${s}`);
  await submit(garant, wording, 'Enregistrer la reformulation');
  assert.equal(await text(garant.locator('main h1')), `Store bloqué à la bibliothèque ${s}`);
  await garant.getByRole('heading', { name: "Texte d'origine" }).waitFor();
  assert.match(await text(garant.locator('blockquote')), new RegExp(`^${title}`));

  // A contact for schools, then the request assigned to them.
  const contactEmail = `direction.${s}@example.org`;
  const added = await garant.request.post(`/api/v1/tenants/${TENANT}/object-types/schools/contacts`, {
    data: { name: `Mme Directrice ${s}`, role_title: "Directrice de l'école", email: contactEmail },
  });
  assert.equal(added.status(), 201, await added.text());
  const contact = await added.json();
  await garant.reload();
  const assign = act.locator('form', { has: garant.getByRole('button', { name: 'Confier', exact: true }) });
  await assign.getByLabel('Contact', { exact: true }).selectOption(String(contact.id));
  await submit(garant, assign, 'Confier');
  assert.match(await text(garant.getByRole('status')), /^Demande confiée/);
  assert.match(await text(garant.locator('.card', { has: garant.getByRole('heading', { name: 'Personnes chargées de la demande' }) })),
    new RegExp(`Mme Directrice ${s} — Directrice de l'école`));
  assert.doesNotMatch(await text(garant.locator('main')), /@example\.org/, 'no e-mail address on the page');

  // A signed-in reader comments.
  const comments = garant.locator('#commentaires');
  await comments.getByLabel('Votre commentaire').fill('Même chose dans la classe du fond.');
  await submit(garant, comments, 'Commenter');
  assert.equal(await text(garant.getByRole('status')), 'Commentaire ajouté.');
  await comments.getByText('Même chose dans la classe du fond.').waitFor();

  // The contact opens the link from their e-mail, in a browser without a session.
  const mail = await newestMailTo(contactEmail);
  const link = mail.body.match(/https?:\/\/\S+\/r\/\d+\?token=[0-9a-f]+/)[0];
  const director = await openPage(t, browser);
  await director.goto(link);
  assert.match(await text(director.locator('#agir p.muted').first()), new RegExp(`contact — Mme Directrice ${s}`));
  assert.equal(await director.getByRole('heading', { name: 'Modération' }).count(), 0);
  await director.getByText('Connectez-vous pour lire les commentaires.').waitFor();
  const answer = director.locator('form', { has: director.getByRole('button', { name: 'Envoyer la réponse' }) });
  await answer.getByLabel('Votre réponse').fill('Le réparateur passe jeudi matin.');
  await answer.getByLabel('Nouveau statut (facultatif)').selectOption({ label: 'programmée' });
  await submit(director, answer, 'Envoyer la réponse');
  assert.equal(await text(director.getByRole('status')), 'Réponse enregistrée.');
  assert.equal(new URL(director.url()).searchParams.get('token'), new URL(link).searchParams.get('token'), 'the link is kept');
  assert.equal(await text(director.locator('main .status').first()), 'programmée');

  // Then marks it solved; anyone may say it is not.
  const status = director.locator('form', { has: director.getByRole('button', { name: 'Changer le statut' }) });
  await status.getByLabel('Nouveau statut').selectOption({ label: 'résolue' });
  await status.getByLabel('Note (publique, facultative)').fill('Store réparé.');
  await submit(director, status, 'Changer le statut');
  assert.equal(await text(director.locator('main .status').first()), 'résolue');
  await visitor.goto(`/t/${TENANT}/r/${id}`);
  await submit(visitor, visitor.locator('main'), "Ce n'est pas résolu");
  assert.equal(await text(visitor.getByRole('status')), 'Merci : la demande est rouverte.');
  assert.equal(await text(visitor.locator('main .status').first()), 'non résolue');

  const entries = await journal(visitor);
  const has = (re) => assert.ok(entries.some((e) => re.test(e)), `${re} in\n${entries.join('\n')}`);
  has(/Confiée par .* Pour : Mme Directrice \d+ \(Directrice de l'école\)/);
  has(/Réponse par Mme Directrice \d+ \(Directrice de l'école\) .*Message : Le réparateur passe jeudi matin\./);
  has(/Statut changé .*Statut : publiée → programmée/);
  has(/Statut changé .*Statut : programmée → résolue .*Note : Store réparé\./);
  has(/Signalée non résolue : rouverte .*Statut : résolue → non résolue/);
  has(/Commentaire ajouté par/);
  assert.doesNotMatch(entries.join(' '), /@/, 'never an e-mail address in the journal');
  for (const p of [garant, visitor, director]) assert.deepEqual(p.problems, []);
});

test('a request set apart: listed apart without its content, shown only after a warning', async (t) => {
  const garant = await openPage(t, browser);
  const email = await account(garant, `Garant Ecart ${stamp().slice(-5)}`);
  vigie('role', 'grant', '--role', 'garant', '--user', email, '--tenant', TENANT, '--type', 'schools');
  await signIn(garant, email);
  const sheet = await openSchool(garant, 7);
  const s = stamp();
  const title = `Propos injurieux sur la cantinière ${s}`;
  const { id } = await fileNew(garant, { title, description: 'Un texte qui ne respecte pas la charte du site.' });
  const act = garant.locator('#agir');
  const moderation = act.locator('form', { has: garant.getByRole('button', { name: 'Enregistrer la décision' }) });
  await moderation.getByRole('radio', { name: /^Mettre à l'écart/ }).check();
  await moderation.getByLabel('Motif').fill('Propos injurieux envers une personne.');
  await submit(garant, moderation, 'Enregistrer la décision');

  // On the sheet: not in the list, but in the collapsed list of requests set apart.
  const visitor = await openPage(t, browser);
  await visitor.goto(sheet);
  const requests = visitor.locator('#demandes');
  assert.equal(await requests.getByText(title).count(), 0);
  const apart = requests.locator('details.set-apart');
  assert.equal(await apart.getAttribute('open'), null, 'collapsed');
  await apart.locator('summary').click();
  const item = apart.locator('li', { hasText: `Demande n° ${id}` });
  assert.match(await text(item), /Motif : Propos injurieux envers une personne\./);
  await Promise.all([visitor.waitForURL(/reveal=1/), item.getByRole('link', { name: 'Afficher quand même' }).click()]);
  assert.equal(await text(visitor.locator('main h1')), title);

  // Its own page hides the content behind the warning.
  await visitor.goto(`/t/${TENANT}/r/${id}`);
  assert.equal(await text(visitor.locator('main h1')), `Demande n° ${id}`);
  assert.equal(await visitor.getByText(title).count(), 0);
  await visitor.getByText(/^Attention : cette demande a été mise à l'écart/).waitFor();
  assert.equal(await text(visitor.locator('main .status').first()), "mise à l'écart");
  await Promise.all([visitor.waitForURL(/reveal=1/), visitor.getByRole('link', { name: 'Afficher quand même' }).click()]);
  assert.equal(await text(visitor.locator('main h1')), title);
  await visitor.getByText('Un texte qui ne respecte pas la charte du site.').waitFor();
  for (const p of [garant, visitor]) assert.deepEqual(p.problems, []);
});

test('a Garant merges a duplicate into the request that stays and notifies a contact', async (t) => {
  const garant = await openPage(t, browser);
  const email = await account(garant, `Garant Fusion ${stamp().slice(-5)}`);
  vigie('role', 'grant', '--role', 'garant', '--user', email, '--tenant', TENANT, '--type', 'schools');
  await signIn(garant, email);
  const sheet = await openSchool(garant, 5);
  const s = stamp();
  const stays = await fileNew(garant, { title: `Radiateur froid en CP ${s}`, description: 'Le radiateur de la classe de CP reste froid le matin.' });
  await publishAs(garant, stays.id);
  await garant.goto(sheet);
  assert.equal(await fileRequest(garant, { title: `CP : radiateur froid ${s}`, description: 'Radiateur froid le matin dans la classe de CP.' }), null);
  await submit(garant, garant.locator('#deposer form.stack'), 'Déposer quand même');
  const duplicate = Number(new URL(garant.url()).pathname.split('/').pop());

  // The merge form lists the likely duplicate and proposes it.
  const merge = garant.locator('section', { has: garant.getByRole('heading', { name: 'Fusionner dans une autre demande' }) });
  await merge.getByRole('link', { name: new RegExp(`^Demande n° ${stays.id} — `) }).waitFor();
  assert.equal(await merge.getByLabel('Numéro de la demande qui reste').inputValue(), String(stays.id));
  await submit(garant, merge, 'Fusionner');
  assert.equal(await text(garant.getByRole('status')), 'Demande fusionnée.');
  assert.match(await text(garant.locator('main p.warning')), new RegExp(`^Fusionnée dans la demande n° ${stays.id}$`));
  assert.equal(await garant.getByRole('button', { name: 'Moi aussi' }).count(), 0, 'a merged request is not supported');
  assert.ok((await journal(garant)).some((e) => new RegExp(`Fusionnée dans une autre demande par .*Fusionnée dans : Demande n° ${stays.id}`).test(e)));

  // The request that stays counts the duplicate's requester and says where it came from.
  await garant.goto(`/t/${TENANT}/r/${stays.id}`);
  assert.match(await text(garant.locator('dl.facts')), /Soutiens 1/);
  const from = garant.locator('#journal').getByRole('link', { name: `Demande n° ${duplicate}` });
  assert.equal(await from.getAttribute('href'), `/t/${TENANT}/r/${duplicate}`);

  // Notify a contact: they get an e-mail with their own link; the journal says to whom.
  const contactEmail = `travaux.${s}@example.org`;
  const added = await garant.request.post(`/api/v1/tenants/${TENANT}/object-types/schools/contacts`, {
    data: { name: `Service travaux ${s}`, role_title: 'Ville de Marseille', email: contactEmail },
  });
  assert.equal(added.status(), 201, await added.text());
  await garant.reload();
  const notify = garant.locator('section', { has: garant.getByRole('heading', { name: 'Prévenir des contacts' }) });
  await notify.getByLabel(`Service travaux ${s} — Ville de Marseille`).check();
  await notify.getByLabel('Message').fill('Pouvez-vous passer voir ce radiateur ?');
  await submit(garant, notify, 'Envoyer');
  assert.equal(await text(garant.getByRole('status')), 'Notification envoyée.');
  const mail = await newestMailTo(contactEmail);
  assert.match(mail.body, new RegExp(`/t/${TENANT}/r/${stays.id}\\?token=[0-9a-f]+`));
  assert.ok((await journal(garant)).some((e) => new RegExp(`Notification envoyée par .* Pour : Service travaux ${s} \\(Ville de Marseille\\)`).test(e)));
  assert.doesNotMatch(await text(garant.locator('main')), /@example\.org/);
  assert.deepEqual(garant.problems, []);
});

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** Checks that nothing makes the page wider than the phone's screen (as 5-mobile does). */
async function assertFits(page, what) {
  const m = await page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const out = [...document.body.querySelectorAll('*')]
      .filter((el) => !el.closest('.scroll') && el.getBoundingClientRect().right > vw + 1)
      .slice(0, 3)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className}`);
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, out };
  });
  assert.ok(Math.max(m.scrollWidth, m.innerWidth) <= 391, `${what}: ${m.scrollWidth}px wide; sticking out: ${m.out.join(', ')}`);
}

test('on a phone, the filing form, the similar requests and the request page fit the screen', async (t) => {
  const page = await openPage(t, browser, PHONE);
  const sheet = await openSchool(page, 6);
  await assertFits(page, 'sheet with the filing form');
  const s = stamp();
  const request = { title: `Banc de la cour descellé ${s}`, description: 'Le banc de la cour est descellé et bascule quand on s’y assoit.' };
  const { id } = await fileNew(page, request);
  await page.screenshot({ path: join(SCREENSHOTS, 'mobile-request.png'), fullPage: true });
  await assertFits(page, 'request page with the personal link and its forms');
  await publish(t, id);
  await page.goto(sheet);
  await fileRequest(page, request);
  await page.getByRole('heading', { name: 'Demandes semblables déjà ouvertes' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'mobile-similar-requests.png'), fullPage: true });
  await assertFits(page, 'similar requests before filing');
  assert.deepEqual(page.problems, []);
});

test('the request pages in English', async (t) => {
  const page = await openPage(t, browser, { locale: 'en-GB' });
  await page.goto(`/t/${TENANT}?lang=en`);
  const href = await page.locator('main table a').nth(6).getAttribute('href');
  await page.goto(href);
  await page.getByRole('heading', { name: 'File a request' }).waitFor();
  await page.getByRole('heading', { name: 'Requests', exact: true }).waitFor();
  const link = page.locator('#demandes ul.requests a').first();
  if (await link.count()) {
    await Promise.all([page.waitForURL(/\/r\/\d+$/), link.click()]);
    await page.getByRole('heading', { name: 'Journal of the request' }).waitFor();
    await page.getByText('Sign in to read the comments.').waitFor();
  }
  await page.goto(`/t/${TENANT}`);
  await page.getByRole('link', { name: "Verify the journal's integrity" }).waitFor();
  assert.deepEqual(page.problems, []);
});

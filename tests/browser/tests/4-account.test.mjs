// 4. Account flow with the forms: register, follow the e-mailed verification link, sign in,
// see one's display name in the header, sign out.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, launch, newestMailTo, openPage, text } from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('register, verify by e-mail, sign in, see the name, sign out', async (t) => {
  const page = await openPage(t, browser);
  const stamp = `${Date.now()}${process.pid}`;
  const email = `parent.${stamp}@example.org`;
  const name = `Parent E2E ${stamp.slice(-6)}`;
  const password = 'une phrase de passe assez longue';

  await page.goto('/');
  await Promise.all([page.waitForURL('**/register'), page.locator('header').getByRole('link', { name: 'Créer un compte' }).click()]);
  assert.equal(await text(page.locator('main h1')), 'Créer un compte');
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Nom affiché (public)').fill(name);
  await page.getByLabel('Mot de passe').fill(password);
  await page.locator('main').getByRole('button', { name: 'Créer un compte' }).click();
  assert.match(await text(page.getByRole('status')), /^C'est noté\. Un e-mail vient d'être envoyé à cette adresse/);

  // Signing in before confirming the address is refused, with a way to get the link again.
  await page.goto('/login');
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await page.locator('main').getByRole('button', { name: 'Se connecter' }).click();
  assert.match(await text(page.getByRole('alert')), /Confirmez d'abord votre adresse/);
  await page.getByRole('button', { name: 'Renvoyer le lien de confirmation' }).waitFor();
  assert.equal(await page.locator('header').getByText(name).count(), 0);

  // The verification link from the newest e-mail to that address.
  const mail = await newestMailTo(email);
  assert.match(mail.headers, /^Subject: .*confirmez votre adresse/m);
  const links = mail.body.match(/https?:\/\/[^\s"<>]+\/verify\?token=[0-9a-f]+/g);
  assert.ok(links?.length, `a verification link in:\n${mail.body}`);
  const link = new URL(links[0]);
  assert.equal(link.origin, new URL(BASE).origin, 'the link points at this server');
  assert.match(link.searchParams.get('token'), /^[0-9a-f]{32,}$/);

  const verified = await page.goto(link.href);
  assert.equal(verified.status(), 200);
  assert.equal(await text(page.getByRole('status')), 'Adresse confirmée. Vous pouvez vous connecter.');

  // The confirmation page is the sign-in form.
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await Promise.all([
    page.waitForURL(`${BASE}/`),
    page.locator('main').getByRole('button', { name: 'Se connecter' }).click(),
  ]);
  const header = page.locator('header');
  const me = header.getByRole('link', { name });
  await me.waitFor();
  assert.equal(await me.getAttribute('href'), '/account');
  assert.equal(await header.getByRole('link', { name: 'Se connecter' }).count(), 0);
  const session = (await page.context().cookies()).find((c) => c.name === 'vigie_session');
  assert.ok(session?.httpOnly, 'an HTTP-only session cookie');

  // The account page shows the private address to its owner.
  await Promise.all([page.waitForURL('**/account'), me.click()]);
  assert.equal(await text(page.locator('main h1')), 'Mon compte');
  await page.locator('main').getByText(email).waitFor();
  assert.equal(await page.getByLabel('Nom affiché (public)').inputValue(), name);

  // Sign out.
  await Promise.all([page.waitForURL(`${BASE}/`), header.getByRole('button', { name: 'Se déconnecter' }).click()]);
  await header.getByRole('link', { name: 'Se connecter' }).waitFor();
  assert.equal(await header.getByText(name).count(), 0);
  await page.goto('/account');
  assert.match(page.url(), /\/login$/, '/account sends a signed-out visitor to the sign-in page');
  assert.deepEqual(page.problems, []);
});

// Steps of the cross-border flow shared by the wallet / verifier browser tests: a registrar
// creates an offer, a student receives it in the web wallet, a verifier desk asks, the student
// answers. Each actor has its own browser context (own cookies), like three different people.
import assert from 'node:assert/strict';

/** Signs a registrar in and creates an offer for the graduate whose link is `graduate`. */
export async function createOffer(page, base, { username, password, graduate }) {
  await page.goto(`${base}/registrar/sign-in?lang=en`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/registrar\/graduates/);
  await page.getByRole('link', { name: graduate }).click();
  await page.getByRole('link', { name: 'Issue a credential' }).click();
  await page.getByRole('button', { name: 'Create credential offer' }).click();
  await page.getByText('The offer is ready.').waitFor();
  const txCode = (await page.locator('.tx-code-value strong').innerText()).trim();
  const walletLink = await page.getByRole('link', { name: 'Open in the web wallet' }).getAttribute('href');
  assert.match(txCode, /^\S{4,}$/);
  assert.match(walletLink, /\/wallet\/receive\?offer=openid-credential-offer/);
  return { txCode, walletLink };
}

/** Signs a student in on the wallet's sign-in page (where any wallet link leads first). */
export async function studentSignIn(page, { username, password, label = 'Student account', passwordLabel = 'Password', submit = 'Sign in' }) {
  await page.getByLabel(label).fill(username);
  await page.getByLabel(passwordLabel).fill(password);
  await page.getByRole('button', { name: submit }).click();
}

/** Creates a request at the verifier desk; returns the same-device link into the wallet. */
export async function createRequest(page, base, { verifier, template, lang = 'en', submit = 'Create the request' }) {
  await page.goto(`${base}/verifier-portal?lang=${lang}`);
  const group = page.getByRole('group', { name: verifier });
  await group.getByLabel(template).check();
  await page.getByRole('button', { name: submit }).click();
  await page.waitForURL(/\/verifier-portal\/(eu|jp)\/sessions\/vps_/);
  assert.doesNotMatch(page.url(), /token/, 'no result token in the address');
  const link = await page.locator('#same-device').getAttribute('href');
  assert.match(link, /^\/wallet\/present\?client_id=/);
  return link;
}

/** Submits the receive form; fails with the page's own error message if it shows one. */
export async function receive(page, button, success) {
  await page.getByRole('button', { name: button }).click();
  const done = page.getByText(success);
  const error = page.locator('#receive-error');
  await done.or(error).first().waitFor({ timeout: 60_000 });
  if (await error.count()) throw new Error(`receive refused: ${await error.innerText()}`);
}

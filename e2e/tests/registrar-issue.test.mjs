// Issuing from the registrar portal in a real browser: a registrar signs in, issues a credential
// offer (QR code, links, transaction code) in English, Japanese and on a phone; the student's
// wallet (`kakehashi wallet receive`, trusting only the node's demo CA) redeems it; the
// registrar revokes it after the confirmation step, and the audit trail shows both actions
// without the transaction code.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { launch, shot } from '../lib/browser.js';
import { DEMO_PASSWORD, JP_REGISTRAR, startServer } from '../lib/server.js';

const run = promisify(execFile);

function binaryPath() {
  if (process.env.KAKEHASHI_BIN) return process.env.KAKEHASHI_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), '.cache', 'kakehashi-target');
  return path.join(target, 'debug', 'kakehashi');
}

async function signIn(page, base, username) {
  await page.goto(`${base}/registrar/sign-in?lang=en`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/registrar\/graduates$/);
}

/** Creates an offer from the credentials page; returns the offer page's link and code. */
async function createOffer(page) {
  await page.getByRole('button', { name: /Create credential offer|証明書オファーを作成/ }).click();
  await page.locator('.tx-code-value').waitFor();
  const txCode = (await page.locator('.tx-code-value').innerText()).trim();
  const offerUri = await page.locator('#offer-link').inputValue();
  const walletLink = await page.locator('#wallet-link').inputValue();
  return { txCode, offerUri, walletLink };
}

describe('registrar portal issues', () => {
  let server;
  let browser;
  let walletDir;
  before(async () => {
    server = await startServer();
    browser = await launch();
    walletDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kakehashi-e2e-wallet-'));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    if (walletDir) fs.rmSync(walletDir, { recursive: true, force: true });
  });

  test('issue (en, ja, phone), the wallet redeems, revoke with confirmation, audit', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const { base } = server;
    await signIn(page, base, JP_REGISTRAR);

    // From the graduate's page to the issuance page.
    await page.getByRole('link', { name: 'YAMADA HANAKO' }).click();
    await page.getByRole('link', { name: 'Issue a credential' }).click();
    await page.getByRole('heading', { name: /^Credentials: YAMADA HANAKO/ }).waitFor();
    await page.getByText('Nothing has been offered or issued to this graduate yet.').waitFor();
    await shot(page, 'registrar-issue', 'credentials-empty');
    const credentialsUrl = page.url();

    // English offer page.
    const en = await createOffer(page);
    assert.match(en.txCode, /^\d{6}$/);
    assert.match(en.offerUri, /^openid-credential-offer:\/\/\?credential_offer_uri=https%3A%2F%2F[^%]+(%3A\d+)?%2Fissuers%2Fjp%2Foffers%2F/);
    assert.ok(en.walletLink.startsWith('https://'));
    assert.ok(en.walletLink.endsWith(`/wallet/receive?offer=${encodeURIComponent(en.offerUri)}`), en.walletLink);
    assert.equal(await page.locator('.qr svg').count(), 1, 'inline SVG QR code');
    const tx = page.locator('.tx-code');
    assert.match(await tx.innerText(), /Transaction code/);
    assert.match(await tx.innerText(), /確認コード/);
    await page.getByText(/It can be used once, until .* UTC \(in .*min\)/).waitFor();
    await shot(page, 'registrar-issue', 'offer-en');

    // Japanese offer page (a second offer; the first stays open until it expires).
    await page.goto(`${credentialsUrl}?lang=ja`);
    await page.getByRole('heading', { name: /^証明書: YAMADA HANAKO/ }).waitFor();
    const ja = await createOffer(page);
    assert.notEqual(ja.txCode + ja.offerUri, en.txCode + en.offerUri);
    assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
    await page.getByText(/オファーの準備ができました/).waitFor();
    await shot(page, 'registrar-issue', 'offer-ja');

    // Phone-sized offer page (English again).
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${credentialsUrl}?lang=en`);
    const phone = await createOffer(page);
    const box = await page.locator('.qr svg').boundingBox();
    assert.ok(box.width <= 390 && box.width >= 200, `QR fits the phone (${box.width}px)`);
    await shot(page, 'registrar-issue', 'offer-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    // Three open offers are listed as waiting for the student.
    await page.goto(credentialsUrl);
    assert.equal(await page.getByText('Offered, waiting for the student').count(), 3);
    await shot(page, 'registrar-issue', 'credentials-offered');

    // The student's wallet redeems the phone offer with its transaction code.
    const { stdout } = await run(binaryPath(), [
      'wallet', 'receive', phone.offerUri, '--tx-code', phone.txCode,
      '--data-dir', walletDir, '--tls-root', server.caFile,
    ]);
    assert.ok(JSON.parse(stdout), 'the wallet printed what it received');

    await page.goto(credentialsUrl);
    await page.getByText('Issued, valid').waitFor();
    assert.equal(await page.getByText('Offered, waiting for the student').count(), 2);
    await shot(page, 'registrar-issue', 'credentials-issued');

    // Suspend, reinstate, then revoke after the confirmation page.
    await page.getByRole('button', { name: 'Suspend' }).click();
    await page.getByText('The credential is suspended.').waitFor();
    await page.getByText('Suspended', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Reinstate' }).click();
    await page.getByText('The suspension is lifted.').waitFor();
    await page.getByRole('link', { name: 'Revoke…' }).click();
    await page.getByRole('heading', { name: 'Revoke this credential?' }).waitFor();
    await page.getByText(/Revocation is final/).waitFor();
    await shot(page, 'registrar-issue', 'revoke-confirm');
    await page.getByRole('button', { name: 'Revoke permanently' }).click();
    await page.getByText('The credential is revoked.').waitFor();
    await page.getByText('Revoked', { exact: true }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Revoke…' }).count(), 0);
    await shot(page, 'registrar-issue', 'credentials-revoked');

    // The audit trail: who did what, and no transaction code anywhere.
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Audit trail' }).click();
    const audit = await page.locator('table.audit').innerText();
    for (const what of ['Credential offer created', 'Credential suspended', 'Credential reinstated', 'Credential revoked']) {
      assert.ok(audit.includes(what), `audit shows ${what}`);
    }
    assert.ok(audit.includes(JP_REGISTRAR));
    for (const code of [en.txCode, ja.txCode, phone.txCode]) {
      assert.ok(!audit.includes(code), 'no transaction code in the audit trail');
    }
    await shot(page, 'registrar-issue', 'audit');
    await page.close();
  });
});

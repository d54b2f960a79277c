// The student web wallet on its own: sign-in refused with a wrong password, the empty wallet
// in both languages and on a phone, a pasted link that is not an offer, a POST without the
// CSRF token refused, and the security headers of its pages.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { launch, shot } from '../lib/browser.js';
import { studentSignIn } from '../lib/flows.js';
import { DEMO_PASSWORD, startServer } from '../lib/server.js';

const STUDENT = 'hanako.yamada@student.example';

describe('student web wallet', () => {
  let server;
  let browser;
  before(async () => {
    server = await startServer();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('sign-in, empty wallet (en, ja, phone), bad offer, CSRF, headers', async () => {
    const { base } = server;
    const page = await browser.context.newPage();
    const first = await page.goto(`${base}/wallet/credentials?lang=en`);
    assert.match(page.url(), /\/wallet\/sign-in\?next=/);
    const csp = first.headers()['content-security-policy'];
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(first.headers()['x-frame-options'], 'DENY');
    await studentSignIn(page, { username: STUDENT, password: 'not the password' });
    await page.getByText('The username or password is not correct.').waitFor();
    await shot(page, 'wallet', 'wrong-password');
    await studentSignIn(page, { username: STUDENT, password: DEMO_PASSWORD });
    await page.waitForURL(/\/wallet\/credentials/);
    await page.getByText(/Your wallet is empty/).waitFor();
    await shot(page, 'wallet', 'empty-en');
    const cookies = await browser.context.cookies();
    const session = cookies.find((c) => c.name === '__Host-kakehashi-wallet');
    assert.ok(session, 'a __Host- session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);

    await page.getByRole('link', { name: '日本語' }).click();
    await page.getByText(/ウォレットは空です/).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
    await shot(page, 'wallet', 'empty-ja');

    // A pasted link that is not an offer is explained, not a crash.
    await page.goto(`${base}/wallet/receive?lang=en`);
    await page.getByLabel('Offer link').fill('https://example.com/not-an-offer');
    await page.getByRole('button', { name: 'Receive' }).click();
    await page.getByText('This is not a valid credential offer link.').waitFor();
    await shot(page, 'wallet', 'bad-offer');

    // Signed in, but no token: refused, nothing changes.
    const res = await browser.context.request.post(`${base}/wallet/receive`, {
      form: { offer: 'openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fx.example%2Fo' },
      maxRedirects: 0,
    });
    assert.equal(res.status(), 403);

    const phone = await browser.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${base}/wallet/credentials`);
    await phone.getByRole('heading', { name: 'My credentials' }).waitFor();
    await shot(phone, 'wallet', 'empty-phone');

    // Sign out: the session is gone.
    await page.goto(`${base}/wallet/credentials`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/wallet\/sign-in\?signed_out=1/);
    await page.goto(`${base}/wallet/history`);
    assert.match(page.url(), /\/wallet\/sign-in\?next=/);
  });
});

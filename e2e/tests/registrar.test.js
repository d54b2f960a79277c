// The registrar portal in a real browser: sign in, add a graduate, import a CSV with one bad
// row, read the audit trail, switch to Japanese; wrong password; CSRF refusal.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { launch, shot } from '../lib/browser.js';
import { DEMO_PASSWORD, EU_REGISTRAR, JP_REGISTRAR, startServer } from '../lib/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CSV = path.resolve(here, '..', 'fixtures', 'graduates.csv');

async function signIn(page, base, username, password) {
  await page.goto(`${base}/registrar/sign-in`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('registrar portal', () => {
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

  test('sign in, add a graduate, import a CSV, audit trail, Japanese', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const { base } = server;

    // Unsigned visitors land on the sign-in page.
    await page.goto(`${base}/registrar/graduates`);
    assert.match(page.url(), /\/registrar\/sign-in\?next=/);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await assert.doesNotReject(page.getByRole('heading', { name: 'Sign in to the registrar portal' }).waitFor());
    await shot(page, 'registrar', 'sign-in');

    await page.getByLabel('Username').fill(JP_REGISTRAR);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/registrar\/graduates$/);
    await page.getByRole('link', { name: 'YAMADA HANAKO' }).waitFor();
    assert.equal(await page.locator('tbody tr').count(), 3, 'three demo graduates');
    await shot(page, 'registrar', 'graduates');

    // Add a graduate: an empty form shows field errors, then a valid one is stored.
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Add a graduate' }).click();
    await page.waitForURL(/\/registrar\/graduates\/new$/);
    await page.getByRole('button', { name: 'Add graduate' }).click();
    const summary = page.locator('#error-summary');
    await summary.waitFor();
    assert.match(await summary.innerText(), /This field is required/);
    assert.equal(await page.locator('#family_name_latn').getAttribute('aria-invalid'), 'true');
    await shot(page, 'registrar', 'add-errors');

    await page.getByLabel('Family name (as in passport)').fill('KOBAYASHI');
    await page.getByLabel('Given name (as in passport)').fill('RIN');
    await page.getByLabel('Family name (kanji)').fill('小林');
    await page.getByLabel('Given name (kanji)').fill('凛');
    await page.getByLabel('Qualification title in Japanese').fill('学士(理学)');
    await page.getByLabel('Qualification title in English').fill('Bachelor of Science');
    await page.getByLabel('Japanese degree type').fill('学士');
    await page.getByLabel('Credits').fill('124');
    await page.locator('#award_date').fill('2026-03-25');
    await page.getByLabel('Diploma number').fill('学第7777号');
    await shot(page, 'registrar', 'add-filled');
    await page.getByRole('button', { name: 'Add graduate' }).click();
    await page.getByText('Graduate added.').waitFor();
    await page.getByRole('heading', { name: 'KOBAYASHI RIN' }).waitFor();
    await page.getByRole('link', { name: 'Issue a credential' }).waitFor();
    await shot(page, 'registrar', 'graduate-detail');

    // Import: two good rows, one bad (line 3: 30 February).
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Import CSV' }).click();
    await shot(page, 'registrar', 'import-form');
    await page.getByLabel('CSV file').setInputFiles(CSV);
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('heading', { name: 'Import result' }).waitFor();
    const stats = await page.locator('.stats').innerText();
    assert.match(stats, /Graduates added\s+2/);
    const errors = page.locator('table.row-errors tbody tr');
    assert.equal(await errors.count(), 1);
    assert.match(await errors.first().innerText(), /^3\s/);
    assert.match(await errors.first().innerText(), /2026-02-30/);
    await shot(page, 'registrar', 'import-result');

    // The same file again adds nothing.
    await page.getByLabel('CSV file').setInputFiles(CSV);
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByText('This exact file was imported before').waitFor();
    assert.match(await page.locator('.stats').innerText(), /Graduates added\s+0/);
    await shot(page, 'registrar', 'import-again');

    await page.getByRole('link', { name: 'Graduates', exact: true }).first().click();
    assert.equal(await page.locator('tbody tr').count(), 6, '3 demo + 1 added + 2 imported');

    // Audit trail.
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Audit trail' }).click();
    const audit = await page.locator('table.audit').innerText();
    for (const what of ['Signed in', 'Graduate added', 'CSV file imported']) {
      assert.ok(audit.includes(what), `audit shows ${what}`);
    }
    await shot(page, 'registrar', 'audit');

    // Japanese.
    await page.getByRole('link', { name: '日本語' }).click();
    await page.getByRole('heading', { name: '監査ログ' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
    assert.ok((await page.locator('table.audit').innerText()).includes('サインイン'));
    await shot(page, 'registrar', 'audit-ja');
    await page.getByRole('navigation', { name: 'メインナビゲーション' }).getByRole('link', { name: '卒業生', exact: true }).click();
    await page.getByRole('heading', { name: '卒業生' }).waitFor();
    assert.ok((await page.locator('caption').innerText()).includes('国立大学法人杜の都大学'));
    await shot(page, 'registrar', 'graduates-ja');
    await page.goto(`${base}/registrar/import`);
    await page.getByRole('heading', { name: 'CSV ファイルから卒業生を取り込む' }).waitFor();
    await shot(page, 'registrar', 'import-ja');

    // The choice sticks (cookie) and can be switched back.
    await page.goto(`${base}/registrar/graduates/new`);
    await page.getByRole('heading', { name: '卒業生を追加' }).waitFor();
    await shot(page, 'registrar', 'add-ja');
    await page.getByRole('link', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Add a graduate' }).waitFor();

    // Phone-sized graduates list.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/registrar/graduates`);
    await shot(page, 'registrar', 'graduates-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    // Sign out.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    await shot(page, 'registrar', 'signed-out');
    await page.goto(`${base}/registrar/audit`);
    assert.match(page.url(), /\/registrar\/sign-in/);
    await page.close();
  });

  test('a wrong password is refused', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await signIn(page, server.base, EU_REGISTRAR, 'not the password');
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /username or password is not correct/);
    assert.match(page.url(), /\/registrar\/sign-in$/);
    await shot(page, 'registrar', 'wrong-password');
    await page.close();
  });

  test('a POST without the CSRF token is refused with 403', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await signIn(page, server.base, EU_REGISTRAR, DEMO_PASSWORD);
    await page.waitForURL(/\/registrar\/graduates$/);
    await page.getByRole('link', { name: /PEETERS/ }).waitFor();
    await shot(page, 'registrar', 'eu-graduates');
    // Signed in, same cookies, but no token.
    const res = await browser.context.request.post(`${server.base}/registrar/graduates/new`, {
      form: {
        family_name_latn: 'MALLORY', given_name_latn: 'EVE', title_ja: '学士', award_date: '2026-01-01', diploma_number: 'X-1',
      },
      maxRedirects: 0,
    });
    assert.equal(res.status(), 403);
    const wrong = await browser.context.request.post(`${server.base}/registrar/sign-out`, {
      form: { csrf: 'forged' },
      maxRedirects: 0,
    });
    assert.equal(wrong.status(), 403);
    // The refusal as a person sees it: a form without the token submitted from the page.
    await page.evaluate(() => {
      const f = document.createElement('form');
      f.method = 'post';
      f.action = '/registrar/graduates/new';
      document.body.append(f);
      f.submit();
    });
    await page.getByRole('heading', { name: 'Request refused' }).waitFor();
    await shot(page, 'registrar', 'csrf-refused');
    // Still signed in: the refused request changed nothing.
    await page.goto(`${server.base}/registrar/graduates`);
    assert.equal(await page.locator('tbody tr').count(), 3);
    await page.close();
  });
});

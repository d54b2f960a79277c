// The cross-border flow in real browsers, once in English and once in Japanese: a registrar
// issues (creates an offer with a transaction code), the student receives it in the web wallet,
// a verifier desk of the other jurisdiction asks with a request template, the student sees
// exactly the requested claims and the verifier's name, consents, and the desk sees VALID with
// the trust explanation and the recognition report, and downloads the PDF. Also a declined
// request, and the consent screen on a phone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { launch, shot } from '../lib/browser.js';
import { createOffer, createRequest, receive, studentSignIn } from '../lib/flows.js';
import { DEMO_PASSWORD, EU_REGISTRAR, JP_REGISTRAR, startServer } from '../lib/server.js';

const EU_STUDENT = 'lotte.peeters@student.example';
const JP_STUDENT = 'hanako.yamada@student.example';

describe('cross-border: registrar → wallet → verifier portal', () => {
  let server;
  let registrar;
  let student;
  let desk;
  before(async () => {
    server = await startServer();
    registrar = await launch();
    student = await launch();
    desk = await launch();
  });
  after(async () => {
    for (const b of [registrar, student, desk]) await b?.close();
    await server?.stop();
  });

  test('English: Japanese diploma to the EU admissions office (EQF 7 advisory)', async () => {
    const { base } = server;
    const r = await registrar.context.newPage();
    const { txCode, walletLink } = await createOffer(r, base, {
      username: JP_REGISTRAR, password: DEMO_PASSWORD, graduate: 'YAMADA HANAKO',
    });
    await shot(r, 'cross-border', 'en-registrar-offer');

    // The student opens the offer link: sign-in first, then back to the filled form.
    const s = await student.context.newPage();
    await s.goto(`${base}${new URL(walletLink, base).pathname}${new URL(walletLink, base).search}&lang=en`);
    await s.waitForURL(/\/wallet\/sign-in\?next=/);
    await shot(s, 'cross-border', 'en-wallet-sign-in');
    await studentSignIn(s, { username: JP_STUDENT, password: DEMO_PASSWORD });
    await s.waitForURL(/\/wallet\/receive\?/);
    assert.match(await s.getByLabel('Offer link').inputValue(), /^openid-credential-offer:\/\//);
    await s.getByLabel('Transaction code').fill(txCode);
    await shot(s, 'cross-border', 'en-wallet-receive');
    await receive(s, 'Receive', /Received and verified: 1 credential/);
    await shot(s, 'cross-border', 'en-wallet-list');
    await s.locator('.card h2 a').first().click();
    await s.getByRole('heading', { name: 'What it says' }).waitFor();
    assert.match(await s.locator('main').innerText(), /YAMADA|山田/);
    await shot(s, 'cross-border', 'en-wallet-detail');

    // The EU desk asks; the student opens the request on the same device.
    const d = await desk.context.newPage();
    const link = await createRequest(d, base, {
      verifier: 'Brabant-Leuven Admissions Office',
      template: "Master's admission: a bachelor's-level degree in any field, the name, no birth date",
    });
    await d.getByRole('img', { name: 'QR code of the presentation request' }).waitFor();
    await shot(d, 'cross-border', 'en-desk-waiting');
    await s.goto(`${base}${link}`);
    await s.getByRole('heading', { name: /asks to see/ }).waitFor();
    const consent = await s.locator('main').innerText();
    assert.match(consent, /Brabant-Leuven|Admissions|Kakehashi/, 'the verifier is named');
    assert.doesNotMatch(consent, /2000-04-01/, 'the birth date is not shown as shared');
    assert.match(consent, /receives the whole credential/, 'a JP diploma (jwt_vc_json) is shared whole: the consent says so');
    await shot(s, 'cross-border', 'en-wallet-consent');
    await s.getByRole('button', { name: /^Share with / }).click();
    await s.getByText(/^Shared with /).waitFor();
    await shot(s, 'cross-border', 'en-wallet-shared');

    // The desk's page refreshes itself to the result.
    await d.getByText('VALID: the diploma is authentic').waitFor({ timeout: 20_000 });
    const result = await d.locator('main').innerText();
    assert.match(result, /Why the issuer is trusted/);
    assert.match(result, /Trusted list/);
    assert.match(result, /Recognition report/);
    assert.match(result, /EQF 7/);
    assert.match(result, /advisory/i);
    assert.doesNotMatch(result, /2000-04-01/, 'the verifier discarded the birth date');
    await shot(d, 'cross-border', 'en-desk-result');
    const pdfHref = await d.getByRole('link', { name: 'Download the report (PDF)' }).getAttribute('href');
    const pdf = await d.request.get(`${base}${pdfHref}`);
    assert.equal(pdf.status(), 200);
    assert.equal(pdf.headers()['content-type'], 'application/pdf');
    assert.equal((await pdf.body()).subarray(0, 4).toString(), '%PDF');
    // The result address shows nothing to another browser.
    const other = await registrar.context.newPage();
    const res = await other.goto(d.url());
    assert.equal(res.status(), 404);
    await other.close();

    // History.
    await s.goto(`${base}/wallet/history`);
    await s.getByRole('heading', { name: 'Sharing history' }).waitFor();
    assert.equal(await s.locator('.card').count(), 1);
    await shot(s, 'cross-border', 'en-wallet-history');
  });

  test('Japanese: EU diploma to the Japanese graduate admissions office (修士相当)', async () => {
    const { base } = server;
    await student.context.clearCookies();
    const r = await registrar.context.newPage();
    await registrar.context.clearCookies();
    const { txCode, walletLink } = await createOffer(r, base, {
      username: EU_REGISTRAR, password: DEMO_PASSWORD, graduate: 'PEETERS Lotte',
    });

    const s = await student.context.newPage();
    await s.goto(`${base}${new URL(walletLink, base).pathname}${new URL(walletLink, base).search}&lang=ja`);
    await s.waitForURL(/\/wallet\/sign-in\?next=/);
    assert.equal(await s.locator('html').getAttribute('lang'), 'ja');
    await studentSignIn(s, {
      username: EU_STUDENT, password: DEMO_PASSWORD, label: '学生アカウント', passwordLabel: 'パスワード', submit: 'サインイン',
    });
    await s.waitForURL(/\/wallet\/receive\?/);
    await s.getByLabel('確認コード').fill(txCode);
    await shot(s, 'cross-border', 'ja-wallet-receive');
    await receive(s, '受け取る', /1 件の証明書をウォレットに追加しました/);
    await shot(s, 'cross-border', 'ja-wallet-list');

    const d = await desk.context.newPage();
    const link = await createRequest(d, base, {
      verifier: '杜の都大学 大学院入試課',
      template: '修士課程入学審査: 学士相当以上の学位 (分野不問)、氏名、生年月日なし',
      lang: 'ja',
      submit: 'リクエストを作成',
    });
    await shot(d, 'cross-border', 'ja-desk-waiting');
    await s.goto(`${base}${link}`);
    await s.getByRole('heading', { name: /が次の提示を求めています/ }).waitFor();
    const consent = await s.locator('main').innerText();
    assert.match(consent, /PEETERS/);
    assert.doesNotMatch(consent, /2001-05-14/, 'no birth date asked of an SD-JWT');
    assert.doesNotMatch(consent, /BL-2026-00417/, 'no diploma number');
    await shot(s, 'cross-border', 'ja-wallet-consent');
    await s.getByRole('button', { name: /に提示する$/ }).click();
    await s.getByText(/に提示しました/).waitFor();

    await d.getByText('有効:学位記は真正').waitFor({ timeout: 20_000 });
    const result = await d.locator('main').innerText();
    assert.match(result, /発行者を信頼する根拠/);
    assert.match(result, /承認レポート/);
    assert.match(result, /修士相当/);
    await shot(d, 'cross-border', 'ja-desk-result');
    const pdfHref = await d.getByRole('link', { name: 'レポートをダウンロード(PDF)' }).getAttribute('href');
    assert.match(pdfHref, /lang=ja$/);
    const pdf = await d.request.get(`${base}${pdfHref}`);
    assert.equal(pdf.status(), 200);
    assert.equal((await pdf.body()).subarray(0, 4).toString(), '%PDF');
  });

  test('declined request, and the consent screen on a phone', async () => {
    const { base } = server;
    const d = await desk.context.newPage();
    const link = await createRequest(d, base, {
      verifier: 'Brabant-Leuven Admissions Office',
      template: 'Employer check: any degree, title and awarding body only',
    });
    const phone = await student.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${base}${link}&lang=en`);
    await phone.getByRole('heading', { name: /asks to see/ }).waitFor();
    await shot(phone, 'cross-border', 'phone-consent');
    await phone.getByRole('button', { name: 'Decline' }).click();
    await phone.getByText(/You declined\./).waitFor();
    await shot(phone, 'cross-border', 'phone-declined');
    await d.getByText('The student declined the request.').waitFor({ timeout: 20_000 });
    assert.equal(await d.getByRole('link', { name: 'Download the report (PDF)' }).count(), 0);
    await shot(d, 'cross-border', 'desk-declined');
  });
});

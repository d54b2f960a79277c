// The trust registry page and the node's home page in a real browser.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { launch, shot } from '../lib/browser.js';
import { startServer } from '../lib/server.js';

describe('trust registry', () => {
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

  test('home page lists the portals', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await page.goto(`${server.base}/`);
    await page.getByRole('link', { name: 'Registrar portal' }).waitFor();
    await page.getByRole('link', { name: 'Trust registry' }).first().waitFor();
    await shot(page, 'registry', 'home');
    await page.close();
  });

  test('the registry says clearly when no list is loaded, in both languages', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const response = await page.goto(`${server.base}/registry`);
    const headers = response.headers();
    assert.match(headers['content-security-policy'], /default-src 'self'/);
    assert.match(headers['content-security-policy'], /frame-ancestors 'none'/);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    await page.getByRole('heading', { name: 'Trust registry', level: 1 }).waitFor();
    const notice = await page.locator('#no-lists').innerText();
    assert.match(notice, /No trusted lists are loaded on this node yet/);
    await shot(page, 'registry', 'empty-en');
    await page.getByRole('link', { name: '日本語' }).click();
    await page.getByRole('heading', { name: 'トラストレジストリ', level: 1 }).waitFor();
    assert.match(await page.locator('#no-lists').innerText(), /トラストリストが読み込まれていない/);
    await shot(page, 'registry', 'empty-ja');
    await page.close();
  });

  test('an unknown page is a 404 page', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const response = await page.goto(`${server.base}/registrar/graduates/NOPE`);
    // Not signed in: the portal asks for a sign-in first.
    assert.match(page.url(), /sign-in/);
    const missing = await page.goto(`${server.base}/static/site.nope.css`);
    assert.equal(missing.status(), 404);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await shot(page, 'registry', 'not-found');
    assert.ok(response);
    await page.close();
  });
});

// The trust registry page and the node's home page in a real browser.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { launch, shot } from '../lib/browser.js';
import { startServer } from '../lib/server.js';

describe('trust registry with the demo lists', () => {
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

  test('the loaded lists, their services and the policy are shown', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const response = await page.goto(`${server.base}/registry`);
    const headers = response.headers();
    assert.match(headers['content-security-policy'], /default-src 'self'/);
    assert.match(headers['content-security-policy'], /frame-ancestors 'none'/);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    await page.getByRole('heading', { name: 'Trust registry', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'List of trusted lists — EU' }).waitFor();
    await page.getByRole('heading', { name: 'BE list, sequence 1' }).waitFor();
    await page.getByRole('heading', { name: 'JP list, sequence 1' }).waitFor();
    const text = await page.locator('main').innerText();
    assert.match(text, /Fresh: \d+ d \d+ h left/);
    assert.match(text, /Signer listed in the EU list of lists/);
    assert.match(text, /Every list pointed to was loaded and verified/);
    assert.match(text, /jp-university-seal/);
    assert.match(text, /Pilot only \(no legal act yet\)/);
    await shot(page, 'registry', 'lists-en');
    await page.getByRole('link', { name: '日本語' }).click();
    await page.getByRole('heading', { name: 'トラストレジストリ', level: 1 }).waitFor();
    assert.match(await page.locator('main').innerText(), /有効:残り/);
    await shot(page, 'registry', 'lists-ja', { fullPage: false });
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'registry', 'lists-phone', { fullPage: false });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.close();
  });

  test('an unknown page is a 404 page', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const missing = await page.goto(`${server.base}/static/site.nope.css`);
    assert.equal(missing.status(), 404);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await shot(page, 'registry', 'not-found');
    await page.close();
  });
});

describe('trust registry without lists', () => {
  let server;
  let browser;
  before(async () => {
    server = await startServer({ demoData: false });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the page says clearly that no list is loaded, in both languages', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.base}/registry`);
    await page.getByRole('heading', { name: 'Trust registry', level: 1 }).waitFor();
    assert.match(await page.locator('#no-lists').innerText(), /No trusted lists are loaded on this node yet/);
    await shot(page, 'registry', 'empty-en');
    await page.getByRole('link', { name: '日本語' }).click();
    await page.getByRole('heading', { name: 'トラストレジストリ', level: 1 }).waitFor();
    assert.match(await page.locator('#no-lists').innerText(), /トラストリストが読み込まれていない/);
    await shot(page, 'registry', 'empty-ja');
    await page.close();
  });
});

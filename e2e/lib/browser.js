// Debian's Chromium driven by playwright-core: no browser download, headless, a fresh profile.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.resolve(here, '..', 'artifacts');

const ARGS = [
  '--no-sandbox', // CI runs as root
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launch({ locale = 'en-GB', viewport = { width: 1280, height: 900 } } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kakehashi-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    locale,
    viewport,
    // The node serves https with a certificate from its own demo CA (data/demo/tls/ca.pem).
    ignoreHTTPSErrors: true,
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** Saves a screenshot (full page unless told otherwise) as artifacts/<suite>-<nn>-<name>.png. */
export async function shot(page, suite, name, { fullPage = true } = {}) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  counter += 1;
  const file = path.join(ARTIFACTS, `${suite}-${String(counter).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

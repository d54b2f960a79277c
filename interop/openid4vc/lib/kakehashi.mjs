// Runs the Kakehashi binary for the tests: `kakehashi serve` (a demo node over https on a free
// loopback port, its own TLS CA) and `kakehashi wallet ...` (the holder CLI).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fetchWithCa } from './callbacks.mjs';

export function binaryPath() {
  if (process.env.KAKEHASHI_BIN) return process.env.KAKEHASHI_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), '.cache', 'kakehashi-target');
  return path.join(target, 'debug', 'kakehashi');
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Runs `kakehashi args...`; resolves {code, stdout, stderr}. */
export function run(args, { env = {}, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(binaryPath(), args, {
      env: { ...process.env, KAKEHASHI_LOG: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A demo node: both issuers, both verifiers, the signed lists, https from `caFile`. */
export async function startNode() {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kakehashi-oid4vc-'));
  const env = { ...process.env, KAKEHASHI_DEMO_PASSWORD: 'interop-demo-password', KAKEHASHI_DEMO_DATA: 'true', KAKEHASHI_LOG: 'warn' };
  delete env.KAKEHASHI_DATABASE_URL;
  delete env.KAKEHASHI_ROLES;
  const child = spawn(binaryPath(), ['serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const base = `https://localhost:${port}`;
  const caFile = path.join(dataDir, 'demo', 'tls', 'ca.pem');
  let http;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kakehashi serve exited with ${child.exitCode}:\n${log}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`kakehashi serve not ready:\n${log}`);
    }
    try {
      http ??= fetchWithCa(fs.readFileSync(caFile));
      if ((await http(`${base}/readyz`)).status === 200) break;
    } catch {
      // not listening yet, or the CA not written yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const ca = fs.readFileSync(caFile);
  const admin = fs.readFileSync(path.join(dataDir, 'demo', 'admin-token'), 'utf8').trim();
  const json = async (url, init) => {
    const r = await http(url, init);
    const text = await r.text();
    if (r.status >= 300) throw new Error(`${init?.method ?? 'GET'} ${url}: ${r.status} ${text}`);
    return JSON.parse(text);
  };
  return {
    base,
    ca,
    caFile,
    dataDir,
    http,
    log: () => log,
    /** `POST /issuers/{eu|jp}/admin/offers` → {offer_uri, tx_code}. */
    offer: (issuer, graduateId) =>
      json(`${base}/issuers/${issuer}/admin/offers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ graduate_id: graduateId }),
      }),
    /** `POST /verifiers/{eu|jp}/verifier/sessions` → {request_uri, status_url, ...}. */
    session: (verifier, extra = {}) =>
      json(`${base}/verifiers/${verifier}/verifier/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ template: 'masters-admission', ...extra }),
      }),
    result: (session) => json(session.status_url),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// Demo graduates (crates/academic csv_import::idempotency_key: organisation identifier / number).
export const EU_GRADUATE = 'VATBE-0123456789/BL-2026-00417';
export const JP_GRADUATE = 'NTRJP-7123456789012/修第1234号';

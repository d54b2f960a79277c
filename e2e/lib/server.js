// Starts `kakehashi serve` on a free loopback port with a fresh data directory and a known
// demo password, waits until /readyz answers, and stops it (SIGTERM, then SIGKILL).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const DEMO_PASSWORD = 'e2e-demo-password-7f3a';
export const JP_REGISTRAR = 'registrar@morinomiyako.example';
export const EU_REGISTRAR = 'registrar@brabant-leuven.example';

function binaryPath() {
  if (process.env.KAKEHASHI_BIN) return process.env.KAKEHASHI_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), '.cache', 'kakehashi-target');
  return path.join(target, 'debug', 'kakehashi');
}

function freePort() {
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

/** GET over http, or https trusting only the node's demo CA (`caFile`). Resolves the status. */
export function getStatus(url, caFile) {
  if (!url.startsWith('https:')) return fetch(url).then((r) => r.status);
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: fs.readFileSync(caFile) }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
  });
}

async function waitReady(base, caFile, child, output, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`kakehashi serve exited with ${child.exitCode}:\n${output()}`);
    }
    try {
      if ((await getStatus(`${base}/readyz`, caFile)) === 200) return;
    } catch {
      // not listening yet (or the CA file not written yet)
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`kakehashi serve not ready after ${timeoutMs} ms:\n${output()}`);
}

export async function startServer({ roles, demoData = true } = {}) {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kakehashi-e2e-'));
  const env = { ...process.env };
  delete env.KAKEHASHI_DATABASE_URL;
  Object.assign(env, {
    KAKEHASHI_DEMO_PASSWORD: DEMO_PASSWORD,
    KAKEHASHI_DEMO_DATA: demoData ? 'true' : 'false',
    KAKEHASHI_LOG: env.KAKEHASHI_LOG ?? 'warn',
  });
  if (roles) env.KAKEHASHI_ROLES = roles.join(',');
  else delete env.KAKEHASHI_ROLES;
  const args = ['serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`];
  const child = spawn(binaryPath(), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const output = () => log;
  // A demo node serves https from its own CA; without demo data it serves plain http (for a
  // TLS-terminating proxy).
  const base = demoData ? `https://localhost:${port}` : `http://localhost:${port}`;
  const caFile = path.join(dataDir, 'demo', 'tls', 'ca.pem');
  try {
    await waitReady(base, caFile, child, output, 60_000);
  } catch (e) {
    child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  async function stop() {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return { base, stop, output, dataDir, caFile };
}

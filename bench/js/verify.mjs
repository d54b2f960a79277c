// @sd-jwt/core 0.19.0 verifying the presentation Kakehashi's bench runner wrote, against
// node's own ES256 floor (WebCrypto verify, the same call the package's verifier hooks make).
// Run by scripts/bench:  node bench/js/verify.mjs <fixture dir> [--quick]
// Prints one JSON object on stdout; timings are medians of interleaved batches (µs per call).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import { SDJwtInstance } from '@sd-jwt/core';
import { ES256, digest } from '@sd-jwt/crypto-nodejs';

const [dir, ...flags] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node verify.mjs <fixture dir> [--quick]');
  process.exit(2);
}
const quick = flags.includes('--quick');
const read = (name) => readFileSync(join(dir, name), 'utf8').trim();
const presentation = read('presentation.txt');
const issuerJwk = JSON.parse(read('issuer.jwk.json'));
const holderJwk = JSON.parse(read('holder.jwk.json'));
const nonce = read('nonce.txt');

const sdjwt = new SDJwtInstance({
  hasher: digest,
  hashAlg: 'sha-256',
  verifier: await ES256.getVerifier(issuerJwk),
  // The holder key comes from the verified payload, imported per presentation as a verifier must.
  kbVerifier: async (data, sig, payload) => {
    if (!payload?.cnf?.jwk) throw new Error('no cnf.jwk');
    return (await ES256.getVerifier(payload.cnf.jwk))(data, sig);
  },
});

const verify = async () => {
  const r = await sdjwt.verify(presentation, { keyBindingNonce: nonce });
  if (!r.kb) throw new Error('no key binding verified');
  return r;
};

// Refuse to time a verifier that does not check: the presentation must pass, a tampered one fail.
const first = await verify();
const disclosed = Object.keys(await sdjwt.getClaims(presentation)).length;
const parts = presentation.split('~');
const tampered = [parts[0], ...parts.slice(1, -2), parts[parts.length - 2].slice(0, -2) + 'AA', parts[parts.length - 1]].join('~');
let rejectedTampered = false;
try { await sdjwt.verify(tampered, { keyBindingNonce: nonce }); } catch { rejectedTampered = true; }
if (!rejectedTampered) throw new Error('tampered presentation accepted: refusing to benchmark');
let rejectedNonce = false;
try { await sdjwt.verify(presentation, { keyBindingNonce: `${nonce}-other` }); } catch { rejectedNonce = true; }
if (!rejectedNonce) throw new Error('wrong nonce accepted: refusing to benchmark');

// Floor: the two signature checks (issuer JWT, KB-JWT), keys imported once.
const subtle = webcrypto.subtle;
const alg = { name: 'ECDSA', hash: { name: 'SHA-256' } };
const importKey = (jwk) => subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
const [ik, hk] = [await importKey(issuerJwk), await importKey(holderJwk)];
const split = (jws) => {
  const i = jws.lastIndexOf('.');
  return [new TextEncoder().encode(jws.slice(0, i)), Buffer.from(jws.slice(i + 1), 'base64url')];
};
const [jwtInput, jwtSig] = split(parts[0]);
const [kbInput, kbSig] = split(parts[parts.length - 1]);
const floorOne = async () => {
  if (!(await subtle.verify(alg, ik, jwtSig, jwtInput))) throw new Error('floor: bad signature');
};
const floorTwo = async () => {
  await floorOne();
  if (!(await subtle.verify(alg, hk, kbSig, kbInput))) throw new Error('floor: bad signature');
};

async function time(f, batch) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < batch; i++) await f();
  return Number(process.hrtime.bigint() - t) / 1e3 / batch;
}
async function calibrate(f) {
  const us = await time(f, 20);
  return Math.max(1, Math.round(2000 / us)); // ~2 ms per batch
}
const median = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const ops = { verify, floor_two_verifies: floorTwo, floor_es256_verify: floorOne };
for (const f of Object.values(ops)) for (let i = 0; i < 200; i++) await f(); // warm up the JIT
const batches = {};
for (const [k, f] of Object.entries(ops)) batches[k] = await calibrate(f);
const rounds = quick ? 60 : 250;
const samples = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  for (const [k, f] of Object.entries(ops)) samples[k].push(await time(f, batches[k]));
}
const out = {
  runtime: `node ${process.version}`,
  package: '@sd-jwt/core 0.19.0',
  rounds,
  disclosed_claims: disclosed,
  key_binding_checked: Boolean(first.kb),
  verify_us: median(samples.verify),
  floor_two_verifies_us: median(samples.floor_two_verifies),
  floor_es256_verify_us: median(samples.floor_es256_verify),
};
console.log(JSON.stringify(out));

// Shared helpers for the interop tests: keys, the kakehashi CLI, JS library instances.
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { ES256, digest, generateSalt } from '@sd-jwt/crypto-nodejs';

export const VCT = 'https://kakehashi.example/vct/diploma';
export const ISS = 'https://issuer.example.ac.jp';
export const NONCE = 'n-0S6_WzA2Mj';
export const AUD = 'https://verifier.example.eu';

// The kakehashi binary: $KAKEHASHI_BIN, else $CARGO_TARGET_DIR/debug/kakehashi.
export const KAKEHASHI =
  process.env.KAKEHASHI_BIN ||
  join(process.env.CARGO_TARGET_DIR || join(homedir(), '.cache/kakehashi-target'), 'debug/kakehashi');
if (!existsSync(KAKEHASHI)) {
  throw new Error(`kakehashi binary not found at ${KAKEHASHI} (set KAKEHASHI_BIN)`);
}

export const workdir = mkdtempSync(join(tmpdir(), 'kakehashi-interop-js-'));
let counter = 0;
export function tmpFile(name, content) {
  const p = join(workdir, `${counter++}-${name}`);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

// A fresh key pair as JWKs, with files for the CLI: P-256 (ES256), P-384 (ES384), Ed25519 (EdDSA).
export function newKey(name, alg = 'ES256') {
  const { privateKey } = alg === 'EdDSA'
    ? generateKeyPairSync('ed25519')
    : generateKeyPairSync('ec', { namedCurve: alg === 'ES384' ? 'P-384' : 'P-256' });
  const priv = privateKey.export({ format: 'jwk' });
  const { d, ...pub } = priv;
  return { priv, pub, privFile: tmpFile(`${name}.jwk`, priv), pubFile: tmpFile(`${name}.pub.jwk`, pub) };
}

// Runs kakehashi; returns { status, stdout, stderr }.
export function kakehashi(args, input) {
  const r = spawnSync(KAKEHASHI, args, { input, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Runs kakehashi and requires success; returns stdout trimmed.
export function kakehashiOk(args, input) {
  const r = kakehashi(args, input);
  if (r.status !== 0) {
    throw new Error(`kakehashi ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  }
  return r.stdout.trim();
}

export function kakehashiVerify(presentation, issuer, extra = []) {
  return kakehashi(['sd-jwt', 'verify', '--issuer-key', issuer.pubFile, ...extra, tmpFile('pres.txt', presentation)]);
}

// An @sd-jwt/sd-jwt-vc instance: issuer signer, issuer verifier, holder KB signer and a KB
// verifier that takes the holder key from cnf.jwk of the verified payload.
export async function jsInstance({ issuer, holder, signAlg = ES256.alg, signer } = {}) {
  const cfg = {
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
    signAlg,
    kbVerifier: async (data, sig, payload) => {
      if (!payload?.cnf?.jwk) throw new Error('no cnf.jwk');
      return (await ES256.getVerifier(payload.cnf.jwk))(data, sig);
    },
  };
  if (signer) cfg.signer = signer;
  else if (issuer) cfg.signer = await ES256.getSigner(issuer.priv);
  if (issuer) cfg.verifier = await ES256.getVerifier(issuer.pub);
  if (holder) {
    cfg.kbSigner = await ES256.getSigner(holder.priv);
    cfg.kbSignAlg = ES256.alg;
  }
  return new SDJwtVcInstance(cfg);
}

// JS verification as a Verifier must do it (RFC 9901 section 7.3): the library checks the
// signature, the Disclosures, the KB-JWT signature, nonce and sd_hash; it does not compare
// the KB-JWT aud with the expected audience (see README, divergence D2), so we do.
export async function jsVerify(sdjwt, presentation, { nonce = NONCE, aud = AUD } = {}) {
  const res = await sdjwt.verify(presentation, { keyBindingNonce: nonce });
  if (!res.kb) throw new Error('no KB-JWT');
  if (res.kb.payload.aud !== aud) throw new Error(`KB-JWT aud ${res.kb.payload.aud} != ${aud}`);
  return res;
}

// Splits a compact SD-JWT(+KB) into parts.
export function split(sdjwt) {
  const parts = sdjwt.split('~');
  return { jwt: parts[0], disclosures: parts.slice(1, -1), kb: parts[parts.length - 1] };
}

export const b64uJson = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
export const jwtHeader = (jwt) => b64uJson(jwt.split('.')[0]);
export const jwtPayload = (jwt) => b64uJson(jwt.split('.')[1]);

// The credential both sides issue: nested object, array elements, objects in arrays.
export const CLAIMS = {
  iss: ISS,
  given_name: 'Hanako',
  family_name: 'Yamada',
  degree: { type: 'MasterDegree', name: 'MSc Informatics', field: 'Computer Science' },
  languages: ['ja', 'en', 'de'],
  grades: [
    { course: 'Cryptography', grade: 'A' },
    { course: 'Databases', grade: 'B' },
  ],
  nationalities: ['JP'],
};

// Kakehashi's JSON Pointers and the equivalent @sd-jwt disclosure frame.
export const SD_POINTERS = [
  '/given_name', '/family_name', '/degree', '/degree/name', '/degree/field',
  '/languages/0', '/languages/1', '/languages/2', '/grades/0', '/grades/1', '/grades/0/grade',
];
export const DISCLOSURE_FRAME = {
  _sd: ['given_name', 'family_name', 'degree'],
  degree: { _sd: ['name', 'field'], _sd_decoy: 2 },
  languages: { _sd: [0, 1, 2], _sd_decoy: 1 },
  grades: { _sd: [0, 1], 0: { _sd: ['grade'] } },
  _sd_decoy: 2,
};

// What is disclosed in every presentation, as pointers and as a JS presentation frame.
export const DISCLOSE_POINTERS = ['/given_name', '/degree/name', '/languages/1', '/grades/0'];
export const PRESENTATION_FRAME = { given_name: true, degree: { name: true }, languages: { 1: true }, grades: { 0: { grade: true } } };

// The processed payload a Verifier must see, less iat/cnf/vct (compared separately).
export const EXPECTED_DISCLOSED = {
  iss: ISS,
  given_name: 'Hanako',
  degree: { type: 'MasterDegree', name: 'MSc Informatics' },
  languages: ['en'],
  grades: [{ course: 'Cryptography', grade: 'A' }],
  nationalities: ['JP'],
};

export function withoutEnvelope(payload) {
  const { iat, cnf, vct, ...rest } = payload;
  return rest;
}

// Kakehashi issues the standard credential as an SD-JWT VC bound to the holder.
export function kakehashiIssue(issuer, holder, extra = []) {
  const args = ['sd-jwt', 'issue', '--issuer-key', issuer.privFile, '--claims', tmpFile('claims.json', CLAIMS),
    '--vct', VCT, '--holder-key', holder.pubFile, '--decoys', '2', ...SD_POINTERS.flatMap((p) => ['--sd', p]), ...extra];
  return kakehashiOk(args);
}

export function kakehashiPresent(issued, issuer, holder, pointers = DISCLOSE_POINTERS, { nonce = NONCE, aud = AUD } = {}) {
  return kakehashiOk(['sd-jwt', 'present', '--issuer-key', issuer.pubFile, '--holder-key', holder.privFile,
    '--nonce', nonce, '--aud', aud, ...pointers.flatMap((p) => ['--disclose', p]), tmpFile('issued.txt', issued)]);
}

export async function jsIssue(issuer, holder, { header, frame = DISCLOSURE_FRAME, signAlg, signer } = {}) {
  const sdjwt = await jsInstance({ issuer, holder, signAlg, signer });
  return sdjwt.issue({ ...CLAIMS, vct: VCT, iat: Math.floor(Date.now() / 1000), cnf: { jwk: holder.pub } }, frame, header ? { header } : undefined);
}

// ES384 and EdDSA (Ed25519) in both directions. @sd-jwt/crypto-nodejs has ES256/ES384/ES512
// helpers; EdDSA signers and verifiers are written with node:crypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { ES256, ES384, digest, generateSalt } from '@sd-jwt/crypto-nodejs';
import * as h from '../lib/helpers.mjs';

const kbArgs = ['--nonce', h.NONCE, '--aud', h.AUD];
const now = () => Math.floor(Date.now() / 1000);

async function signerFor(alg, key) {
  if (alg === 'ES384') return ES384.getSigner(key.priv);
  if (alg === 'ES256') return ES256.getSigner(key.priv);
  const k = createPrivateKey({ key: key.priv, format: 'jwk' });
  return (data) => sign(null, Buffer.from(data), k).toString('base64url');
}
function verifierFor(alg, jwk) {
  if (alg === 'ES384') return ES384.getVerifier(jwk);
  if (alg === 'ES256') return ES256.getVerifier(jwk);
  const k = createPublicKey({ key: jwk, format: 'jwk' });
  return (data, sig) => verify(null, Buffer.from(data), k, Buffer.from(sig, 'base64url'));
}
const algOf = (jwk) => (jwk.kty === 'OKP' ? 'EdDSA' : jwk.crv === 'P-384' ? 'ES384' : 'ES256');

async function instance(alg, issuer, holder, holderAlg) {
  return new SDJwtVcInstance({
    hasher: digest, hashAlg: 'sha-256', saltGenerator: generateSalt,
    signAlg: alg, signer: await signerFor(alg, issuer), verifier: await verifierFor(alg, issuer.pub),
    kbSignAlg: holderAlg, kbSigner: await signerFor(holderAlg, holder),
    kbVerifier: async (data, sig, payload) => (await verifierFor(algOf(payload.cnf.jwk), payload.cnf.jwk))(data, sig),
  });
}

for (const [alg, holderAlg] of [['ES384', 'ES256'], ['EdDSA', 'EdDSA'], ['ES256', 'ES384']]) {
  test(`issuer ${alg}, holder ${holderAlg}: Kakehashi issues and presents, JS verifies`, async () => {
    const issuer = h.newKey('issuer', alg);
    const holder = h.newKey('holder', holderAlg);
    const js = await instance(alg, issuer, holder, holderAlg);
    const issued = h.kakehashiIssue(issuer, holder);
    assert.equal(h.jwtHeader(h.split(issued).jwt).alg, alg);
    const pres = h.kakehashiPresent(issued, issuer, holder);
    assert.equal(h.jwtHeader(h.split(pres).kb).alg, holderAlg);
    const res = await h.jsVerify(js, pres);
    assert.deepEqual(h.withoutEnvelope(res.payload), h.EXPECTED_DISCLOSED);
  });

  test(`issuer ${alg}, holder ${holderAlg}: JS issues and presents, Kakehashi verifies`, async () => {
    const issuer = h.newKey('issuer', alg);
    const holder = h.newKey('holder', holderAlg);
    const js = await instance(alg, issuer, holder, holderAlg);
    const issued = await js.issue({ ...h.CLAIMS, vct: h.VCT, iat: now(), cnf: { jwk: holder.pub } }, h.DISCLOSURE_FRAME);
    const pres = await js.present(issued, h.PRESENTATION_FRAME, { kb: { payload: { nonce: h.NONCE, aud: h.AUD, iat: now() } } });
    const r = h.kakehashiVerify(pres, issuer, kbArgs);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(h.withoutEnvelope(JSON.parse(r.stdout)), h.EXPECTED_DISCLOSED);
  });
}

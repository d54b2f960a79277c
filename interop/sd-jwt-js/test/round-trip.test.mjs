// Round trips: one side issues, the other side presents, the first side verifies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as h from '../lib/helpers.mjs';

const issuer = h.newKey('issuer');
const holder = h.newKey('holder');
const js = await h.jsInstance({ issuer, holder });
const now = () => Math.floor(Date.now() / 1000);
const kbArgs = ['--nonce', h.NONCE, '--aud', h.AUD];

test('Kakehashi issues -> JS holder presents (KB-JWT) -> Kakehashi verifies', async () => {
  const issued = h.kakehashiIssue(issuer, holder);
  const pres = await js.present(issued, h.PRESENTATION_FRAME, {
    kb: { payload: { nonce: h.NONCE, aud: h.AUD, iat: now() } },
  });
  const r = h.kakehashiVerify(pres, issuer, kbArgs);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(h.withoutEnvelope(JSON.parse(r.stdout)), h.EXPECTED_DISCLOSED);
  // and a JS presentation disclosing nothing
  const bare = await js.present(issued, {}, { kb: { payload: { nonce: h.NONCE, aud: h.AUD, iat: now() } } });
  const r2 = h.kakehashiVerify(bare, issuer, kbArgs);
  assert.equal(r2.status, 0, r2.stderr);
  assert.deepEqual(h.withoutEnvelope(JSON.parse(r2.stdout)), { iss: h.ISS, languages: [], grades: [], nationalities: ['JP'] });
});

test('Kakehashi issues -> JS holder presents -> JS verifies (JS understands Kakehashi structure)', async () => {
  const issued = h.kakehashiIssue(issuer, holder);
  const pres = await js.present(issued, h.PRESENTATION_FRAME, {
    kb: { payload: { nonce: h.NONCE, aud: h.AUD, iat: now() } },
  });
  const res = await h.jsVerify(js, pres);
  assert.deepEqual(h.withoutEnvelope(res.payload), h.EXPECTED_DISCLOSED);
});

test('JS issues -> Kakehashi holder presents (KB-JWT) -> JS verifies', async () => {
  const issued = await h.jsIssue(issuer, holder);
  const pres = h.kakehashiPresent(issued, issuer, holder);
  const res = await h.jsVerify(js, pres);
  assert.deepEqual(h.withoutEnvelope(res.payload), h.EXPECTED_DISCLOSED);
  assert.equal(res.kb.payload.aud, h.AUD);
});

test('JS issues -> Kakehashi holder presents -> Kakehashi verifies', async () => {
  const issued = await h.jsIssue(issuer, holder);
  const pres = h.kakehashiPresent(issued, issuer, holder, ['/family_name', '/languages/0', '/languages/2', '/grades/1']);
  const r = h.kakehashiVerify(pres, issuer, kbArgs);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(h.withoutEnvelope(JSON.parse(r.stdout)), {
    iss: h.ISS, family_name: 'Yamada', languages: ['ja', 'de'], grades: [{ course: 'Databases', grade: 'B' }], nationalities: ['JP'],
  });
});

test('Kakehashi holder refuses to present a JS issuance whose signature does not verify (RFC 9901 7.2)', async () => {
  const issued = await h.jsIssue(h.newKey('other'), holder);
  const r = h.kakehashi(['sd-jwt', 'present', '--issuer-key', issuer.pubFile, '--holder-key', holder.privFile,
    ...kbArgs, '--disclose', '/given_name', h.tmpFile('issued.txt', issued)]);
  assert.equal(r.status, 1);
});

test('DEVIATION D4 (@sd-jwt/sd-jwt-vc 0.19.0): SDJwtVcInstance.verify does not check typ dc+sd-jwt', async () => {
  // SD-JWT VC draft 2.2.1: typ MUST be dc+sd-jwt. Kakehashi rejects (js-issues.test.mjs);
  // the JS VC verifier accepts a Kakehashi-issued SD-JWT with typ example+sd-jwt.
  const issued = h.kakehashiIssue(issuer, holder, ['--typ', 'example+sd-jwt']);
  assert.equal(h.jwtHeader(h.split(issued).jwt).typ, 'example+sd-jwt');
  const res = await js.verify(issued);
  assert.equal(res.header.typ, 'example+sd-jwt');
});

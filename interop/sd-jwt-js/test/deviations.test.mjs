// Behaviour of @sd-jwt/* 0.19.0 that departs from RFC 9901, pinned as explicit expectations
// (interop/README.md, "Divergences"). D1, D3 and D4 are next to the tests that assert the RFC
// behaviour of Kakehashi (kakehashi-issues, js-issues, round-trip). If one of these starts
// failing, the library changed: update the README and turn the test into an RFC assertion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as h from '../lib/helpers.mjs';

const issuer = h.newKey('issuer');
const holder = h.newKey('holder');
const js = await h.jsInstance({ issuer, holder });
const now = () => Math.floor(Date.now() / 1000);

test('DEVIATION D2: SDJwtInstance.verify does not compare the KB-JWT aud (RFC 9901 7.3 step 5.6)', async () => {
  const pres = h.kakehashiPresent(h.kakehashiIssue(issuer, holder), issuer, holder, h.DISCLOSE_POINTERS, { aud: 'https://other.example' });
  // the library has no expected-audience option and resolves ...
  const res = await js.verify(pres, { keyBindingNonce: h.NONCE, aud: h.AUD, audience: h.AUD });
  assert.equal(res.kb.payload.aud, 'https://other.example');
  // ... so our wrapper does it (lib/helpers.mjs jsVerify), and Kakehashi does it itself:
  await assert.rejects(h.jsVerify(js, pres), /aud/);
  assert.equal(h.kakehashiVerify(pres, issuer, ['--nonce', h.NONCE, '--aud', h.AUD]).status, 1);
});

test('DEVIATION D5: @sd-jwt/crypto-nodejs generateSalt(16) gives 64-bit salts (RFC 9901 9.3 recommends 128)', async () => {
  const jsSalts = h.split(await h.jsIssue(issuer, holder)).disclosures.map((d) => h.b64uJson(d)[0]);
  for (const s of jsSalts) assert.match(s, /^[0-9a-f]{16}$/); // 16 hex digits = 64 bits
  const kkSalts = h.split(h.kakehashiIssue(issuer, holder)).disclosures.map((d) => h.b64uJson(d)[0]);
  for (const s of kkSalts) assert.ok(Buffer.from(s, 'base64url').length >= 16, `Kakehashi salt ${s} < 128 bits`);
});

test('DEVIATION D6: the KB-JWT iat window is not checked (RFC 9901 7.3 step 5.5)', async () => {
  const dayAgo = now() - 86400;
  const issued = h.kakehashiIssue(issuer, holder, ['--iat', String(dayAgo - 60)]);
  const stale = await js.present(issued, h.PRESENTATION_FRAME, {
    kb: { payload: { nonce: h.NONCE, aud: h.AUD, iat: dayAgo } },
  });
  const res = await h.jsVerify(js, stale);
  assert.equal(res.kb.payload.iat, dayAgo);
  // Kakehashi refuses a KB-JWT older than --kb-max-age (default 300 s)
  const r = h.kakehashiVerify(stale, issuer, ['--nonce', h.NONCE, '--aud', h.AUD]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /KB-JWT iat/);
});

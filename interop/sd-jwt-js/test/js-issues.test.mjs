// Direction 2: @sd-jwt/* 0.19.0 issues and presents, Kakehashi verifies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as h from '../lib/helpers.mjs';

const issuer = h.newKey('issuer');
const holder = h.newKey('holder');
const js = await h.jsInstance({ issuer, holder });
const issued = await h.jsIssue(issuer, holder);
const now = () => Math.floor(Date.now() / 1000);
const presentation = await js.present(issued, h.PRESENTATION_FRAME, {
  kb: { payload: { nonce: h.NONCE, aud: h.AUD, iat: now() } },
});
const kbArgs = ['--nonce', h.NONCE, '--aud', h.AUD];

function verifyOk(pres, extra = kbArgs) {
  const r = h.kakehashiVerify(pres, issuer, extra);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('JS issues a dc+sd-jwt VC with nested, array and decoy digests and cnf.jwk', () => {
  const { jwt, disclosures } = h.split(issued);
  const header = h.jwtHeader(jwt);
  const payload = h.jwtPayload(jwt);
  assert.equal(header.typ, 'dc+sd-jwt');
  assert.equal(header.alg, 'ES256');
  assert.equal(disclosures.length, h.SD_POINTERS.length);
  assert.equal(payload._sd.length, 5); // 3 claims + 2 decoys
  assert.equal(payload.languages.length, 4); // 3 elements + 1 decoy
  assert.deepEqual(payload.cnf.jwk, holder.pub);
});

test('Kakehashi verifies the JS issuance (all disclosures, no KB-JWT)', () => {
  const out = verifyOk(issued, []);
  const { iat, cnf, vct, ...rest } = out;
  assert.deepEqual(rest, h.CLAIMS);
  assert.equal(vct, h.VCT);
});

test('Kakehashi verifies a JS presentation with KB-JWT and prints exactly the disclosed claims', () => {
  const out = verifyOk(presentation);
  assert.deepEqual(h.withoutEnvelope(out), h.EXPECTED_DISCLOSED);
  assert.equal(out.vct, h.VCT);
  assert.deepEqual(out.cnf.jwk, holder.pub);
});

test('Kakehashi checks the JS KB-JWT: wrong nonce, wrong aud, missing KB-JWT are rejected', () => {
  for (const extra of [['--nonce', 'x', '--aud', h.AUD], ['--nonce', h.NONCE, '--aud', 'https://other.example']]) {
    const r = h.kakehashiVerify(presentation, issuer, extra);
    assert.equal(r.status, 1, `accepted with ${extra}`);
    assert.match(r.stderr, /^error: /);
  }
  const p = h.split(presentation);
  const r = h.kakehashiVerify([p.jwt, ...p.disclosures, ''].join('~'), issuer, [...kbArgs, '--require-kb']);
  assert.equal(r.status, 1);
});

test('Kakehashi rejects a JS presentation with a tampered disclosure', () => {
  const p = h.split(presentation);
  const d = h.b64uJson(p.disclosures[0]);
  d[d.length - 1] = 'Mallory';
  const tampered = [p.jwt, Buffer.from(JSON.stringify(d)).toString('base64url'), ...p.disclosures.slice(1), p.kb].join('~');
  const r = h.kakehashiVerify(tampered, issuer, kbArgs);
  assert.equal(r.status, 1);
});

test('Kakehashi rejects a JS-issued SD-JWT VC with a wrong typ (SD-JWT VC draft section 2.2.1)', async () => {
  const tm = h.tmpFile('type-metadata.json', { vct: h.VCT, name: 'Diploma' });
  for (const typ of ['vc+sd-jwt', 'example+sd-jwt', 'JWT']) {
    const bad = await h.jsIssue(issuer, holder, { header: { typ } });
    assert.equal(h.jwtHeader(h.split(bad).jwt).typ, typ);
    // --type-metadata makes Kakehashi verify the input as an SD-JWT VC whatever its typ.
    const r = h.kakehashiVerify(bad, issuer, ['--type-metadata', tm]);
    assert.equal(r.status, 1, `typ ${typ} accepted`);
    assert.match(r.stderr, /typ/);
  }
  // the same check passes for the right typ
  const good = h.kakehashiVerify(issued, issuer, ['--type-metadata', tm]);
  assert.equal(good.status, 0, good.stderr);
});

test('Kakehashi rejects a JS-issued SD-JWT VC re-encoded with alg none (RFC 9901 7.1 step 2.1)', async () => {
  // @sd-jwt/core refuses to encode an empty signature, so the JS payload and disclosures are
  // re-wrapped in an unsecured JWS by hand.
  const p = h.split(issued);
  const hdr = Buffer.from(JSON.stringify({ alg: 'none', typ: 'dc+sd-jwt' })).toString('base64url');
  const none = [`${hdr}.${p.jwt.split('.')[1]}.`, ...p.disclosures, ''].join('~');
  const r = h.kakehashiVerify(none, issuer);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /none/);
  await assert.rejects(js.verify(none));
});

test('Kakehashi rejects a JS-issued SD-JWT with a duplicate disclosure (RFC 9901 section 4)', () => {
  const p = h.split(issued);
  const dup = [p.jwt, ...p.disclosures, p.disclosures[0], ''].join('~');
  const r = h.kakehashiVerify(dup, issuer);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /more than once/);
});

test('DEVIATION D3 (@sd-jwt/core 0.19.0): a duplicate disclosure is accepted', async () => {
  // RFC 9901 section 4 forbids a Holder to send a Disclosure more than once; Kakehashi and the
  // Python reference implementation reject it, the library's digest map collapses the copies.
  const p = h.split(issued);
  const dup = [p.jwt, ...p.disclosures, p.disclosures[0], ''].join('~');
  const res = await js.verify(dup);
  assert.equal(res.payload.given_name, 'Hanako');
});

test('Kakehashi rejects a JS-issued SD-JWT signed by another key', async () => {
  const other = h.newKey('other');
  const forged = await h.jsIssue(other, holder);
  const r = h.kakehashiVerify(forged, issuer);
  assert.equal(r.status, 1);
});

// JWS JSON Serialization (RFC 9901 section 8, flattened): Kakehashi --json <-> @sd-jwt/core FlattenJSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlattenJSON } from '@sd-jwt/core';
import * as h from '../lib/helpers.mjs';

const issuer = h.newKey('issuer');
const holder = h.newKey('holder');
const js = await h.jsInstance({ issuer, holder });
const now = () => Math.floor(Date.now() / 1000);
const kbArgs = ['--nonce', h.NONCE, '--aud', h.AUD];

test('Kakehashi --json presentation: disclosures and kb_jwt in the unprotected header; JS verifies', async () => {
  const issued = h.kakehashiIssue(issuer, holder, ['--json']);
  const pres = JSON.parse(h.kakehashiPresent(issued, issuer, holder));
  assert.ok(Array.isArray(pres.header.disclosures));
  assert.equal(typeof pres.header.kb_jwt, 'string');
  const compact = FlattenJSON.fromSerialized(pres).toEncoded();
  const res = await h.jsVerify(js, compact);
  assert.deepEqual(h.withoutEnvelope(res.payload), h.EXPECTED_DISCLOSED);
});

test('JS FlattenJSON presentation: Kakehashi verifies', async () => {
  const issued = await h.jsIssue(issuer, holder);
  const pres = await js.present(issued, h.PRESENTATION_FRAME, { kb: { payload: { nonce: h.NONCE, aud: h.AUD, iat: now() } } });
  const json = js.toFlattenJSON(pres).toJson();
  assert.ok(Array.isArray(json.header.disclosures));
  const r = h.kakehashiVerify(JSON.stringify(json), issuer, kbArgs);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(h.withoutEnvelope(JSON.parse(r.stdout)), h.EXPECTED_DISCLOSED);
});

test('JS FlattenJSON issuance: Kakehashi presents it (JSON in, JSON out), JS verifies', async () => {
  const issued = JSON.stringify(js.toFlattenJSON(await h.jsIssue(issuer, holder)).toJson());
  const pres = JSON.parse(h.kakehashiPresent(issued, issuer, holder));
  const res = await h.jsVerify(js, FlattenJSON.fromSerialized(pres).toEncoded());
  assert.deepEqual(h.withoutEnvelope(res.payload), h.EXPECTED_DISCLOSED);
});

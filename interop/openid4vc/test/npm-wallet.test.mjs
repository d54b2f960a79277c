// Direction A: the npm libraries as the WALLET against a running Kakehashi node over https.
// @openid4vc/openid4vci receives from Kakehashi's issuers, @sd-jwt/sd-jwt-vc verifies the
// SD-JWT VC, @openid4vc/openid4vp resolves Kakehashi's signed request object and sends the
// (encrypted) response; Kakehashi's verifier must report "verified".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as jose from 'jose';
import { EU_GRADUATE, JP_GRADUATE, startNode } from '../lib/kakehashi.mjs';
import { jwtParts, presentation, receive, resolveRequest, respond, sdJwtVc } from '../lib/npm-wallet.mjs';

let node;
before(async () => { node = await startNode(); });
after(async () => { await node?.stop(); });

const pki = (name) => fs.readFileSync(path.join(node.dataDir, 'demo', 'pki', name));

async function waitResult(session) {
  for (let i = 0; i < 50; i += 1) {
    const r = await node.result(session);
    if (!['created', 'fetched', 'pending', 'request_fetched'].includes(r.status)) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
  return node.result(session);
}

test('EU diploma: npm wallet receives the dc+sd-jwt (pre-authorized code, tx_code, DPoP, nonce, key proof) and @sd-jwt/sd-jwt-vc verifies it', async () => {
  const offer = await node.offer('eu', EU_GRADUATE);
  const got = await receive({ offerUri: offer.offer_uri, txCode: offer.tx_code, ca: node.ca });
  assert.equal(got.format, 'dc+sd-jwt');
  assert.equal(got.token.accessTokenResponse.token_type, 'DPoP', 'the issuer bound the token with DPoP');
  const { header } = jwtParts(got.proofJwt);
  assert.equal(header.typ, 'openid4vci-proof+jwt');
  const fetched = [];
  const sdjwt = sdJwtVc({ anchorPem: pki('eu-qtsp-ca.pem'), ca: node.ca, fetched });
  const verified = await sdjwt.verify(got.credential);
  // The Token Status List was fetched, its x5c-signed JWT verified and the entry read as valid.
  assert.deepEqual(fetched, [verified.payload.status.status_list.uri]);
  assert.ok(fetched[0].startsWith(`${node.base}/issuers/eu/status/`));
  assert.equal(verified.header.typ, 'dc+sd-jwt');
  assert.equal(verified.payload.vct, 'urn:kakehashi:vct:diploma:eu:1');
  assert.equal(verified.payload.iss, `${node.base}/issuers/eu`);
  assert.deepEqual(verified.payload.cnf.jwk, got.holder.publicJwk, 'bound to the key of the proof');
  assert.ok(verified.payload.given_name && verified.payload.qualification, 'claims disclosed');
  // Signed by another CA: the x5c check fails.
  const other = sdJwtVc({ anchorPem: pki('jp-eseal-ca.pem'), ca: node.ca });
  await assert.rejects(other.verify(got.credential));
});

test('wrong tx_code: the npm client gets the token error from Kakehashi', async () => {
  const offer = await node.offer('eu', EU_GRADUATE);
  const wrong = offer.tx_code === '000000' ? '111111' : '000000';
  await assert.rejects(receive({ offerUri: offer.offer_uri, txCode: wrong, ca: node.ca }), /invalid_grant/);
});

test('EU diploma to the JP verifier: npm OpenID4VP client, SD-JWT + KB-JWT, direct_post.jwt → verified', async () => {
  const offer = await node.offer('eu', EU_GRADUATE);
  const got = await receive({ offerUri: offer.offer_uri, txCode: offer.tx_code, ca: node.ca });
  const session = await node.session('jp');
  const { client, resolved } = await resolveRequest({ requestUri: session.request_uri, ca: node.ca });
  const request = resolved.authorizationRequestPayload;
  assert.equal(resolved.version, 100, 'recognised as OpenID4VP 1.0');
  assert.equal(resolved.client.prefix, 'x509_hash');
  assert.equal(request.response_mode, 'direct_post.jwt');
  // Our own check of what the library checked: x509_hash = SHA-256 of the x5c leaf, and the
  // request object signed by that leaf.
  const leaf = Buffer.from(resolved.client.x5c[0], 'base64');
  assert.equal(request.client_id, `x509_hash:${crypto.createHash('sha256').update(leaf).digest('base64url')}`);
  await jose.compactVerify(resolved.jar.jwt.compact, new crypto.X509Certificate(leaf).publicKey);
  assert.equal(resolved.jar.jwt.header.typ, 'oauth-authz-req+jwt');
  const query = request.dcql_query.credentials.find((c) => c.format === 'dc+sd-jwt');
  const sdjwt = sdJwtVc({ anchorPem: pki('eu-qtsp-ca.pem'), ca: node.ca, holder: got.holder });
  const vp = await presentation({ received: got, query, nonce: request.nonce, audience: request.client_id, sdjwt });
  // The presentation the library built verifies with the library (KB-JWT nonce checked).
  const checked = await sdjwt.verify(vp, { keyBindingNonce: request.nonce, requiredClaimKeys: ['family_name', 'given_name'] });
  assert.equal(checked.kb.payload.aud, request.client_id);
  assert.equal(checked.payload.birth_date, undefined, 'birth date not disclosed');
  const sent = await respond({ client, resolved, vpToken: { [query.id]: [vp] } });
  assert.equal(sent.response.status, 200, sent.body);
  const jwe = jose.decodeProtectedHeader(sent.created.jarm.responseJwt);
  assert.equal(jwe.alg, 'ECDH-ES');
  assert.match(jwe.enc, /^A(128|256)GCM$/);
  const result = await waitResult(session);
  assert.equal(result.status, 'verified', JSON.stringify(result));
  assert.match(JSON.stringify(result), /修士相当/);
});

test('a KB-JWT with the wrong nonce is refused by Kakehashi\'s verifier', async () => {
  const offer = await node.offer('eu', EU_GRADUATE);
  const got = await receive({ offerUri: offer.offer_uri, txCode: offer.tx_code, ca: node.ca });
  const session = await node.session('jp');
  const { client, resolved } = await resolveRequest({ requestUri: session.request_uri, ca: node.ca });
  const request = resolved.authorizationRequestPayload;
  const query = request.dcql_query.credentials.find((c) => c.format === 'dc+sd-jwt');
  const sdjwt = sdJwtVc({ anchorPem: pki('eu-qtsp-ca.pem'), ca: node.ca, holder: got.holder });
  const vp = await presentation({ received: got, query, nonce: 'not-the-nonce', audience: request.client_id, sdjwt });
  await respond({ client, resolved, vpToken: { [query.id]: [vp] } });
  const result = await waitResult(session);
  assert.notEqual(result.status, 'verified', JSON.stringify(result));
  assert.match(JSON.stringify(result), /nonce/i, 'refused for the nonce');
});

test('JP diploma (jwt_vc_json, Open Badges 3.0) to the EU verifier: vp+jwt over direct_post.jwt → verified', async () => {
  const offer = await node.offer('jp', JP_GRADUATE);
  const got = await receive({ offerUri: offer.offer_uri, txCode: offer.tx_code, ca: node.ca });
  assert.equal(got.format, 'jwt_vc_json');
  // The vc+jwt verifies with the issuer's key published at /.well-known/jwt-vc-issuer, found
  // by `kid` = its RFC 7638 thumbprint.
  const meta = await (await node.http(`${node.base}/.well-known/jwt-vc-issuer/issuers/jp`)).json();
  const { kid } = jwtParts(got.credential).header;
  const keys = [];
  for (const k of meta.keys ?? meta.jwks.keys) if ((k.kid ?? (await jose.calculateJwkThumbprint(k))) === kid) keys.push(k);
  assert.equal(keys.length, 1, `one key for kid ${kid}`);
  const { payload } = await jose.compactVerify(got.credential, await jose.importJWK(keys[0], 'ES256'));
  const vc = JSON.parse(new TextDecoder().decode(payload));
  assert.ok(vc.type.includes('OpenBadgeCredential'));
  assert.equal(jwtParts(got.credential).header.typ, 'vc+jwt');
  const session = await node.session('eu');
  const { client, resolved } = await resolveRequest({ requestUri: session.request_uri, ca: node.ca });
  const request = resolved.authorizationRequestPayload;
  const query = request.dcql_query.credentials.find((c) => c.format === 'jwt_vc_json');
  const vp = await presentation({ received: got, query, nonce: request.nonce, audience: request.client_id });
  const sent = await respond({ client, resolved, vpToken: { [query.id]: [vp] } });
  assert.equal(sent.response.status, 200, sent.body);
  const result = await waitResult(session);
  assert.equal(result.status, 'verified', JSON.stringify(result));
  assert.match(JSON.stringify(result), /EQF/);
});

// A holder wallet made of the npm libraries: @openid4vc/openid4vci receives, @sd-jwt/* checks
// and presents SD-JWT VCs, @openid4vc/openid4vp resolves the request and builds and sends the
// response. Keys are P-256 from node's WebCrypto; JWS/JWE through `jose` (lib/callbacks.mjs).
import crypto from 'node:crypto';
import * as jose from 'jose';
import { Openid4vciClient } from '@openid4vc/openid4vci';
import { Openid4vpClient } from '@openid4vc/openid4vp';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { digest } from '@sd-jwt/crypto-nodejs';
import { callbacks, fetchWithCa, newP256 } from './callbacks.mjs';

const b64json = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
export const jwtParts = (jwt) => {
  const [h, p] = jwt.split('~')[0].split('.');
  return { header: b64json(h), payload: b64json(p) };
};

/** SAN DNS names of a base64 DER certificate (the library's x509_san_dns check needs them). */
export function x509Metadata(certificate) {
  const cert = new crypto.X509Certificate(Buffer.from(certificate, 'base64'));
  const sans = (cert.subjectAltName ?? '').split(', ');
  return {
    sanDnsNames: sans.filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4)),
    sanUriNames: sans.filter((n) => n.startsWith('URI:')).map((n) => n.slice(4)),
  };
}

/**
 * Checks that the `x5c` chain (standard base64 DER, leaf first) ends at `anchorPem`, each
 * certificate signed by the next and valid now; returns the leaf's public key.
 */
export function verifyX5cChain(x5c, anchorPem) {
  const certs = x5c.map((c) => new crypto.X509Certificate(Buffer.from(c, 'base64')));
  const anchor = new crypto.X509Certificate(anchorPem);
  const now = Date.now();
  for (let i = 0; i < certs.length; i += 1) {
    const c = certs[i];
    if (Date.parse(c.validFrom) > now || Date.parse(c.validTo) < now) throw new Error(`x5c[${i}] not valid now`);
    const next = certs[i + 1] ?? anchor;
    if (c.fingerprint256 === anchor.fingerprint256) return certs[0].publicKey;
    if (!c.verify(next.publicKey)) throw new Error(`x5c[${i}] not signed by its successor`);
    if (!certs[i + 1]) return certs[0].publicKey;
  }
  throw new Error('empty x5c');
}

/** An @sd-jwt `Verifier` for ES256 JWTs signed by the `x5c` leaf, the chain ending at `anchorPem`. */
export function x5cVerifier(anchorPem) {
  return async (data, signature) => {
    const { x5c, alg } = b64json(data.split('.')[0]);
    if (alg !== 'ES256' || !Array.isArray(x5c)) return false;
    const key = verifyX5cChain(x5c, anchorPem);
    return crypto.verify('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  };
}

/** An @sd-jwt `Signer` (ES256, raw r||s) over a WebCrypto private key. */
export function es256Signer(privateKey) {
  return async (data) => {
    const sig = await crypto.webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, new TextEncoder().encode(data));
    return Buffer.from(sig).toString('base64url');
  };
}

/** An @sd-jwt `Verifier` for ES256 over a public JWK. */
export function jwkVerifier(jwk) {
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  return async (data, signature) =>
    crypto.verify('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
}

/** The SD-JWT VC instance of the npm side: issuer x5c to `anchorPem`, status lists over `ca`. */
export function sdJwtVc({ anchorPem, ca, holder, fetched = [] }) {
  const http = ca ? fetchWithCa(ca) : fetch;
  return new SDJwtVcInstance({
    hasher: digest,
    hashAlg: 'sha-256',
    verifier: x5cVerifier(anchorPem),
    statusVerifier: x5cVerifier(anchorPem),
    kbVerifier: async (data, sig, payload) => jwkVerifier(payload.cnf.jwk)(data, sig),
    kbSigner: holder ? es256Signer(holder.privateKey) : undefined,
    kbSignAlg: 'ES256',
    statusListFetcher: async (uri) => {
      fetched.push(uri);
      const r = await http(uri, { headers: { accept: 'application/statuslist+jwt' } });
      if (r.status !== 200) throw new Error(`status list ${uri}: ${r.status}`);
      return r.text();
    },
  });
}

/**
 * Receives one credential from a Kakehashi offer over OpenID4VCI 1.0: pre-authorized code with
 * tx_code, DPoP when the authorization server lists `dpop_signing_alg_values_supported`, a
 * nonce from the nonce endpoint, an `openid4vci-proof+jwt` key proof.
 */
export async function receive({ offerUri, txCode, ca }) {
  const holder = await newP256();
  const dpopKey = await newP256();
  const client = new Openid4vciClient({ callbacks: callbacks({ ca, signing: [holder, dpopKey] }) });
  const credentialOffer = await client.resolveCredentialOffer(offerUri);
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  const as = issuerMetadata.authorizationServers[0];
  const dpop = as.dpop_signing_alg_values_supported?.includes('ES256')
    ? { signer: { method: 'jwk', alg: 'ES256', publicJwk: dpopKey.publicJwk } }
    : undefined;
  const token = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer,
    issuerMetadata,
    txCode,
    dpop,
  });
  const configurationId = credentialOffer.credential_configuration_ids[0];
  const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata });
  const proof = await client.createCredentialRequestJwtProof({
    issuerMetadata,
    credentialConfigurationId: configurationId,
    nonce,
    signer: { method: 'jwk', alg: 'ES256', publicJwk: holder.publicJwk },
  });
  const response = await client.retrieveCredentials({
    issuerMetadata,
    credentialConfigurationId: configurationId,
    accessToken: token.accessTokenResponse.access_token,
    dpop: token.dpop,
    proofs: { jwt: [proof.jwt] },
  });
  const format = issuerMetadata.credentialIssuer.credential_configurations_supported[configurationId].format;
  return {
    holder,
    format,
    configurationId,
    token,
    proofJwt: proof.jwt,
    credential: response.credentialResponse.credentials[0].credential,
    credentialResponse: response.credentialResponse,
  };
}

/** The presentation frame that discloses everything under `path` (DCQL claims path). */
function frameFor(claims, path, frame) {
  const [head, ...rest] = path;
  const value = claims?.[head];
  if (rest.length === 0) {
    frame[head] = everything(value);
  } else {
    const sub = typeof frame[head] === 'object' ? frame[head] : {};
    frame[head] = frameFor(value, rest, sub);
  }
  return frame;
}
function everything(value) {
  if (Array.isArray(value)) return Object.fromEntries(value.map((v, i) => [i, everything(v)]));
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).map((k) => [k, everything(value[k])]));
  return true;
}

/** Resolves an OpenID4VP request (request_uri, signed request object) with the npm client. */
export async function resolveRequest({ requestUri, ca }) {
  const cb = { ...callbacks({ ca }), getX509CertificateMetadata: x509Metadata };
  const client = new Openid4vpClient({ callbacks: cb });
  const parsed = client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: requestUri });
  const resolved = await client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params });
  return { client, resolved };
}

/**
 * Builds the vp_token entry for `credential` per DCQL query `query`: an SD-JWT with the asked
 * claims and a KB-JWT (@sd-jwt present), or a `vp+jwt` around a `jwt_vc_json` credential.
 */
export async function presentation({ received, query, nonce, audience, sdjwt }) {
  if (received.format === 'dc+sd-jwt') {
    const claims = await sdjwt.getClaims(received.credential);
    const frame = {};
    for (const c of query.claims ?? []) frameFor(claims, c.path, frame);
    return sdjwt.present(received.credential, frame, {
      kb: { payload: { iat: Math.floor(Date.now() / 1000), aud: audience, nonce } },
    });
  }
  // jwt_vc_json (OpenID4VP 1.0 Appendix B.1.3.1): a W3C VP signed by the holder key, `nonce`
  // and `aud` bound; the credential enveloped (VC 2.0 / VC-JOSE-COSE).
  const did = `did:jwk:${Buffer.from(JSON.stringify(received.holder.publicJwk)).toString('base64url')}`;
  const vp = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiablePresentation'],
    holder: did,
    verifiableCredential: [
      {
        '@context': 'https://www.w3.org/ns/credentials/v2',
        id: `data:application/vc+jwt,${received.credential}`,
        type: 'EnvelopedVerifiableCredential',
      },
    ],
    nonce,
    aud: audience,
    iat: Math.floor(Date.now() / 1000),
  };
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(vp)))
    .setProtectedHeader({ alg: 'ES256', typ: 'vp+jwt', cty: 'vp', kid: `${did}#0` })
    .sign(received.holder.privateKey);
}

/** Sends the response the way the request asks (`direct_post` or `direct_post.jwt`). */
export async function respond({ client, resolved, vpToken }) {
  const request = resolved.authorizationRequestPayload;
  const jarm = request.response_mode === 'direct_post.jwt'
    ? {
        encryption: { nonce: crypto.randomBytes(16).toString('base64url') },
        serverMetadata: {
          authorization_signing_alg_values_supported: ['ES256'],
          authorization_encryption_alg_values_supported: ['ECDH-ES'],
          authorization_encryption_enc_values_supported: ['A128GCM', 'A256GCM'],
        },
      }
    : undefined;
  const created = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request,
    authorizationResponsePayload: { vp_token: vpToken },
    jarm,
  });
  const submitted = await client.submitOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request,
    authorizationResponsePayload: created.authorizationResponsePayload,
    jarm: created.jarm ? { responseJwt: created.jarm.responseJwt } : undefined,
  });
  return { created, response: submitted.response, body: await submitted.response.text() };
}

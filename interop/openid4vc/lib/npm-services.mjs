// Direction B: an OpenID4VCI issuer + authorization server and an OpenID4VP verifier made of
// the npm libraries, served over https on loopback from a throw-away CA made with the `openssl`
// CLI. @openid4vc/oauth2 (token endpoint, access token, DPoP), @openid4vc/openid4vci (metadata,
// offer, nonce, credential request, key proof, credential response), @sd-jwt/sd-jwt-vc (the
// credential), @openid4vc/openid4vp (signed request object, response parsing and decryption).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Oauth2AuthorizationServer, Oauth2ResourceServer, preAuthorizedCodeGrantIdentifier } from '@openid4vc/oauth2';
import { Openid4vciIssuer, Openid4vciVersion } from '@openid4vc/openid4vci';
import { Openid4vpVerifier } from '@openid4vc/openid4vp';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { digest, generateSalt } from '@sd-jwt/crypto-nodejs';
import { callbacks, newEcdhP256, newP256 } from './callbacks.mjs';
import { es256Signer, jwkVerifier, x5cVerifier } from './npm-wallet.mjs';

const pemToB64 = (pem) => pem.replace(/-----[^-]+-----|\s/g, '');

/** A throw-away CA (P-256) and leaves signed by it: TLS (SAN localhost), issuer seal, verifier. */
export function makePki() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kakehashi-oid4vc-pki-'));
  const f = (n) => path.join(dir, n);
  const ossl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  ossl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('ca.key'));
  ossl('req', '-x509', '-new', '-key', f('ca.key'), '-sha256', '-days', '2', '-subj', '/CN=Interop Throw-away CA/O=npm side',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', f('ca.pem'));
  const leaf = (name, cn, ext) => {
    ossl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f(`${name}.sec1`));
    ossl('pkcs8', '-topk8', '-nocrypt', '-in', f(`${name}.sec1`), '-out', f(`${name}.key`));
    ossl('req', '-new', '-key', f(`${name}.key`), '-subj', `/CN=${cn}/O=npm side/C=BE`, '-out', f(`${name}.csr`));
    fs.writeFileSync(f(`${name}.ext`), ext);
    ossl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1',
      '-sha256', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`));
    const key = fs.readFileSync(f(`${name}.key`));
    return { certPem: fs.readFileSync(f(`${name}.pem`), 'utf8'), keyPem: key, privateKey: crypto.createPrivateKey(key) };
  };
  const leafExt = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=DNS:localhost\n';
  const pki = {
    dir,
    caFile: f('ca.pem'),
    caPem: fs.readFileSync(f('ca.pem'), 'utf8'),
    tls: leaf('tls', 'localhost', `${leafExt}extendedKeyUsage=serverAuth\n`),
    seal: leaf('seal', 'npm Interop University seal', leafExt),
    rp: leaf('rp', 'npm Interop Verifier', leafExt),
  };
  return pki;
}

const readBody = (req) => new Promise((resolve, reject) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  req.on('error', reject);
});

const send = (res, status, body, type = 'application/json', headers = {}) => {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

/**
 * Starts the npm issuer and verifier on one https port. Returns helpers to make offers and
 * presentation requests and to read what the endpoints saw.
 */
export async function startNpmServices() {
  const pki = makePki();
  const server = https.createServer({ key: pki.tls.keyPem, cert: pki.tls.certPem });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `https://localhost:${server.address().port}`;

  // Keys: the access-token signing key (JWK signer), the credential seal (x5c), the request
  // object signing key (x5c with SAN localhost).
  const asKey = await newP256();
  const sealJwk = crypto.createPublicKey(pki.seal.certPem).export({ format: 'jwk' });
  const cb = callbacks({ signing: [asKey], ca: pki.caPem }); // the resource server fetches our own jwks_uri
  const as = new Oauth2AuthorizationServer({ callbacks: cb });
  const rs = new Oauth2ResourceServer({ callbacks: cb });
  const issuer = new Openid4vciIssuer({ callbacks: cb });

  const asMetadata = as.createAuthorizationServerMetadata({
    issuer: base,
    token_endpoint: `${base}/token`,
    dpop_signing_alg_values_supported: ['ES256'],
    'pre-authorized_grant_anonymous_access_supported': true,
    jwks_uri: `${base}/jwks`,
  });
  const VCT = 'urn:example:npm-interop:diploma:1';
  const issuerMetadata = {
    credentialIssuer: issuer.createCredentialIssuerMetadata({
      credential_issuer: base,
      credential_endpoint: `${base}/credential`,
      nonce_endpoint: `${base}/nonce`,
      credential_configurations_supported: {
        diploma_sd_jwt: {
          format: 'dc+sd-jwt',
          vct: VCT,
          cryptographic_binding_methods_supported: ['jwk'],
          credential_signing_alg_values_supported: ['ES256'],
          proof_types_supported: { jwt: { proof_signing_alg_values_supported: ['ES256'] } },
        },
      },
    }),
    authorizationServers: [asMetadata],
    originalDraftVersion: Openid4vciVersion.V1,
  };
  issuerMetadata.knownCredentialConfigurations = issuer.getKnownCredentialConfigurationsSupported(issuerMetadata.credentialIssuer);

  const sdjwt = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
    signer: async (data) => crypto.sign('sha256', Buffer.from(data), { key: pki.seal.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url'),
    signAlg: 'ES256',
    verifier: x5cVerifier(pki.caPem),
    kbVerifier: async (data, sig, payload) => jwkVerifier(payload.cnf.jwk)(data, sig),
  });

  const offers = new Map(); // pre-authorized code -> {txCode, claims}
  const nonces = new Set();
  const issued = [];
  const sessions = new Map(); // request id -> session

  const requestLike = (req) => ({ method: req.method, url: `${base}${req.url}`, headers: new Headers(req.headers) });

  async function token(req, body) {
    const form = Object.fromEntries(new URLSearchParams(body));
    const parsed = as.parseAccessTokenRequest({ request: requestLike(req), accessTokenRequest: form });
    if (parsed.grant.grantType !== preAuthorizedCodeGrantIdentifier) throw new Error('only pre-authorized_code');
    const offer = offers.get(parsed.grant.preAuthorizedCode);
    if (!offer) throw Object.assign(new Error('unknown pre-authorized code'), { errorResponse: { error: 'invalid_grant' } });
    const { dpop } = await as.verifyPreAuthorizedCodeAccessTokenRequest({
      authorizationServerMetadata: asMetadata,
      grant: parsed.grant,
      accessTokenRequest: parsed.accessTokenRequest,
      request: requestLike(req),
      expectedPreAuthorizedCode: parsed.grant.preAuthorizedCode,
      expectedTxCode: offer.txCode,
      dpop: { jwt: parsed.dpop?.jwt, required: true, allowedSigningAlgs: ['ES256'] },
    });
    offers.delete(parsed.grant.preAuthorizedCode);
    const response = await as.createAccessTokenResponse({
      audience: base,
      authorizationServer: base,
      expiresInSeconds: 300,
      signer: { method: 'jwk', alg: 'ES256', publicJwk: asKey.publicJwk },
      dpop: dpop ? { jwk: dpop.jwk } : undefined,
      subject: offer.subject,
      additionalAccessTokenPayload: { offer: offer.id },
      cNonce: undefined,
    });
    offer.tokenDpop = Boolean(dpop);
    return response;
  }

  async function credential(req, body) {
    const { tokenPayload } = await rs.verifyResourceRequest({
      request: requestLike(req),
      resourceServer: base,
      authorizationServers: [asMetadata],
    });
    const parsed = issuer.parseCredentialRequest({ issuerMetadata, credentialRequest: JSON.parse(body) });
    const jwts = parsed.proofs?.jwt ?? (parsed.proof?.jwt ? [parsed.proof.jwt] : []);
    if (jwts.length !== 1) throw new Error('one jwt proof expected');
    const nonce = JSON.parse(Buffer.from(jwts[0].split('.')[1], 'base64url')).nonce;
    if (!nonces.delete(nonce)) throw new Error('unknown or used c_nonce');
    const proof = await issuer.verifyCredentialRequestJwtProof({ issuerMetadata, jwt: jwts[0], expectedNonce: nonce });
    const holderJwk = proof.signer.publicJwk;
    const claims = offersById.get(tokenPayload.offer);
    const credentialJwt = await sdjwt.issue(
      {
        iss: base,
        iat: Math.floor(Date.now() / 1000),
        vct: VCT,
        cnf: { jwk: holderJwk },
        ...claims,
      },
      { _sd: ['given_name', 'family_name', 'birth_date', 'degree'], degree: { _sd: ['name', 'eqf_level'] } },
      { header: { x5c: [pemToB64(pki.seal.certPem)], typ: 'dc+sd-jwt' } },
    );
    issued.push({ credential: credentialJwt, holderJwk, proofHeader: proof.header });
    return issuer.createCredentialResponse({ credentialRequest: parsed, credentials: [{ credential: credentialJwt }] });
  }
  const offersById = new Map();

  async function presentationResponse(session, body) {
    const form = Object.fromEntries(new URLSearchParams(body));
    const verifier = new Openid4vpVerifier({ callbacks: callbacks({ decryption: [session.encKey] }) });
    // `Openid4vpVerifier.parseOpenid4vpAuthorizationResponse` does not pass its own callbacks
    // on (0.4.6: "Cannot read properties of undefined (reading 'decryptJwe')"), so they are
    // given here as well.
    const parsed = await verifier.parseOpenid4vpAuthorizationResponse({
      authorizationResponse: form,
      authorizationRequestPayload: session.request,
      callbacks: callbacks({ decryption: [session.encKey] }),
    });
    const out = { parsed, presentations: [] };
    if (parsed.type !== 'dcql') throw new Error(`expected a DCQL response, got ${parsed.type}`);
    for (const [id, list] of Object.entries(parsed.dcql.presentations)) {
      for (const vp of Array.isArray(list) ? list : [list]) {
        const verified = await sdjwt.verify(vp, { keyBindingNonce: session.request.nonce, requiredClaimKeys: [] });
        // @sd-jwt checks the KB-JWT nonce but not its audience (interop/README.md D2).
        if (verified.kb?.payload.aud !== session.request.client_id) throw new Error(`KB-JWT aud ${verified.kb?.payload.aud}`);
        out.presentations.push({ id, vp, verified });
      }
    }
    return out;
  }

  server.on('request', async (req, res) => {
    const url = new URL(req.url, base);
    try {
      const body = await readBody(req);
      if (req.method === 'GET' && url.pathname === '/.well-known/openid-credential-issuer') {
        return send(res, 200, issuerMetadata.credentialIssuer);
      }
      if (req.method === 'GET' && url.pathname === '/.well-known/oauth-authorization-server') {
        return send(res, 200, asMetadata);
      }
      if (req.method === 'GET' && url.pathname === '/jwks') return send(res, 200, { keys: [asKey.publicJwk] });
      if (req.method === 'POST' && url.pathname === '/token') return send(res, 200, await token(req, body));
      if (req.method === 'POST' && url.pathname === '/nonce') {
        const cNonce = crypto.randomBytes(16).toString('base64url');
        nonces.add(cNonce);
        return send(res, 200, issuer.createNonceResponse({ cNonce, cNonceExpiresIn: 300 }));
      }
      if (req.method === 'POST' && url.pathname === '/credential') return send(res, 200, await credential(req, body));
      const m = url.pathname.match(/^\/vp\/(request|response)\/([\w-]+)$/);
      const session = m && sessions.get(m[2]);
      if (session && m[1] === 'request') {
        session.requestFetched = { method: req.method, body };
        return send(res, 200, session.requestObject, 'application/oauth-authz-req+jwt');
      }
      if (session && m[1] === 'response' && req.method === 'POST') {
        try {
          session.result = await presentationResponse(session, body);
          return send(res, 200, {});
        } catch (e) {
          session.error = e;
          services.lastError = e;
          return send(res, 400, { error: 'invalid_request', error_description: String(e.message) });
        }
      }
      return send(res, 404, { error: 'not_found' });
    } catch (e) {
      // Oauth2ResourceUnauthorizedError: 401 with WWW-Authenticate (RFC 6750 / RFC 9449).
      (services.errors ??= []).push(e);
      if (e.wwwAuthenticateHeaders) {
        return send(res, 401, { error: 'invalid_token' }, 'application/json', { 'www-authenticate': e.toHeaderValue() });
      }
      const error = e.errorResponse ?? { error: 'invalid_request', error_description: String(e.message) };
      return send(res, 400, error);
    }
  });

  const services = {
    base,
    pki,
    issued,
    VCT,
    /** A pre-authorized code offer with a numeric tx_code; returns {offerUri, txCode}. */
    async offer(claims) {
      const code = crypto.randomBytes(24).toString('base64url');
      const txCode = String(crypto.randomInt(0, 1_000_000)).padStart(6, '0');
      const id = crypto.randomUUID();
      offers.set(code, { id, txCode, subject: `holder-${id}` });
      offersById.set(id, claims);
      const { credentialOffer } = await issuer.createCredentialOffer({
        issuerMetadata,
        credentialConfigurationIds: ['diploma_sd_jwt'],
        grants: {
          [preAuthorizedCodeGrantIdentifier]: {
            'pre-authorized_code': code,
            tx_code: { input_mode: 'numeric', length: 6, description: 'the code sent to you' },
          },
        },
      });
      return { offerUri: credentialOffer, txCode };
    },
    /** A signed presentation request (request_uri, x509_san_dns:localhost, direct_post.jwt). */
    async request({ claims, responseMode = 'direct_post.jwt', expiresInSeconds = 300, libraryAud = false } = {}) {
      const id = crypto.randomBytes(12).toString('base64url');
      const encKey = await newEcdhP256();
      const verifier = new Openid4vpVerifier({ callbacks: callbacks({ x5cKey: { privateKey: pki.rp.privateKey, publicJwk: crypto.createPublicKey(pki.rp.certPem).export({ format: 'jwk' }) } }) });
      const payload = {
        response_type: 'vp_token',
        client_id: 'x509_san_dns:localhost',
        response_uri: `${base}/vp/response/${id}`,
        response_mode: responseMode,
        nonce: crypto.randomBytes(16).toString('base64url'),
        state: crypto.randomBytes(16).toString('base64url'),
        dcql_query: {
          credentials: [{
            id: 'diploma',
            format: 'dc+sd-jwt',
            meta: { vct_values: [VCT] },
            claims: (claims ?? [['given_name'], ['degree', 'name']]).map((p) => ({ path: p })),
          }],
        },
        client_metadata: {
          vp_formats_supported: { 'dc+sd-jwt': { 'sd-jwt_alg_values': ['ES256'], 'kb-jwt_alg_values': ['ES256'] } },
          ...(responseMode === 'direct_post.jwt'
            ? {
                jwks: { keys: [{ ...encKey.publicJwk, kid: 'enc-1', use: 'enc', alg: 'ECDH-ES' }] },
                encrypted_response_enc_values_supported: ['A128GCM'],
              }
            : {}),
        },
      };
      const created = await verifier.createOpenId4vpAuthorizationRequest({
        authorizationRequestPayload: payload,
        jar: {
          requestUri: `${base}/vp/request/${id}`,
          jwtSigner: { method: 'x5c', alg: 'ES256', x5c: [pemToB64(pki.rp.certPem), pemToB64(pki.caPem)] },
          // Without it the library writes `"exp": null` (interop/README.md V1).
          ...(expiresInSeconds === null ? {} : { expiresInSeconds }),
          // Without it the library sets `aud` to the request_uri (interop/README.md V2);
          // OpenID4VP 1.0 section 5.8: static discovery means https://self-issued.me/v2.
          ...(libraryAud ? {} : { additionalJwtPayload: { aud: 'https://self-issued.me/v2' } }),
        },
      });
      const session = {
        id,
        encKey,
        request: created.authorizationRequestPayload,
        requestObject: created.jar.authorizationRequestJwt ?? created.jar.requestObjectJwt,
        requestUri: created.authorizationRequest,
      };
      sessions.set(id, session);
      return session;
    },
    sealJwk,
    stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); fs.rmSync(pki.dir, { recursive: true, force: true }); }),
  };
  return services;
}

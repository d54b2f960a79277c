// The cryptographic and transport callbacks the @openid4vc/* libraries ask their caller for
// (they ship no crypto of their own): JWS and JWE through `jose` (panva) over node's WebCrypto,
// SHA-256 and randomness from node:crypto, and a `fetch` over node:https that trusts only the
// CA it is given (the node's demo CA or the throw-away CA of the npm side), never the system store.
import crypto from 'node:crypto';
import https from 'node:https';
import * as jose from 'jose';
import { clientAuthenticationAnonymous } from '@openid4vc/oauth2';

/** A fetch over node:https trusting only `ca` (PEM); enough for the libraries' requests. */
export function fetchWithCa(ca) {
  return async function caFetch(input, init = {}) {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const headers = new Headers(init.headers ?? {});
    let body = init.body;
    if (body instanceof URLSearchParams) {
      if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded');
      body = body.toString();
    }
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        { method: init.method ?? 'GET', headers: Object.fromEntries(headers), ca },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const out = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
            }
            const nullBody = [101, 204, 205, 304].includes(res.statusCode);
            const response = new Response(nullBody ? null : Buffer.concat(chunks), {
              status: res.statusCode,
              headers: out,
            });
            Object.defineProperty(response, 'url', { value: url.toString() });
            resolve(response);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (body !== undefined && body !== null) req.write(body);
      req.end();
    });
  };
}

/** A P-256 key pair from node's WebCrypto, with its public JWK. */
export async function newP256() {
  const { privateKey, publicKey } = await crypto.webcrypto.subtle.generateKey(
    { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['sign', 'verify'],
  );
  const jwk = await jose.exportJWK(publicKey);
  return { privateKey, publicKey, publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } };
}

/** An ECDH P-256 key pair for JWE (ECDH-ES). */
export async function newEcdhP256() {
  const { privateKey, publicKey } = await jose.generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
  const jwk = await jose.exportJWK(publicKey);
  return { privateKey, publicKey, publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } };
}

const thumb = (jwk) => jose.calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y });

/** The public key of an `x5c` leaf (standard base64 DER) as a KeyObject. */
export function x5cLeafKey(x5c) {
  return new crypto.X509Certificate(Buffer.from(x5c[0], 'base64')).publicKey;
}

/**
 * Callbacks for the libraries. `keys` holds the private keys this side may sign or decrypt with:
 * signing keys found by the thumbprint of the signer's public JWK, or `x5cKey` for `x5c` signers;
 * decryption keys by the thumbprint of the JWK the library names.
 */
export function callbacks({ ca, signing = [], decryption = [], x5cKey } = {}) {
  const byThumb = async (list, jwk) => {
    const t = await thumb(jwk);
    for (const k of list) if ((await thumb(k.publicJwk)) === t) return k;
    throw new Error(`no private key for the JWK ${t}`);
  };
  return {
    fetch: ca ? fetchWithCa(ca) : undefined,
    hash: (data, alg) => {
      const name = { 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' }[alg];
      if (!name) throw new Error(`hash ${alg} not offered`);
      return new Uint8Array(crypto.createHash(name).update(data).digest());
    },
    generateRandom: (n) => new Uint8Array(crypto.randomBytes(n)),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: async (signer, { header, payload }) => {
      let key;
      let signerJwk;
      if (signer.method === 'jwk') {
        key = (await byThumb(signing, signer.publicJwk)).privateKey;
        signerJwk = signer.publicJwk;
      } else if (signer.method === 'x5c') {
        if (!x5cKey) throw new Error('no x5c key');
        key = x5cKey.privateKey;
        signerJwk = x5cKey.publicJwk;
      } else {
        throw new Error(`signer method ${signer.method} not offered`);
      }
      const jwt = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader(header)
        .sign(key);
      return { jwt, signerJwk };
    },
    verifyJwt: async (signer, { compact }) => {
      let key;
      let signerJwk;
      if (signer.method === 'jwk') {
        key = await jose.importJWK(signer.publicJwk, signer.alg);
        signerJwk = signer.publicJwk;
      } else if (signer.method === 'x5c') {
        key = x5cLeafKey(signer.x5c);
        signerJwk = key.export({ format: 'jwk' });
      } else {
        return { verified: false };
      }
      try {
        await jose.compactVerify(compact, key, { algorithms: ['ES256'] });
        return { verified: true, signerJwk };
      } catch {
        return { verified: false, signerJwk };
      }
    },
    encryptJwe: async (encryptor, data) => {
      const header = { alg: 'ECDH-ES', enc: encryptor.enc };
      if (encryptor.kid) header.kid = encryptor.kid;
      if (encryptor.apu) header.apu = encryptor.apu;
      if (encryptor.apv) header.apv = encryptor.apv;
      const key = await jose.importJWK({ ...encryptor.publicJwk, alg: 'ECDH-ES' }, 'ECDH-ES');
      const enc = new jose.CompactEncrypt(new TextEncoder().encode(data)).setProtectedHeader(header);
      const kmp = {};
      if (encryptor.apu) kmp.apu = jose.base64url.decode(encryptor.apu);
      if (encryptor.apv) kmp.apv = jose.base64url.decode(encryptor.apv);
      if (encryptor.apu || encryptor.apv) enc.setKeyManagementParameters(kmp);
      return { jwe: await enc.encrypt(key), encryptionJwk: encryptor.publicJwk };
    },
    decryptJwe: async (jwe, options) => {
      try {
        const k = options?.jwk ? await byThumb(decryption, options.jwk) : decryption[0];
        const { plaintext } = await jose.compactDecrypt(jwe, k.privateKey, {
          keyManagementAlgorithms: ['ECDH-ES'],
          contentEncryptionAlgorithms: ['A128GCM', 'A256GCM'],
        });
        return { decrypted: true, decryptionJwk: k.publicJwk, payload: new TextDecoder().decode(plaintext) };
      } catch {
        return { decrypted: false };
      }
    },
  };
}

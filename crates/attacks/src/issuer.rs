//! OpenID4VCI attacks on the real issuer router (`kakehashi-http-issuer` `router`) in-process,
//! over an in-memory SQLite store: code reuse, transaction-code guessing, key proofs with a
//! wrong nonce or audience or replayed, DPoP proofs for another request or replayed, and
//! oversized or deeply nested bodies.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use kakehashi_core::UnixTime;
use kakehashi_crypto::SignatureAlgorithm;
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_crypto_aws_lc::sealed::KeyEncryptionKey;
use kakehashi_http_issuer::{
    Approval, IssuerConfig, IssuerIdentity, IssuerState, OfferOptions, Profile,
    create_offer_for_graduate, ensure_status_lists, load_or_create_issuer_key,
    load_or_create_offer_secret, router, upsert_graduate,
};
use kakehashi_oid4vci::dpop::{DpopClaims, create_dpop_proof};
use kakehashi_oid4vci::proof::{ProofClaims, ProofKeyReference, create_jwt_proof};
use kakehashi_storage_sqlite::SqliteStore;
use serde_json::{Value, json};

use crate::support::{Context as _, SetupError, http_outcome, send, status_and_code, text};
use crate::{Attack, Outcome, observed};

const ISSUER: &str = "https://issuer.test";
const NOW: UnixTime = UnixTime(1_790_000_000);
const TARGET: &str = "kakehashi-http-issuer `router`";

/// A self-signed seal certificate for the issuer key (the trust layer is not under test here).
fn self_signed(pkcs8: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let key = rcgen::KeyPair::try_from(pkcs8).map_err(|e| e.to_string())?;
    let params =
        rcgen::CertificateParams::new(vec!["issuer.test".to_owned()]).map_err(|e| e.to_string())?;
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    Ok(vec![cert.der().to_vec()])
}

struct Issuer {
    state: IssuerState<SqliteStore>,
    router: Router,
    dpop: SoftwareSigner,
    jti: std::cell::Cell<u32>,
}

impl Issuer {
    async fn new() -> Result<Self, SetupError> {
        let store = SqliteStore::open_in_memory().await.ctx("store")?;
        let kek = KeyEncryptionKey::from_bytes("kek-attacks", &[7u8; 32]).ctx("kek")?;
        let signer = load_or_create_issuer_key(&store, &kek, NOW, self_signed)
            .await
            .ctx("issuer key")?;
        let secret = load_or_create_offer_secret(&store, &kek, NOW)
            .await
            .ctx("offer secret")?;
        let identity = IssuerIdentity {
            credential_issuer: ISSUER.into(),
            awarding_body: kakehashi_http_issuer::demo::awarding_body(Profile::Eu),
            profile: Profile::Eu,
            signer,
        };
        let state = IssuerState::new(store, identity, IssuerConfig::default(), secret)
            .with_clock(Arc::new(|| NOW));
        ensure_status_lists(&state).await.ctx("status lists")?;
        Ok(Self {
            router: router(state.clone()),
            state,
            dpop: SoftwareSigner::generate(SignatureAlgorithm::Es256).ctx("dpop key")?,
            jti: std::cell::Cell::new(0),
        })
    }

    fn next_jti(&self) -> String {
        self.jti.set(self.jti.get() + 1);
        format!("attack-jti-{}", self.jti.get())
    }

    fn dpop(
        &self,
        method: &str,
        url: &str,
        token: Option<&str>,
        jti: &str,
    ) -> Result<String, SetupError> {
        create_dpop_proof(
            &self.dpop,
            &DpopClaims {
                method,
                url,
                iat: NOW,
                jti,
                nonce: None,
                access_token: token,
            },
            &kakehashi_crypto_aws_lc::provider(),
        )
        .ctx("dpop proof")
    }

    /// A graduate with an approved diploma and an on-screen offer: (pre-authorized code, tx_code).
    async fn offer(&self, graduate: &str) -> Result<(String, String), SetupError> {
        let diploma = serde_json::from_value(json!({
            "holder": {"family_name": {"en": "Janssens"}, "given_name": {"en": "Eva"}, "birth_date": "2000-01-15"},
            "awarding_body": kakehashi_http_issuer::demo::awarding_body(Profile::Eu),
            "qualification": {"title": {"en": "Master of Science in Engineering"}, "eqf_level": 7, "isced_field": "0714"},
            "award_date": "2026-06-30",
            "diploma_number": graduate,
        }))
        .ctx("diploma")?;
        upsert_graduate(
            &self.state.store,
            graduate,
            diploma,
            Some(Approval::Approved),
            NOW,
        )
        .await
        .ctx("graduate")?;
        let shown =
            create_offer_for_graduate(&self.state, graduate, &OfferOptions::on_screen(&self.state))
                .await
                .ctx("offer")?;
        let code = shown
            .offer
            .grants
            .as_ref()
            .and_then(|g| g.pre_authorized_code.as_ref())
            .map(|p| p.pre_authorized_code.clone())
            .ctx("pre-authorized code")?;
        Ok((code, shown.tx_code.ctx("tx_code")?))
    }

    async fn post_form(
        &self,
        path: &str,
        body: String,
        dpop: Option<String>,
    ) -> Result<(u16, Value), SetupError> {
        let mut b = Request::post(path).header("content-type", "application/x-www-form-urlencoded");
        if let Some(d) = dpop {
            b = b.header("DPoP", d);
        }
        let res = send(&self.router, b.body(Body::from(body)).ctx("request")?).await?;
        let status = res.status().as_u16();
        let body = text(res).await?;
        Ok((
            status,
            serde_json::from_str(&body).unwrap_or(Value::String(body)),
        ))
    }

    fn token_body(code: &str, tx: &str) -> String {
        kakehashi_oid4vci::form::encode(&[
            (
                "grant_type",
                kakehashi_oid4vci::offer::PRE_AUTHORIZED_CODE_GRANT,
            ),
            ("pre-authorized_code", code),
            ("tx_code", tx),
        ])
    }

    async fn token(&self, code: &str, tx: &str) -> Result<(u16, Value), SetupError> {
        let dpop = self.dpop("POST", &format!("{ISSUER}/token"), None, &self.next_jti())?;
        self.post_form("/token", Self::token_body(code, tx), Some(dpop))
            .await
    }

    async fn access_token(&self, graduate: &str) -> Result<String, SetupError> {
        let (code, tx) = self.offer(graduate).await?;
        let (status, v) = self.token(&code, &tx).await?;
        if status != 200 {
            return Err(SetupError(format!("token: {status} {v}")));
        }
        v["access_token"]
            .as_str()
            .map(str::to_owned)
            .ctx("access_token")
    }

    async fn nonce(&self) -> Result<String, SetupError> {
        let res = send(
            &self.router,
            Request::post("/nonce").body(Body::empty()).ctx("request")?,
        )
        .await?;
        let v: Value = serde_json::from_str(&text(res).await?).ctx("nonce JSON")?;
        v["c_nonce"].as_str().map(str::to_owned).ctx("c_nonce")
    }

    /// `POST /credential` with one key proof; returns `HTTP <status> <error>`.
    async fn credential(&self, token: &str, proof: &str) -> Result<String, SetupError> {
        let body = json!({
            "credential_configuration_id": Profile::Eu.configuration_id(),
            "proofs": {"jwt": [proof]},
        });
        let dpop = self.dpop(
            "POST",
            &format!("{ISSUER}/credential"),
            Some(token),
            &self.next_jti(),
        )?;
        let req = Request::post("/credential")
            .header("content-type", "application/json")
            .header("authorization", format!("DPoP {token}"))
            .header("DPoP", dpop)
            .body(Body::from(body.to_string()))
            .ctx("request")?;
        let res = send(&self.router, req).await?;
        let status = res.status().as_u16();
        let text = text(res).await?;
        Ok(match status {
            200 => "accepted".to_owned(),
            _ => status_and_code(status, &text),
        })
    }
}

fn key_proof(holder: &SoftwareSigner, audience: &str, nonce: &str) -> Result<String, SetupError> {
    create_jwt_proof(
        holder,
        &ProofClaims {
            credential_issuer: audience,
            client_id: None,
            nonce: Some(nonce),
            iat: NOW,
        },
        ProofKeyReference::Jwk,
    )
    .ctx("key proof")
}

fn outcome((status, v): (u16, Value)) -> String {
    match v.get("error").and_then(Value::as_str) {
        Some(code) => format!("HTTP {status} {code}"),
        None if status == 200 => "accepted".to_owned(),
        None => format!("HTTP {status}"),
    }
}

pub async fn run() -> Result<Vec<Outcome>, SetupError> {
    let h = Issuer::new().await?;
    let holder = SoftwareSigner::generate(SignatureAlgorithm::Es256).ctx("holder key")?;
    let mut out = Vec::new();

    // Pre-authorized code used twice.
    let (code, tx) = h.offer("grad-reuse").await?;
    let first = h.token(&code, &tx).await?;
    if first.0 != 200 {
        return Err(SetupError(format!("first token request: {first:?}")));
    }
    out.push(observed(
        Attack {
            name: "Pre-authorized code reused",
            threat: "OpenID4VCI Token Endpoint, RFC 6749 §10.5 (codes single use)",
            target: TARGET,
            sent: "second `POST /token` with a code (and tx_code) already exchanged",
            expected: "HTTP 400 invalid_grant",
        },
        outcome(h.token(&code, &tx).await?),
    ));

    // Transaction code guessed until the attempts run out; then the right one is refused too.
    let (code, tx) = h.offer("grad-guess").await?;
    for _ in 0..5 {
        h.token(&code, "000000").await?;
    }
    out.push(observed(
        Attack {
            name: "tx_code guessed beyond the attempt limit",
            threat: "OpenID4VCI pre-authorized code flow (tx_code guessing)",
            target: TARGET,
            sent: "five wrong `tx_code`s, then the right one",
            expected: "HTTP 400 invalid_grant",
        },
        outcome(h.token(&code, &tx).await?),
    ));

    // Key proofs.
    let token = h.access_token("grad-proofs").await?;
    out.push(observed(
        Attack {
            name: "Key proof with a wrong nonce",
            threat: "OpenID4VCI Nonce Endpoint (`c_nonce` freshness)",
            target: TARGET,
            sent: "`proofs.jwt` signed over nonce `made-up-nonce`",
            expected: "HTTP 400 invalid_nonce",
        },
        h.credential(&token, &key_proof(&holder, ISSUER, "made-up-nonce")?)
            .await?,
    ));
    let nonce = h.nonce().await?;
    out.push(observed(
        Attack {
            name: "Key proof for another issuer",
            threat: "OpenID4VCI JWT proof type (`aud` = Credential Issuer)",
            target: TARGET,
            sent: "`proofs.jwt` with `aud` https://evil.test and a fresh nonce",
            expected: "HTTP 400 invalid_proof",
        },
        h.credential(&token, &key_proof(&holder, "https://evil.test", &nonce)?)
            .await?,
    ));
    let token = h.access_token("grad-replay").await?;
    let nonce = h.nonce().await?;
    let proof = key_proof(&holder, ISSUER, &nonce)?;
    let first = h.credential(&token, &proof).await?;
    if first != "accepted" {
        return Err(SetupError(format!("first credential request: {first}")));
    }
    out.push(observed(
        Attack {
            name: "Key proof replayed",
            threat: "OpenID4VCI Nonce Endpoint (`c_nonce` single use)",
            target: TARGET,
            sent: "the same `proofs.jwt` (same nonce) in a second credential request",
            expected: "HTTP 400 invalid_nonce",
        },
        h.credential(&token, &proof).await?,
    ));

    // DPoP.
    let (code, tx) = h.offer("grad-dpop").await?;
    let body = Issuer::token_body(&code, &tx);
    for (name, method, url, sent) in [
        (
            "DPoP proof for another URL",
            "POST",
            "https://evil.test/token",
            "`DPoP` with `htu` https://evil.test/token on `POST /token`",
        ),
        (
            "DPoP proof for another method",
            "GET",
            "https://issuer.test/token",
            "`DPoP` with `htm` GET on `POST /token`",
        ),
    ] {
        let proof = h.dpop(method, url, None, &h.next_jti())?;
        out.push(observed(
            Attack {
                name,
                threat: "RFC 9449 §4.3 (`htm` / `htu`)",
                target: TARGET,
                sent,
                expected: "HTTP 400 invalid_dpop_proof",
            },
            outcome(h.post_form("/token", body.clone(), Some(proof)).await?),
        ));
    }
    let replayed = h.dpop("POST", &format!("{ISSUER}/token"), None, "attack-fixed-jti")?;
    let (code2, tx2) = h.offer("grad-dpop-2").await?;
    let first = h
        .post_form(
            "/token",
            Issuer::token_body(&code2, &tx2),
            Some(replayed.clone()),
        )
        .await?;
    if first.0 != 200 {
        return Err(SetupError(format!(
            "token with the DPoP proof to replay: {first:?}"
        )));
    }
    out.push(observed(
        Attack {
            name: "DPoP proof replayed",
            threat: "RFC 9449 §11.1 (`jti` replay)",
            target: TARGET,
            sent: "a DPoP proof already used on `POST /token`, sent again with another code",
            expected: "HTTP 400 invalid_dpop_proof",
        },
        outcome(h.post_form("/token", body.clone(), Some(replayed)).await?),
    ));

    // Oversized and deeply nested bodies.
    let big = format!("grant_type={}", "a".repeat(10 << 20));
    let req = Request::post("/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(big))
        .ctx("request")?;
    out.push(observed(
        Attack {
            name: "10 MB body",
            threat: "resource exhaustion (body size cap)",
            target: "kakehashi-http-issuer `router` `POST /token`",
            sent: "10 MiB form body",
            expected: "HTTP 413",
        },
        http_outcome(send(&h.router, req).await?).await?,
    ));
    let token = h.access_token("grad-deep").await?;
    let deep = format!(
        "{{\"credential_configuration_id\":{}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let dpop = h.dpop(
        "POST",
        &format!("{ISSUER}/credential"),
        Some(&token),
        &h.next_jti(),
    )?;
    let req = Request::post("/credential")
        .header("content-type", "application/json")
        .header("authorization", format!("DPoP {token}"))
        .header("DPoP", dpop)
        .body(Body::from(deep))
        .ctx("request")?;
    out.push(observed(
        Attack {
            name: "Credential request nested 10,000 arrays deep",
            threat: "stack exhaustion in the JSON body parser",
            target: "kakehashi-http-issuer `router` `POST /credential`",
            sent: "`{\"credential_configuration_id\": [[[…]]]}`, 10,000 levels",
            expected: "HTTP 400 invalid_credential_request",
        },
        http_outcome(send(&h.router, req).await?).await?,
    ));
    Ok(out)
}

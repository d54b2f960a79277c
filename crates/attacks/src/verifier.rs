//! OpenID4VP attacks on the real verifier router (`kakehashi-http-verifier` `router`)
//! in-process over SQLite, with a loopback server playing the issuer's status list (the
//! verifier fetches it over HTTP as in production): a replayed response, a response carrying
//! another session's `state`, a tampered request object, an oversized response body.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use kakehashi_crypto::Signer as _;
use kakehashi_crypto_aws_lc::sealed::KeyEncryptionKey;
use kakehashi_http_verifier::{
    AccessCertificate, VerifierConfig, VerifierState, parse_templates, router,
};
use kakehashi_oid4vp::request::{
    RequestUri, STATIC_AUDIENCE, WalletRequestContext, verify_request_object,
};
use kakehashi_oid4vp::response::AuthorizationResponse;
use kakehashi_oid4vp::wallet::{PendingPresentation, WalletResponse};
use kakehashi_storage_sqlite::SqliteStore;
use kakehashi_verify::testing::{self, EU_UNIVERSITY, NOW};
use serde_json::{Map, Value, json};

use crate::support::{Context as _, SetupError, http_outcome, send, text};
use crate::{Attack, Outcome, observed, refused};

const PUBLIC: &str = "https://verifier.test";
const TARGET: &str = "kakehashi-http-verifier `router`";

struct Verifier {
    router: Router,
    status_base: String,
    eu_seal: kakehashi_crypto_aws_lc::SoftwareSigner,
    side: tokio::task::JoinHandle<()>,
}

impl Drop for Verifier {
    fn drop(&mut self) {
        self.side.abort();
    }
}

impl Verifier {
    async fn new() -> Result<Self, SetupError> {
        let eu_seal = testing::eu_seal();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .ctx("bind")?;
        let status_base = format!("http://{}", listener.local_addr().ctx("address")?);
        let token = Arc::new(testing::status_token(
            &eu_seal,
            &format!("{status_base}/status/1"),
            &[],
            NOW.saturating_add(-60),
        ));
        let side = Router::new().route(
            "/status/1",
            get(move || {
                let t = token.clone();
                async move { t.as_str().to_owned() }
            }),
        );
        let side = tokio::spawn(async move {
            let _ = axum::serve(listener, side).await;
        });
        let store = SqliteStore::open_in_memory().await.ctx("store")?;
        let (kek, _) = KeyEncryptionKey::generate("kek-attacks").ctx("kek")?;
        let mut config = VerifierConfig::new(PUBLIC);
        config.eu_university_register = vec![EU_UNIVERSITY.to_owned()];
        config.fetch.dangerous_allow_http_loopback = true;
        let policy = testing::eu_policy();
        let lists = testing::lists(&policy, NOW);
        let state = VerifierState::new(
            store,
            config,
            parse_templates(kakehashi_http_verifier::DEFAULT_TEMPLATES).ctx("templates")?,
            AccessCertificate::generate_self_signed("verifier.test").ctx("access certificate")?,
            kek,
            policy,
            &[7u8; 32],
        )
        .ctx("verifier state")?
        .with_clock(Arc::new(|| NOW));
        state.set_trusted_lists(lists, NOW);
        Ok(Self {
            router: router(state),
            status_base,
            eu_seal,
            side,
        })
    }

    fn local(url: &str) -> &str {
        url.strip_prefix(PUBLIC).unwrap_or(url)
    }

    async fn create_session(&self) -> Result<Value, SetupError> {
        let req = Request::post("/verifier/sessions")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"template": "masters-admission", "response_mode": "direct_post"})
                    .to_string(),
            ))
            .ctx("request")?;
        let res = send(&self.router, req).await?;
        serde_json::from_str(&text(res).await?).ctx("session JSON")
    }

    /// The signed request object of `session`, as served to the wallet.
    async fn request_object(&self, session: &Value) -> Result<(RequestUri, String), SetupError> {
        let uri = RequestUri::parse(session["request_uri"].as_str().ctx("request_uri")?)
            .ctx("request URI")?;
        let req = Request::get(Self::local(&uri.request_uri))
            .body(Body::empty())
            .ctx("request")?;
        let jwt = text(send(&self.router, req).await?).await?;
        Ok((uri, jwt))
    }

    async fn pending(&self, session: &Value) -> Result<PendingPresentation, SetupError> {
        let (uri, jwt) = self.request_object(session).await?;
        let verified = verify_request_object(
            &jwt,
            &WalletRequestContext {
                outer_client_id: Some(&uri.client_id),
                wallet_nonce: None,
                accepted_audiences: &[STATIC_AUDIENCE],
                now: NOW,
            },
            &kakehashi_crypto_aws_lc::provider(),
        )
        .ctx("request object")?;
        Ok(PendingPresentation::new(verified))
    }

    fn vp_token(&self, pending: &PendingPresentation) -> Map<String, Value> {
        let holder = testing::holder();
        let sd = testing::issue_eu(
            &self.eu_seal,
            &testing::eu_diploma(),
            holder.public_jwk(),
            &format!("{}/status/1", self.status_base),
            7,
            NOW.saturating_add(-86_400),
        );
        let (nonce, client_id) = pending.binding();
        let vp = testing::present_eu(
            &sd,
            &holder,
            &["/family_name", "/given_name"],
            client_id,
            nonce,
            NOW,
        );
        let mut m = Map::new();
        m.insert("eu_diploma".into(), json!([vp]));
        m
    }

    async fn post(&self, response_uri: &str, body: String) -> Result<String, SetupError> {
        let req = Request::post(Self::local(response_uri))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .ctx("request")?;
        http_outcome(send(&self.router, req).await?).await
    }
}

pub async fn run() -> Result<Vec<Outcome>, SetupError> {
    let v = Verifier::new().await?;
    let mut out = Vec::new();

    // The same presentation posted twice.
    let session = v.create_session().await?;
    let pending = v.pending(&session).await?;
    let token = v.vp_token(&pending);
    let WalletResponse::Form { response_uri, body } = pending.respond(token).ctx("respond")? else {
        return Err(SetupError("direct_post expected".into()));
    };
    let first = v.post(&response_uri, body.clone()).await?;
    if first != "HTTP 200" {
        return Err(SetupError(format!("honest response: {first}")));
    }
    out.push(observed(
        Attack {
            name: "Presentation replayed to the verifier",
            threat: "OpenID4VP replay (a response accepted once per `state`)",
            target: TARGET,
            sent: "the same `direct_post` body posted a second time",
            expected: "HTTP 400 invalid_request",
        },
        v.post(&response_uri, body).await?,
    ));

    // A response that carries another session's state.
    let a = v.create_session().await?;
    let b = v.create_session().await?;
    let pending_a = v.pending(&a).await?;
    let pending_b = v.pending(&b).await?;
    let b_state = pending_b
        .request()
        .request()
        .state
        .clone()
        .ctx("state of B")?;
    let response_uri_a = pending_a.request().request().response_uri.clone();
    let wrong =
        AuthorizationResponse::new(v.vp_token(&pending_a), Some(b_state)).ctx("response")?;
    out.push(observed(
        Attack {
            name: "Response for another session's state",
            threat: "OpenID4VP `state` (session binding)",
            target: TARGET,
            sent: "session A's presentation posted to A's `response_uri` with session B's `state`",
            expected: "HTTP 400 invalid_request",
        },
        v.post(&response_uri_a, wrong.to_form()).await?,
    ));

    // A tampered request object: the wallet must refuse it.
    let c = v.create_session().await?;
    let (uri, jwt) = v.request_object(&c).await?;
    let tampered = tamper_payload(&jwt, |p| {
        p.insert("response_uri".into(), "https://evil.test/collect".into());
    })?;
    out.push(refused(
        Attack {
            name: "Request object tampered with",
            threat: "RFC 9101 signed request object (OpenID4VP `request_uri`)",
            target: "kakehashi-oid4vp `verify_request_object` (wallet side)",
            sent: "the verifier's signed request object with `response_uri` changed to https://evil.test/collect",
            expected: "Jose(Crypto(BadSignature))",
        },
        verify_request_object(
            &tampered,
            &WalletRequestContext {
                outer_client_id: Some(&uri.client_id),
                wallet_nonce: None,
                accepted_audiences: &[STATIC_AUDIENCE],
                now: NOW,
            },
            &kakehashi_crypto_aws_lc::provider(),
        ),
    ));

    // The request object asked for a second time (it is handed out once).
    let e = v.create_session().await?;
    let (uri, _) = v.request_object(&e).await?;
    let again = send(
        &v.router,
        Request::get(Verifier::local(&uri.request_uri))
            .body(Body::empty())
            .ctx("request")?,
    )
    .await?;
    out.push(observed(
        Attack {
            name: "Request object fetched a second time",
            threat: "OpenID4VP `request_uri` handed out once (no second wallet takes over)",
            target: TARGET,
            sent: "`GET request_uri` after the wallet already fetched it",
            expected: "HTTP 400 invalid_request",
        },
        http_outcome(again).await?,
    ));

    // A 10 MB response body.
    let d = v.create_session().await?;
    let pending_d = v.pending(&d).await?;
    let response_uri_d = pending_d.request().request().response_uri.clone();
    out.push(observed(
        Attack {
            name: "10 MB response body",
            threat: "resource exhaustion (body size cap)",
            target: "kakehashi-http-verifier `router` response endpoint",
            sent: "`vp_token=` followed by 10 MiB",
            expected: "HTTP 413",
        },
        v.post(
            &response_uri_d,
            format!("vp_token={}", "a".repeat(10 << 20)),
        )
        .await?,
    ));
    Ok(out)
}

/// Re-encodes the payload of a compact JWS after `edit`, keeping header and signature.
fn tamper_payload(
    jwt: &str,
    edit: impl FnOnce(&mut Map<String, Value>),
) -> Result<String, SetupError> {
    use kakehashi_core::b64;
    let mut parts = jwt.split('.');
    let (h, p, s) = (
        parts.next().ctx("header")?,
        parts.next().ctx("payload")?,
        parts.next().ctx("signature")?,
    );
    let mut payload: Map<String, Value> =
        serde_json::from_slice(&b64::decode(p).ctx("payload b64")?).ctx("payload JSON")?;
    edit(&mut payload);
    Ok(format!(
        "{h}.{}.{s}",
        b64::encode(Value::Object(payload).to_string().as_bytes())
    ))
}

//! The endpoints: load the session from the store, rebuild the pure OpenID4VP state, apply the
//! transition, save. Nothing about a flow is kept in memory between requests.

use std::sync::Mutex;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kakehashi_academic::report::{Lang, RecognitionReport};
use kakehashi_core::UnixTime;
use kakehashi_crypto_aws_lc::jwe::{self, DecryptionKey};
use kakehashi_crypto_aws_lc::sealed::SEAL_ALGORITHM;
use kakehashi_oid4vp::dcql::CredentialFormat;
use kakehashi_oid4vp::request::{
    ClientMetadata, JwkSet, OPENID4VP_SCHEME, RequestUriPost, ResponseMode,
};
use kakehashi_oid4vp::verifier::{
    Created, HolderBinding, NewSession, PresentationContext, PresentationVerifier,
    ResponseDecryptor, VerificationOutcome, VerifiedPresentation,
};
use kakehashi_oid4vp::{DcqlQuery, Oid4vpError};
use kakehashi_storage::{EncryptedKey, SessionStatus, Store, VerifierSession};
use kakehashi_verify::{Fetched, Presented, Rejection, Verdict, VerifierContext};
use serde_json::{Map, Value, json};

use crate::state::{CachedStatus, RequestTemplate, VerifierState, random_token};
use crate::{VerifierError, webhook};

/// Encryption methods offered for `direct_post.jwt`.
const ENC_VALUES: [&str; 2] = ["A128GCM", "A256GCM"];

/// What `POST /verifier/sessions` takes.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    /// Template id.
    pub template: String,
    /// `cross_device` (QR code, default) or `same_device` (redirect back with `response_code`).
    #[serde(default)]
    pub flow: Flow,
    /// `direct_post.jwt` (default) or `direct_post`.
    #[serde(default)]
    pub response_mode: Option<String>,
}

/// Where the wallet runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// Another device scans a QR code.
    #[default]
    CrossDevice,
    /// The wallet on this device; the browser is redirected back.
    SameDevice,
}

/// What the store's `dcql_query` column holds for a verifier session.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct SessionMeta {
    dcql_query: Value,
    template: String,
    flow: Flow,
}

pub(crate) async fn create_session<S: Store + Clone + 'static>(
    State(state): State<VerifierState<S>>,
    body: Bytes,
) -> Result<Response, VerifierError> {
    let request: CreateSession = serde_json::from_slice(&body)
        .map_err(|e| VerifierError::BadRequest(format!("session request: {e}")))?;
    let body = new_session(&state, request).await?;
    Ok((StatusCode::CREATED, no_store(Json(body))).into_response())
}

/// Creates a session in-process (the verifier portal pages call this instead of the HTTP
/// API): the same answer as `POST /verifier/sessions`, whose result token the caller must keep
/// away from shareable URLs.
pub async fn new_session<S: Store + Clone + 'static>(
    state: &VerifierState<S>,
    request: CreateSession,
) -> Result<Value, VerifierError> {
    let state = state.clone();
    let template = template(&state, &request.template)?.clone();
    let mode = match request.response_mode.as_deref() {
        None | Some("direct_post.jwt") => ResponseMode::DirectPostJwt,
        Some("direct_post") => ResponseMode::DirectPost,
        Some(other) => {
            return Err(VerifierError::BadRequest(format!(
                "unsupported response_mode {other:?}"
            )));
        }
    };
    let now = state.now();
    let id = format!("vps_{}", random_token(16)?);
    let request_uri = state.url(&format!("/verifier/request/{}", random_token(16)?));
    let encryption_key = match mode {
        ResponseMode::DirectPostJwt => Some(new_sealed_key(&state, &id)?),
        ResponseMode::DirectPost => None,
    };
    let record = VerifierSession {
        id: id.clone(),
        state: random_token(24)?,
        nonce: random_token(24)?,
        dcql_query: serde_json::to_value(SessionMeta {
            dcql_query: template.dcql_query.to_json(),
            template: template.id.clone(),
            flow: request.flow,
        })
        .map_err(VerifierError::internal)?,
        request_object: None,
        request_uri: Some(request_uri),
        response_mode: mode.as_str().to_owned(),
        encryption_key,
        status: SessionStatus::Created,
        response: None,
        result: None,
        webhook_url: state.config.webhook_url.clone(),
        created_at: now,
        expires_at: now.saturating_add(state.config.session_lifetime),
    };
    // Validates the whole request before storing anything.
    let created = rebuild(&state, &record)?;
    state.store.insert_verifier_session(&record).await?;
    let uri = created.request_uri(OPENID4VP_SCHEME);
    let qr = qrcode::QrCode::new(uri.as_bytes())
        .map_err(VerifierError::internal)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .build();
    let token = state.result_token(&id);
    let body = json!({
        "session_id": id,
        "result_token": token,
        "template": template.id,
        "title": {"en": template.title_en, "ja": template.title_ja},
        "flow": request.flow,
        "response_mode": mode.as_str(),
        "client_id": &*state.client_id,
        // Cross-device: render `qr_svg` (it encodes `request_uri`). Same-device: a link or
        // button to `same_device_link` opens the wallet on this device.
        "request_uri": uri,
        "same_device_link": uri,
        "qr_svg": qr,
        "status_url": state.url(&format!("/verifier/sessions/{id}?token={token}")),
        "report_pdf_url": state.url(&format!("/verifier/sessions/{id}/report.pdf?token={token}&lang=en")),
        "expires_at": record.expires_at.to_rfc3339(),
    });
    Ok(body)
}

fn template<'a, S>(
    state: &'a VerifierState<S>,
    id: &str,
) -> Result<&'a RequestTemplate, VerifierError> {
    state
        .templates
        .iter()
        .find(|t| t.id == id)
        .ok_or_else(|| VerifierError::UnknownTemplate(id.chars().take(64).collect()))
}

pub(crate) async fn list_templates<S: Store + Clone + 'static>(
    State(state): State<VerifierState<S>>,
) -> Response {
    let list: Vec<Value> = state
        .templates
        .iter()
        .map(|t| json!({"id": t.id, "title": {"en": t.title_en, "ja": t.title_ja}, "dcql_query": t.dcql_query.to_json()}))
        .collect();
    Json(json!({"templates": list})).into_response()
}

fn key_context(session_id: &str) -> String {
    format!("kakehashi verifier session response key {session_id}")
}

fn new_sealed_key<S>(
    state: &VerifierState<S>,
    session_id: &str,
) -> Result<EncryptedKey, VerifierError> {
    let key = DecryptionKey::generate().map_err(VerifierError::internal)?;
    let private = key.to_private_jwk().map_err(VerifierError::internal)?;
    let ciphertext = state
        .kek
        .seal(private.as_bytes(), &key_context(session_id))
        .map_err(VerifierError::internal)?;
    Ok(EncryptedKey {
        kek_id: state.kek.id().to_owned(),
        algorithm: SEAL_ALGORITHM.to_owned(),
        ciphertext,
    })
}

fn open_key<S>(
    state: &VerifierState<S>,
    record: &VerifierSession,
) -> Result<Option<DecryptionKey>, VerifierError> {
    let Some(sealed) = &record.encryption_key else {
        return Ok(None);
    };
    let plain = state
        .kek
        .open(
            &sealed.algorithm,
            &sealed.ciphertext,
            &key_context(&record.id),
        )
        .map_err(VerifierError::internal)?;
    let jwk: Value = serde_json::from_slice(&plain).map_err(VerifierError::internal)?;
    Ok(Some(
        DecryptionKey::from_private_jwk(&jwk).map_err(VerifierError::internal)?,
    ))
}

fn meta(record: &VerifierSession) -> Result<SessionMeta, VerifierError> {
    serde_json::from_value(record.dcql_query.clone())
        .map_err(|e| VerifierError::Internal(format!("session record: {e}")))
}

/// Rebuilds the pure `Created` state from the stored record (deterministic: everything random
/// was stored, the response code is derived).
fn rebuild<S>(
    state: &VerifierState<S>,
    record: &VerifierSession,
) -> Result<Created, VerifierError> {
    let key = open_key(state, record)?;
    rebuild_with(state, record, key.as_ref())
}

/// [`rebuild`] with the session's response key already opened (the response endpoint needs
/// it to decrypt too: one unsealing and one key import per response).
fn rebuild_with<S>(
    state: &VerifierState<S>,
    record: &VerifierSession,
    key: Option<&DecryptionKey>,
) -> Result<Created, VerifierError> {
    let meta = meta(record)?;
    let mode: ResponseMode = serde_json::from_value(Value::String(record.response_mode.clone()))
        .map_err(|e| VerifierError::Internal(format!("response mode: {e}")))?;
    let mut client_metadata = ClientMetadata {
        vp_formats_supported: serde_json::from_value(json!({
            "dc+sd-jwt": {"sd-jwt_alg_values": ["ES256", "ES384"], "kb-jwt_alg_values": ["ES256", "ES384"]},
            "jwt_vc_json": {"alg_values": ["ES256", "ES384"]}
        }))
        .map_err(VerifierError::internal)?,
        ..ClientMetadata::default()
    };
    if mode == ResponseMode::DirectPostJwt {
        let key =
            key.ok_or_else(|| VerifierError::internal("direct_post.jwt session without a key"))?;
        let mut jwk = key.public_jwk_json();
        if let Some(o) = jwk.as_object_mut() {
            o.insert("use".into(), "enc".into());
            o.insert("alg".into(), "ECDH-ES".into());
            o.entry("kid")
                .or_insert_with(|| Value::from("response-key"));
        }
        client_metadata.jwks = Some(JwkSet { keys: vec![jwk] });
        client_metadata.encrypted_response_enc_values_supported =
            Some(ENC_VALUES.iter().map(|s| (*s).to_owned()).collect());
    }
    let same_device = meta.flow == Flow::SameDevice;
    let params = NewSession {
        client_id: state.client_id.to_string(),
        response_uri: state.url(&format!("/verifier/response/{}", record.id)),
        request_uri: record.request_uri.clone().unwrap_or_default(),
        response_mode: mode,
        client_metadata,
        dcql_query: DcqlQuery::from_json(&meta.dcql_query)?,
        nonce: record.nonce.clone(),
        state: record.state.clone(),
        redirect_uri: same_device
            .then(|| state.url(&format!("/verifier/sessions/{}/done", record.id))),
        response_code: same_device.then(|| state.response_code(&record.id)),
        lifetime_seconds: record
            .expires_at
            .seconds()
            .saturating_sub(record.created_at.seconds()),
    };
    Ok(Created::new(params, record.created_at)?)
}

/// `GET|POST /verifier/request/{rid}`: the signed request object, once.
pub(crate) async fn request_object<S: Store + Clone + 'static>(
    State(state): State<VerifierState<S>>,
    Path(rid): Path<String>,
    method: axum::http::Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, VerifierError> {
    let post = if method == axum::http::Method::POST {
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form && !body.is_empty() {
            return Err(VerifierError::BadRequest(
                "request_uri POST must be application/x-www-form-urlencoded".into(),
            ));
        }
        let text = std::str::from_utf8(&body)
            .map_err(|_| VerifierError::BadRequest("body is not UTF-8".into()))?;
        Some(RequestUriPost::from_form(text)?)
    } else {
        None
    };
    let now = state.now();
    let request_uri = state.url(&format!("/verifier/request/{rid}"));
    let record = state.store.fetch_request_object(&request_uri, now).await?;
    let created = rebuild(&state, &record)?;
    let (_, jwt) = created.fetch_request(post.as_ref(), state.access.signer.as_ref(), now)?;
    let mut response = jwt.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/oauth-authz-req+jwt"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

struct Decryptor(Option<DecryptionKey>);

impl ResponseDecryptor for Decryptor {
    fn decrypt(&self, compact_jwe: &str) -> Result<Vec<u8>, String> {
        let key = self
            .0
            .as_ref()
            .ok_or_else(|| "no response encryption key for this session".to_owned())?;
        jwe::decrypt(compact_jwe, key)
            .map(|d| d.plaintext.to_vec())
            .map_err(|e| e.to_string())
    }
}

/// The pipeline behind the state machine's verifier seam: runs every check with the fetched
/// status lists and keeps each verdict or rejection for the result.
struct Pipeline<'a> {
    ctx: VerifierContext<'a>,
    fetched: &'a Fetched,
    outcomes: Mutex<Vec<(String, Result<Verdict, Rejection>)>>,
}

impl PresentationVerifier for Pipeline<'_> {
    fn verify(
        &self,
        format: &CredentialFormat,
        presentation: &Value,
        context: &PresentationContext<'_>,
    ) -> Result<VerifiedPresentation, String> {
        let text = presentation
            .as_str()
            .ok_or_else(|| "presentation is not a string".to_owned())?;
        let outcome = kakehashi_verify::verify_presentation(
            Presented {
                format: format.as_str(),
                presentation: text,
            },
            self.fetched,
            &self.ctx,
        );
        let answer = match &outcome {
            Ok(verdict) => {
                let claims = Value::Object(verdict.disclosed_claims().clone());
                Ok(VerifiedPresentation {
                    vct: claims.get("vct").and_then(Value::as_str).map(str::to_owned),
                    types: claims
                        .get("type")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default(),
                    claims,
                    authorities: Vec::new(),
                    holder_binding: Some(HolderBinding {
                        nonce: self.ctx.nonce.to_owned(),
                        audience: self.ctx.client_id.to_owned(),
                    }),
                })
            }
            Err(rejection) => Err(format!("{}: {}", rejection.error.check(), rejection.error)),
        };
        if let Ok(mut list) = self.outcomes.lock() {
            list.push((context.query.id.clone(), outcome));
        }
        answer
    }
}

/// `POST /verifier/response/{id}`: the wallet's `direct_post` / `direct_post.jwt`.
pub(crate) async fn response<S: Store + Clone + 'static>(
    State(state): State<VerifierState<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, VerifierError> {
    if body.len() > state.config.max_body_bytes {
        return Err(VerifierError::TooLarge);
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(VerifierError::BadRequest(
            "the response must be application/x-www-form-urlencoded".into(),
        ));
    }
    let body = std::str::from_utf8(&body)
        .map_err(|_| VerifierError::BadRequest("body is not UTF-8".into()))?
        .to_owned();
    let now = state.now();
    let record = state.store.verifier_session(&id).await?;
    if record.status != SessionStatus::RequestFetched {
        return Err(match record.status {
            SessionStatus::Created => Oid4vpError::WrongSessionState {
                expected: "request_fetched",
                found: "created",
            }
            .into(),
            _ => VerifierError::Storage(kakehashi_storage::StorageError::AlreadyUsed {
                what: "verifier response",
            }),
        });
    }
    let decryptor = Decryptor(open_key(&state, &record)?);
    let created = rebuild_with(&state, &record, decryptor.0.as_ref())?;
    // The store recorded that the request object was served: restore that state (no
    // re-signing) to reach the one that accepts a response.
    let fetched_state = created.restore_fetched(now)?;
    let (received, answer) = fetched_state.receive_response(&body, &decryptor, now)?;
    // Once only: a replayed or racing second response is refused here.
    state
        .store
        .accept_response(&record.state, &body, now)
        .await?;

    // The vp_token of the one decryption above (an error response has none).
    let fetched = match received.response() {
        Ok(r) => fetch_status_lists(&state, &r.vp_token, &received.data().request.dcql_query).await,
        Err(_) => Fetched::default(),
    };
    let snapshot = state.trust_snapshot();
    let meta = meta(&record)?;
    let template = template(&state, &meta.template).ok().cloned();
    let register = state.config.eu_university_register.clone();
    let ctx = VerifierContext {
        provider: &state.provider,
        nonce: &record.nonce,
        client_id: &state.client_id,
        now,
        max_presentation_age: state.config.max_presentation_age,
        skew_seconds: state.config.skew_seconds,
        trusted_lists: &snapshot.lists,
        list_grace_seconds: state.config.list_grace_seconds,
        policy: &state.policy,
        reader: state.config.reader,
        overrides: None,
        type_metadata: state.type_metadata.as_ref().as_ref(),
        eu_university_register: Some(&register),
        cache: Some(&state.verification_cache),
    };
    let pipeline = Pipeline {
        ctx,
        fetched: &fetched,
        outcomes: Mutex::new(Vec::new()),
    };
    let outcome = received.verify(&pipeline, now);
    let outcomes = pipeline.outcomes.into_inner().unwrap_or_default();
    let discard = template.map(|t| t.discard).unwrap_or_default();
    let (verified, result) = result_json(&id, &meta.template, &outcome, &outcomes, &discard, now);
    state
        .store
        .finish_verification(&id, verified, &result)
        .await?;
    if let Some(url) = record.webhook_url.clone() {
        webhook::spawn_delivery(&state, url, public_result(&id, verified, result));
    }
    let body = match answer.redirect_uri {
        Some(uri) => json!({"redirect_uri": uri}),
        None => json!({}),
    };
    Ok(no_store(Json(body)).into_response())
}

/// Fetches (or reuses) every status list the presentations name.
async fn fetch_status_lists<S>(
    state: &VerifierState<S>,
    vp_token: &Map<String, Value>,
    query: &DcqlQuery,
) -> Fetched {
    let mut urls = Vec::new();
    for (id, list) in vp_token {
        let Some(cq) = query.credential(id) else {
            continue;
        };
        for p in list.as_array().map(Vec::as_slice).unwrap_or_default() {
            let Some(text) = p.as_str() else { continue };
            if let Ok(needs) = kakehashi_verify::plan(Presented {
                format: cq.format.as_str(),
                presentation: text,
            }) {
                urls.extend(needs.status_urls);
            }
        }
    }
    urls.sort();
    urls.dedup();
    let mut fetched = Fetched::default();
    let now = state.now();
    for url in urls.into_iter().take(8) {
        let cached = state.status_cache.lock().ok().and_then(|c| {
            c.get(&url)
                .filter(|e| now < e.until)
                .map(|e| e.bytes.clone())
        });
        let bytes = match cached {
            Some(b) => Some(b),
            None => match state
                .fetcher
                .get(&url, "application/statuslist+jwt, application/vc+jwt")
                .await
            {
                Ok(f) => {
                    if let Ok(mut c) = state.status_cache.lock() {
                        c.insert(
                            url.clone(),
                            CachedStatus {
                                bytes: f.body.clone(),
                                until: now.saturating_add(state.config.status_list_ttl),
                            },
                        );
                    }
                    Some(f.body)
                }
                Err(e) => {
                    tracing::warn!(%url, error = %e, "status list not fetched");
                    None
                }
            },
        };
        if let Some(b) = bytes {
            fetched.status_lists.insert(url, b);
        }
    }
    fetched
}

fn discard_claims(mut claims: Value, pointers: &[String]) -> Value {
    for pointer in pointers {
        let Some((parent, last)) = pointer.rsplit_once('/') else {
            continue;
        };
        let target = if parent.is_empty() {
            Some(&mut claims)
        } else {
            claims.pointer_mut(parent)
        };
        if let Some(Value::Object(map)) = target {
            map.remove(last);
        }
    }
    claims
}

/// One section of a stored report, as `report_json` writes it.
#[derive(serde::Serialize, serde::Deserialize)]
struct Section {
    heading: String,
    lines: Vec<String>,
}

fn report_json(report: &RecognitionReport) -> Value {
    let sections = |lang| {
        report
            .sections(lang)
            .into_iter()
            .map(|(heading, lines)| Section { heading, lines })
            .collect::<Vec<_>>()
    };
    json!({
        "report": report,
        "sections": {"en": sections(Lang::En), "ja": sections(Lang::Ja)},
        "text": {"en": report.to_text(Lang::En), "ja": report.to_text(Lang::Ja)},
    })
}

/// The stored result: status, per-credential verdicts or rejections with their reports
/// (sections and text in both languages). No PDF: it is rendered from the sections when it
/// is downloaded, which keeps the stored row and every result read small.
fn result_json(
    id: &str,
    template: &str,
    outcome: &VerificationOutcome,
    outcomes: &[(String, Result<Verdict, Rejection>)],
    discard: &[String],
    now: UnixTime,
) -> (bool, Value) {
    let credentials: Vec<Value> = outcomes
        .iter()
        .map(|(query_id, o)| match o {
            Ok(v) => {
                let mut j = v.to_json();
                j["disclosed_claims"] = discard_claims(j["disclosed_claims"].take(), discard);
                j["query_id"] = query_id.clone().into();
                j["report"] = report_json(v.report());
                j
            }
            Err(r) => json!({
                "query_id": query_id,
                "verified": false,
                "check": r.error.check(),
                "error": r.error.to_string(),
                "report": r.report.as_deref().map(report_json),
            }),
        })
        .collect();
    let (verified, error) = match outcome {
        VerificationOutcome::Verified(_) => (true, Value::Null),
        VerificationOutcome::Failed(f) => (
            false,
            json!({"error": f.error, "error_description": f.reason}),
        ),
    };
    (
        verified,
        json!({
            "session_id": id,
            "template": template,
            "verified": verified,
            "verified_at": now.to_rfc3339(),
            "error": error,
            "credentials": credentials,
        }),
    )
}

/// The result for API answers and the webhook (without the PDFs a result stored by an older
/// version carries).
fn public_result(id: &str, verified: bool, mut out: Value) -> Value {
    if let Some(list) = out.get_mut("credentials").and_then(Value::as_array_mut) {
        for c in list {
            if let Some(r) = c.get_mut("report").and_then(Value::as_object_mut) {
                r.remove("pdf");
            }
        }
    }
    out["session_id"] = id.into();
    out["status"] = if verified { "verified" } else { "failed" }.into();
    out
}

/// How the result is opened: the portal's token, or (same-device) the response code.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct Access {
    token: Option<String>,
    response_code: Option<String>,
    lang: Option<String>,
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn authorised<S: Store + Clone + 'static>(
    state: &VerifierState<S>,
    id: &str,
    access: &Access,
    headers: &HeaderMap,
) -> Result<VerifierSession, VerifierError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let token_ok = bearer
        .or(access.token.as_deref())
        .is_some_and(|t| same(t, &state.result_token(id)));
    let record = state
        .store
        .verifier_session(id)
        .await
        .map_err(|e| match e {
            kakehashi_storage::StorageError::NotFound { .. } => VerifierError::Unauthorised,
            other => other.into(),
        })?;
    let code_ok = meta(&record).is_ok_and(|m| m.flow == Flow::SameDevice)
        && access
            .response_code
            .as_deref()
            .is_some_and(|c| same(c, &state.response_code(id)));
    if token_ok || code_ok {
        Ok(record)
    } else {
        Err(VerifierError::Unauthorised)
    }
}

/// `GET /verifier/sessions/{id}`: status, and the result once there is one.
pub(crate) async fn session_status<S: Store + Clone + 'static>(
    State(state): State<VerifierState<S>>,
    Path(id): Path<String>,
    Query(access): Query<Access>,
    headers: HeaderMap,
) -> Result<Response, VerifierError> {
    let record = authorised(&state, &id, &access, &headers).await?;
    let meta = meta(&record)?;
    let mut body = json!({
        "session_id": id,
        "status": record.status.as_str(),
        "template": meta.template,
        "expires_at": record.expires_at.to_rfc3339(),
    });
    if let Some(result) = record.result {
        let verified = record.status == SessionStatus::Verified;
        body["result"] = public_result(&id, verified, result);
    }
    Ok(no_store(Json(body)).into_response())
}

/// `GET /verifier/sessions/{id}/report.pdf?lang=en|ja`: the first credential's report.
pub(crate) async fn report_pdf<S: Store + Clone + 'static>(
    State(state): State<VerifierState<S>>,
    Path(id): Path<String>,
    Query(access): Query<Access>,
    headers: HeaderMap,
) -> Result<Response, VerifierError> {
    let record = authorised(&state, &id, &access, &headers).await?;
    let result = record.result.as_ref().ok_or(VerifierError::NotReady)?;
    let lang = Lang::from_tag(access.lang.as_deref().unwrap_or("en"));
    let bytes = render_report_pdf(&state, result, lang).await?;
    let lang = lang.code();
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"kakehashi-report-{lang}.pdf\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// The first credential's report sections in `lang`, as stored with a result.
fn stored_sections(result: &Value, lang: Lang) -> Option<Vec<(String, Vec<String>)>> {
    let code = lang.code();
    result["credentials"]
        .as_array()?
        .iter()
        .find_map(|c| {
            serde_json::from_value::<Vec<Section>>(c["report"]["sections"][code].clone()).ok()
        })
        .map(|list| list.into_iter().map(|s| (s.heading, s.lines)).collect())
}

/// Whether a stored result has a report to render as a PDF (a credential that could be
/// read; a PDF also needs the report font, see [`VerifierState::report_font`]).
pub fn has_report(result: &Value) -> bool {
    stored_sections(result, Lang::En).is_some()
}

/// The PDF of the first credential's report in a stored result, rendered now from its
/// sections (off the async workers: layout and font subsetting are CPU work).
pub async fn render_report_pdf<S>(
    state: &VerifierState<S>,
    result: &Value,
    lang: Lang,
) -> Result<Vec<u8>, VerifierError> {
    let sections = stored_sections(result, lang).ok_or(VerifierError::NoPdf(
        "no credential of this session could be read",
    ))?;
    let font = state
        .report_font()
        .await
        .ok_or(VerifierError::NoPdf("the report font is not available"))?;
    tokio::task::spawn_blocking(move || {
        kakehashi_report_pdf::render_sections(lang, &sections, &font)
    })
    .await
    .map_err(VerifierError::internal)?
    .map_err(VerifierError::internal)
}

/// `GET /verifier/sessions/{id}/done`: where the same-device flow returns the browser. The
/// `response_code` is in the URL fragment, which only the page's script (the portal's) reads.
pub(crate) async fn done<S: Store + Clone + 'static>(
    State(_state): State<VerifierState<S>>,
    Path(id): Path<String>,
) -> Response {
    let id: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(64)
        .collect();
    let mut response = axum::response::Html(format!(
        "<!doctype html><meta charset=utf-8><title>Kakehashi</title>\
         <p>Presentation received. Session <code>{id}</code>.</p>\
         <p>The result page reads <code>response_code</code> from this address's fragment and \
         calls <code>GET /verifier/sessions/{id}?response_code=…</code>.</p>"
    ))
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn no_store<T: IntoResponse>(inner: T) -> Response {
    let mut response = inner.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discard_removes_nested_claims() {
        let v = json!({"a": {"b": 1, "c": 2}, "d": 3});
        let out = discard_claims(v, &["/a/b".into(), "/d".into(), "/x/y".into()]);
        assert_eq!(out, json!({"a": {"c": 2}}));
    }

    #[test]
    fn public_result_drops_pdfs_an_older_version_stored() {
        let stored = json!({"credentials": [
            {"report": {"sections": {"en": []}, "pdf": {"en": "JVBERi0=", "ja": null}}},
            {"report": null}
        ]});
        let out = public_result("vps_1", false, stored);
        assert_eq!(
            out,
            json!({"credentials": [{"report": {"sections": {"en": []}}}, {"report": null}],
                   "session_id": "vps_1", "status": "failed"})
        );
    }

    #[test]
    fn stored_sections_are_read_per_language() {
        let result = json!({"credentials": [
            {"report": null},
            {"report": {"sections": {
                "en": [{"heading": "Trust", "lines": ["a", "b"]}],
                "ja": [{"heading": "信頼", "lines": []}]
            }}}
        ]});
        assert_eq!(
            stored_sections(&result, Lang::En),
            Some(vec![(
                "Trust".to_owned(),
                vec!["a".to_owned(), "b".to_owned()]
            )])
        );
        assert_eq!(
            stored_sections(&result, Lang::Ja),
            Some(vec![("信頼".to_owned(), vec![])])
        );
        assert!(has_report(&result));
        assert!(!has_report(&json!({"credentials": [{"report": null}]})));
        assert!(!has_report(&json!({"error": {}})));
    }

    #[test]
    fn templates_parse() {
        let t = crate::state::parse_templates(crate::state::DEFAULT_TEMPLATES).unwrap_or_default();
        assert_eq!(t.len(), 2);
        assert!(t.iter().all(|t| t.dcql_query.credential_sets().is_some()));
    }
}

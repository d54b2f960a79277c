//! The authorization server side: PAR, the authorization endpoint with the student sign-in,
//! and the token endpoint (pre-authorized code with `tx_code`, authorization code with PKCE),
//! all DPoP-bound.
//!
//! Student sign-in: the registrar hands the student a one-time sign-in code
//! ([`set_student_sign_in_code`]), stored as a SHA-256 on the graduate record; the form at
//! `/authorize` asks for the student id and that code, and the code is removed once used.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use kakehashi_core::b64;
use kakehashi_oid4vci::Oid4vciError;
use kakehashi_oid4vci::dpop::{DpopCheck, ValidatedDpop, validate_dpop_proof};
use kakehashi_oid4vci::form;
use kakehashi_oid4vci::oauth::{
    AuthorizationDetail, PushedAuthorizationRequest, PushedAuthorizationResponse, TokenRequest,
    TokenResponse, constant_time_eq, parse_authorization_details, verify_pkce_s256,
};
use kakehashi_storage::{
    AccessToken, AuthorizationCode, PushedAuthorizationRequest as StoredPar, StorageError, Store,
};
use serde_json::Value;

use crate::error::grant_error;
use crate::metadata::issuer_metadata;
use crate::offers::graduate_record;
use crate::state::sha256;
use crate::{IssuerError, IssuerState};

const LOGIN_PREFIX: &str = "urn:kakehashi:login:";
const LOGIN_LIFETIME: i64 = 10 * 60;

/// Checks the request's DPoP proof (RFC 9449 section 4.3) for `POST {path}` and remembers its
/// `jti` so a replay fails. At resource endpoints `access` is the presented token and the key
/// it is bound to.
pub(crate) async fn check_dpop<S: Store>(
    state: &IssuerState<S>,
    headers: &HeaderMap,
    path: &str,
    access: Option<(&str, Option<&str>)>,
) -> Result<ValidatedDpop, IssuerError> {
    let resource_server = access.is_some();
    let invalid = |reason: &str| Oid4vciError::InvalidDpopProof {
        reason: reason.into(),
        resource_server,
    };
    let mut values = headers.get_all("dpop").iter();
    let proof = match (values.next(), values.next()) {
        (Some(v), None) => v.to_str().map_err(|_| invalid("not ASCII"))?,
        (None, _) if resource_server => {
            return Err(Oid4vciError::InvalidToken(
                "DPoP-bound token presented without a DPoP proof".into(),
            )
            .into());
        }
        (None, _) => return Err(invalid("a DPoP proof is required").into()),
        (Some(_), Some(_)) => return Err(invalid("more than one DPoP header").into()),
    };
    let now = state.now();
    let url = state.url(path);
    let validate = |expected_nonce: Option<&str>| {
        validate_dpop_proof(
            proof,
            &DpopCheck {
                method: "POST",
                url: &url,
                now,
                max_age_seconds: state.config.proof_max_age,
                skew_seconds: state.config.clock_skew,
                expected_nonce,
                access_token: access.map(|(token, _)| token),
                bound_jkt: access.and_then(|(_, jkt)| jkt),
                allowed_algorithms: &["ES256"],
            },
            &state.provider,
        )
    };
    let validated = if state.config.require_dpop_nonce {
        let current = state.dpop_nonce(0);
        match validate(Some(&current)) {
            Err(Oid4vciError::UseDpopNonce { .. }) => match validate(Some(&state.dpop_nonce(1))) {
                Err(Oid4vciError::UseDpopNonce { resource_server }) => {
                    return Err(IssuerError::UseDpopNonce {
                        nonce: current,
                        resource_server,
                    });
                }
                other => other?,
            },
            other => other?,
        }
    } else {
        validate(None)?
    };
    let keep_until = validated
        .iat
        .saturating_add(state.config.proof_max_age + state.config.clock_skew);
    match state
        .store
        .remember_jti(
            &format!("dpop:{}", validated.jkt),
            &validated.jti,
            keep_until,
            now,
        )
        .await
    {
        Ok(()) => Ok(validated),
        Err(StorageError::AlreadyUsed { .. }) => Err(invalid("jti replayed").into()),
        Err(e) => Err(e.into()),
    }
}

fn body_text(body: &Bytes) -> Result<&str, IssuerError> {
    std::str::from_utf8(body)
        .map_err(|_| Oid4vciError::InvalidRequest("body is not UTF-8".into()).into())
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Adds the current `DPoP-Nonce` when the issuer requires nonces (RFC 9449 section 8.2: the
/// server may hand out the next nonce on any response).
pub(crate) fn with_dpop_nonce<S>(state: &IssuerState<S>, mut response: Response) -> Response {
    if state.config.require_dpop_nonce
        && let Ok(v) = HeaderValue::from_str(&state.dpop_nonce(0))
    {
        response.headers_mut().insert("dpop-nonce", v);
    }
    response
}

/// The `credential_identifiers` the issuer returns for a configuration of a subject.
pub(crate) fn credential_identifier(configuration_id: &str, subject: &str) -> String {
    let digest = b64::encode(sha256(subject.as_bytes()));
    format!("{configuration_id}:{}", &digest[..16])
}

/// What an access token grants, as kept in [`AccessToken::authorization_details`].
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredGrant {
    /// The granted details (with `credential_identifiers` in the authorization code flow).
    pub authorization_details: Vec<AuthorizationDetail>,
    /// The client the token was issued to; `None` for anonymous pre-authorized access (key
    /// proofs must then omit `iss`).
    pub client_id: Option<String>,
}

/// `POST /token`.
pub(crate) async fn token<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, IssuerError> {
    let dpop = check_dpop(&state, &headers, "/token", None).await?;
    let request = TokenRequest::from_form(body_text(&body)?)?;
    let now = state.now();
    let metadata = issuer_metadata(&state)?;
    let (subject, offer_id, ids, with_identifiers, client) = match request {
        TokenRequest::PreAuthorizedCode {
            pre_authorized_code,
            tx_code,
            authorization_details,
            client_id,
        } => {
            let offer = state
                .store
                .redeem_pre_authorized_code(
                    &sha256(pre_authorized_code.as_bytes()),
                    tx_code.as_deref().map(|t| sha256(t.as_bytes())).as_deref(),
                    now,
                )
                .await
                .map_err(|e| match e {
                    StorageError::WrongTxCode { .. } if tx_code.is_none() => {
                        Oid4vciError::InvalidRequest("tx_code is required".into()).into()
                    }
                    e => grant_error(e, "pre-authorized code"),
                })?;
            let ids = match authorization_details {
                None => offer.configuration_ids.clone(),
                Some(text) => {
                    let mut ids = Vec::new();
                    for d in parse_authorization_details(&text, &metadata)? {
                        if !offer
                            .configuration_ids
                            .contains(&d.credential_configuration_id)
                        {
                            return Err(Oid4vciError::InvalidAuthorizationDetails(
                                "configuration was not offered".into(),
                            )
                            .into());
                        }
                        ids.push(d.credential_configuration_id);
                    }
                    ids
                }
            };
            (offer.subject, Some(offer.id), ids, false, client_id)
        }
        TokenRequest::AuthorizationCode {
            code,
            code_verifier,
            redirect_uri,
            client_id,
            ..
        } => {
            let stored = state
                .store
                .redeem_authorization_code(&sha256(code.as_bytes()), now)
                .await
                .map_err(|e| grant_error(e, "authorization code"))?;
            // The code is burnt even when the checks below fail (RFC 6749 section 4.1.2).
            verify_pkce_s256(&state.provider, &code_verifier, &stored.pkce_challenge)?;
            if stored.redirect_uri.as_deref() != Some(redirect_uri.as_str()) {
                return Err(Oid4vciError::InvalidGrant("redirect_uri mismatch".into()).into());
            }
            if client_id.as_deref().is_some_and(|c| c != stored.client_id) {
                return Err(Oid4vciError::InvalidGrant("client_id mismatch".into()).into());
            }
            let ids: Vec<String> = serde_json::from_value(stored.authorization_details.clone())
                .map_err(|e| {
                    IssuerError::Storage(StorageError::corrupt("authorization details", e))
                })?;
            (stored.subject, None, ids, true, Some(stored.client_id))
        }
    };
    let details: Vec<AuthorizationDetail> = ids
        .iter()
        .map(|id| {
            let mut d = AuthorizationDetail::for_configuration(id.clone());
            if with_identifiers {
                d.credential_identifiers = Some(vec![credential_identifier(id, &subject)]);
            }
            d
        })
        .collect();
    let access_token = state.random_token(32);
    state
        .store
        .insert_access_token(&AccessToken {
            token_hash: sha256(access_token.as_bytes()),
            subject,
            offer_id,
            dpop_jkt: Some(dpop.jkt.clone()),
            authorization_details: serde_json::to_value(StoredGrant {
                authorization_details: details.clone(),
                client_id: client,
            })
            .map_err(IssuerError::internal)?,
            expires_at: now.saturating_add(state.config.token_lifetime),
        })
        .await?;
    let response = TokenResponse {
        access_token,
        token_type: "DPoP".into(),
        expires_in: u64::try_from(state.config.token_lifetime).unwrap_or(0),
        authorization_details: Some(details),
        refresh_token: None,
        other: Default::default(),
    };
    Ok(with_dpop_nonce(
        &state,
        no_store(axum::Json(response).into_response()),
    ))
}

/// `POST /par` (RFC 9126).
pub(crate) async fn par<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
    body: Bytes,
) -> Result<Response, IssuerError> {
    let metadata = issuer_metadata(&state)?;
    let request = PushedAuthorizationRequest::from_form(body_text(&body)?, &metadata)?;
    let request_uri = format!(
        "urn:ietf:params:oauth:request_uri:{}",
        state.random_token(24)
    );
    let now = state.now();
    state
        .store
        .insert_pushed_authorization_request(&StoredPar {
            request_uri: request_uri.clone(),
            client_id: request.client_id.clone(),
            parameters: serde_json::to_value(&request).map_err(IssuerError::internal)?,
            expires_at: now.saturating_add(state.config.par_lifetime),
            used_at: None,
        })
        .await?;
    let body = PushedAuthorizationResponse {
        request_uri,
        expires_in: u64::try_from(state.config.par_lifetime).unwrap_or(0),
    };
    Ok(no_store(
        (StatusCode::CREATED, axum::Json(body)).into_response(),
    ))
}

/// Consumes a one-time record (PAR or sign-in session) and reads its request.
async fn take_request<S: Store>(
    state: &IssuerState<S>,
    request_uri: &str,
) -> Result<PushedAuthorizationRequest, IssuerError> {
    let stored = match state
        .store
        .consume_pushed_authorization_request(request_uri, state.now())
        .await
    {
        Ok(s) => s,
        Err(
            StorageError::NotFound { .. }
            | StorageError::Expired { .. }
            | StorageError::AlreadyUsed { .. },
        ) => {
            return Err(Oid4vciError::InvalidRequest(
                "request_uri is unknown, expired or already used".into(),
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    serde_json::from_value(stored.parameters)
        .map_err(|e| IssuerError::Storage(StorageError::corrupt("pushed request", e)))
}

/// Stores a fresh one-time sign-in session carrying the pushed request.
async fn new_login<S: Store>(
    state: &IssuerState<S>,
    request: &PushedAuthorizationRequest,
) -> Result<String, IssuerError> {
    let login = format!("{LOGIN_PREFIX}{}", state.random_token(24));
    state
        .store
        .insert_pushed_authorization_request(&StoredPar {
            request_uri: login.clone(),
            client_id: request.client_id.clone(),
            parameters: serde_json::to_value(request).map_err(IssuerError::internal)?,
            expires_at: state.now().saturating_add(LOGIN_LIFETIME),
            used_at: None,
        })
        .await?;
    Ok(login)
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn sign_in_page(issuer_name: &str, login: &str, error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<p role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    let html = format!(
        "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>Sign in / サインイン</title></head>\
         <body><h1>{name}</h1><p>学位記を受け取るにはサインインしてください / Sign in to receive your diploma.</p>{error}\
         <form method=\"post\" action=\"authorize\">\
         <input type=\"hidden\" name=\"login\" value=\"{login}\">\
         <label>学籍番号 / Student id <input name=\"student_id\" autocomplete=\"username\" required></label>\
         <label>サインインコード / Sign-in code <input name=\"sign_in_code\" type=\"password\" autocomplete=\"one-time-code\" required></label>\
         <button type=\"submit\">サインイン / Sign in</button></form></body></html>",
        name = escape(issuer_name),
        login = escape(login),
    );
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; form-action 'self'; frame-ancestors 'none'"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// `GET /authorize?client_id=…&request_uri=…`: takes the pushed request and shows the sign-in.
pub(crate) async fn authorize_form<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
    RawQuery(query): RawQuery,
) -> Result<Response, IssuerError> {
    let pairs = form::decode(query.as_deref().unwrap_or_default())?;
    let client_id = form::get(&pairs, "client_id")
        .ok_or_else(|| Oid4vciError::InvalidRequest("missing client_id".into()))?;
    let request_uri = form::get(&pairs, "request_uri")
        .filter(|u| u.starts_with("urn:ietf:params:oauth:request_uri:"))
        .ok_or_else(|| {
            Oid4vciError::InvalidRequest("a pushed request_uri is required (PAR)".into())
        })?;
    let request = take_request(&state, request_uri).await?;
    if request.client_id != client_id {
        return Err(Oid4vciError::InvalidRequest("client_id mismatch".into()).into());
    }
    let login = new_login(&state, &request).await?;
    let name = issuer_name(&state);
    Ok(sign_in_page(&name, &login, None))
}

fn issuer_name<S>(state: &IssuerState<S>) -> String {
    let names = &state.identity.awarding_body.legal_name;
    names
        .best("ja")
        .or(names.best("en"))
        .unwrap_or_default()
        .to_owned()
}

/// `POST /authorize`: checks the student's sign-in, issues the code and redirects.
pub(crate) async fn authorize_submit<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
    body: Bytes,
) -> Result<Response, IssuerError> {
    let pairs = form::decode(body_text(&body)?)?;
    let login = form::get(&pairs, "login")
        .filter(|l| l.starts_with(LOGIN_PREFIX))
        .ok_or_else(|| Oid4vciError::InvalidRequest("missing sign-in session".into()))?;
    let request = take_request(&state, login).await?;
    let student_id = form::get(&pairs, "student_id").unwrap_or_default();
    let code = form::get(&pairs, "sign_in_code").unwrap_or_default();
    let now = state.now();
    let signed_in = match graduate_record(&state.store, student_id).await {
        Ok(mut record) => {
            let expected = record.sign_in_code_sha256.clone().unwrap_or_default();
            let presented = b64::encode(sha256(code.as_bytes()));
            if !expected.is_empty() && constant_time_eq(expected.as_bytes(), presented.as_bytes()) {
                record.sign_in_code_sha256 = None;
                state
                    .store
                    .upsert_graduate(&record.to_graduate(student_id, now))
                    .await?;
                true
            } else {
                false
            }
        }
        Err(IssuerError::NotFound(_)) => false,
        Err(e) => return Err(e),
    };
    if !signed_in {
        let login = new_login(&state, &request).await?;
        let mut response = sign_in_page(
            &issuer_name(&state),
            &login,
            Some("学籍番号またはコードが違います / Wrong student id or sign-in code"),
        );
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(response);
    }
    let metadata = issuer_metadata(&state)?;
    let ids = request.configuration_ids(&metadata);
    let code = state.random_token(32);
    state
        .store
        .insert_authorization_code(&AuthorizationCode {
            code_hash: sha256(code.as_bytes()),
            client_id: request.client_id.clone(),
            redirect_uri: Some(request.redirect_uri.clone()),
            pkce_challenge: request.code_challenge.clone(),
            pkce_method: "S256".into(),
            subject: student_id.to_owned(),
            authorization_details: Value::from(ids),
            expires_at: now.saturating_add(state.config.code_lifetime),
            used_at: None,
        })
        .await?;
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = request.state.as_deref() {
        params.push(("state", s));
    }
    let issuer = state.identity.credential_issuer.clone();
    params.push(("iss", issuer.as_str()));
    let separator = if request.redirect_uri.contains('?') {
        '&'
    } else {
        '?'
    };
    let location = format!(
        "{}{separator}{}",
        request.redirect_uri,
        form::encode(&params)
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(&location).map_err(IssuerError::internal)?,
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Registrar portal: creates a one-time sign-in code for a student (authorization code flow)
/// and returns it to hand over; only its SHA-256 is stored.
pub async fn set_student_sign_in_code<S: Store + Clone + 'static>(
    state: &IssuerState<S>,
    graduate_id: &str,
) -> Result<String, IssuerError> {
    let mut record = graduate_record(&state.store, graduate_id).await?;
    let code = state.random_token(16);
    record.sign_in_code_sha256 = Some(b64::encode(sha256(code.as_bytes())));
    state
        .store
        .upsert_graduate(&record.to_graduate(graduate_id, state.now()))
        .await?;
    Ok(code)
}

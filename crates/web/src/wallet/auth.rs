//! Student sign-in, sessions and CSRF: the registrar portal's mechanism (see
//! `crate::registrar`) over the holder account tables. A fresh session id at every sign-in (the
//! presented one is deleted), only its SHA-256 stored, a per-session CSRF token in every form,
//! and a double-submit cookie on the sign-in form itself.

use askama::Template;
use axum::extract::{Form, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kakehashi_storage::{HolderAccount, PortalSession, StorageError, Store};
use kakehashi_wallet::HolderId;
use serde::Deserialize;

use super::{BASE, WalletPages};
use crate::WebError;
use crate::i18n::Tr;
use crate::page::{Chrome, PageEnv, encode_segment, render};
use crate::registrar::{DECOY_HASH, set_cookie, verify_password};
use crate::security::{constant_time_eq, cookie, random_token, sha256};

fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-kakehashi-wallet"
    } else {
        "kakehashi-wallet"
    }
}

fn sign_in_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-kakehashi-wallet-sign-in"
    } else {
        "kakehashi-wallet-sign-in"
    }
}

/// A student with a live session. Extract it in any handler of the wallet pages.
#[derive(Debug, Clone)]
pub struct HolderSignedIn {
    pub account: HolderAccount,
    pub session: PortalSession,
    /// The wallet's holder id of this student.
    pub holder: HolderId,
}

impl HolderSignedIn {
    /// Checks the CSRF token sent with a POST.
    pub fn check_csrf(&self, presented: &str) -> Result<(), WebError> {
        if !presented.is_empty()
            && constant_time_eq(presented.as_bytes(), self.session.csrf_token.as_bytes())
        {
            Ok(())
        } else {
            Err(WebError::Csrf)
        }
    }
}

impl<S: Store + Clone + 'static> FromRequestParts<WalletPages<S>> for HolderSignedIn {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WalletPages<S>,
    ) -> Result<Self, Self::Rejection> {
        let config = &state.config;
        let back = parts
            .uri
            .path_and_query()
            .map_or(BASE, |p| p.as_str())
            .to_owned();
        let sign_in = WebError::SignInRequired {
            sign_in: format!("{BASE}/sign-in?next={}", encode_segment(&back)),
        };
        let Some(id) = cookie(&parts.headers, session_cookie_name(config.secure_cookies)) else {
            return Err(sign_in);
        };
        let session = match state
            .store
            .holder_session(&sha256(id.as_bytes()), config.clock.now())
            .await
        {
            Ok(s) => s,
            Err(StorageError::NotFound { .. } | StorageError::Expired { .. }) => {
                return Err(sign_in);
            }
            Err(e) => return Err(e.into()),
        };
        let account = match state.store.holder_account(&session.username).await {
            Ok(a) if !a.disabled => a,
            Ok(_) | Err(StorageError::NotFound { .. }) => return Err(sign_in),
            Err(e) => return Err(e.into()),
        };
        let holder = HolderId::new(account.holder_id.clone())
            .map_err(|e| WebError::Internal(format!("holder account {}: {e}", account.username)))?;
        Ok(HolderSignedIn {
            account,
            session,
            holder,
        })
    }
}

#[derive(Template)]
#[template(path = "wallet/sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    tr: Tr,
    csrf: String,
    next: String,
    username: String,
    notice: Option<&'static str>,
    failed: bool,
}

#[derive(Deserialize)]
pub struct SignInQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    signed_out: Option<String>,
}

/// Only local wallet paths are followed after sign-in (no open redirect).
pub(crate) fn safe_next(next: &str) -> String {
    // The query may carry an encoded request link; only the path decides where we go.
    let path = next.split('?').next().unwrap_or_default();
    let ok = path.starts_with("/wallet/")
        && !path.starts_with("/wallet/sign-")
        && !path.starts_with("/wallet/api/")
        && !path.contains("//")
        && !next.contains('\\');
    if ok {
        next.to_owned()
    } else {
        format!("{BASE}/credentials")
    }
}

/// `GET /wallet/sign-in`.
pub async fn sign_in_page<S: Store + Clone + 'static>(
    State(state): State<WalletPages<S>>,
    env: PageEnv,
    headers: HeaderMap,
    Query(q): Query<SignInQuery>,
) -> Response {
    let secure = state.config.secure_cookies;
    let existing = cookie(&headers, sign_in_cookie_name(secure)).map(str::to_owned);
    let csrf = existing.clone().unwrap_or_else(|| random_token(24));
    let notice = if q.signed_out.is_some() {
        Some("signin.signed_out")
    } else if !q.next.is_empty() {
        Some("wallet.signin.needed")
    } else {
        None
    };
    let page = SignInPage {
        chrome: Chrome::new(&env),
        tr: env.tr(),
        csrf: csrf.clone(),
        next: safe_next(&q.next),
        username: String::new(),
        notice,
        failed: false,
    };
    let mut response = render(&page);
    if existing.is_none() {
        set_cookie(
            response.headers_mut(),
            sign_in_cookie_name(secure),
            &csrf,
            3600,
            secure,
        );
    }
    response
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

/// `POST /wallet/sign-in`.
pub async fn sign_in<S: Store + Clone + 'static>(
    State(state): State<WalletPages<S>>,
    env: PageEnv,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, WebError> {
    let config = &state.config;
    let secure = config.secure_cookies;
    let expected = cookie(&headers, sign_in_cookie_name(secure)).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return Err(WebError::Csrf);
    }
    let username: String = form.username.trim().chars().take(128).collect();
    let account = match state.store.holder_account(&username).await {
        Ok(a) => Some(a),
        Err(StorageError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let hash = account
        .as_ref()
        .map_or_else(|| DECOY_HASH.clone(), |a| a.password_hash.clone());
    let password = form.password;
    let password_ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| WebError::Internal(format!("password check: {e}")))?;
    let Some(account) = account.filter(|a| password_ok && !a.disabled) else {
        tracing::info!("student sign-in refused");
        let page = SignInPage {
            chrome: Chrome::new(&env),
            tr: env.tr(),
            csrf: form.csrf,
            next: safe_next(&form.next),
            username,
            notice: None,
            failed: true,
        };
        let mut response = render(&page);
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(response);
    };
    // A session id presented before sign-in is never reused (session fixation).
    if let Some(old) = cookie(&headers, session_cookie_name(secure)) {
        state
            .store
            .delete_holder_session(&sha256(old.as_bytes()))
            .await?;
    }
    let now = config.clock.now();
    if let Err(e) = state.store.purge_expired_holder_sessions(now).await {
        tracing::warn!(error = %e, "could not purge expired wallet sessions");
    }
    let id = random_token(32);
    state
        .store
        .insert_holder_session(&PortalSession {
            id_hash: sha256(id.as_bytes()),
            username: account.username.clone(),
            csrf_token: random_token(32),
            created_at: now,
            expires_at: now.saturating_add(config.session_ttl_seconds),
        })
        .await?;
    tracing::info!(holder = %account.holder_id, "student signed in");
    let mut response = Redirect::to(&safe_next(&form.next)).into_response();
    let headers = response.headers_mut();
    set_cookie(
        headers,
        session_cookie_name(secure),
        &id,
        config.session_ttl_seconds,
        secure,
    );
    set_cookie(headers, sign_in_cookie_name(secure), "", 0, secure);
    Ok(response)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /wallet/sign-out`.
pub async fn sign_out<S: Store + Clone + 'static>(
    State(state): State<WalletPages<S>>,
    who: HolderSignedIn,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    who.check_csrf(&form.csrf)?;
    state
        .store
        .delete_holder_session(&who.session.id_hash)
        .await?;
    let secure = state.config.secure_cookies;
    let mut response = Redirect::to(&format!("{BASE}/sign-in?signed_out=1")).into_response();
    set_cookie(
        response.headers_mut(),
        session_cookie_name(secure),
        "",
        0,
        secure,
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_local_wallet_only() {
        assert_eq!(
            safe_next("/wallet/present?request_uri=x"),
            "/wallet/present?request_uri=x"
        );
        assert_eq!(safe_next("https://evil.example/"), "/wallet/credentials");
        assert_eq!(safe_next("/registrar/audit"), "/wallet/credentials");
        assert_eq!(safe_next("/wallet//evil"), "/wallet/credentials");
        assert_eq!(safe_next("/wallet/sign-out"), "/wallet/credentials");
    }
}

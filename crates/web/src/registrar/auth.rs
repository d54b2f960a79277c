//! Sign-in, sessions and CSRF.
//!
//! - Passwords: argon2id with the crate's default parameters, PHC strings in the store. An
//!   unknown user costs the same hash as a known one.
//! - Sessions: a 256-bit random id in an `HttpOnly`, `SameSite=Lax` cookie (`__Host-` prefixed
//!   and `Secure` unless the node is plain http on loopback); the store keeps only its SHA-256.
//!   A new id is made at every sign-in (no fixation) and the presented one is deleted.
//! - CSRF: a random token per session, in a hidden field of every form, compared in constant
//!   time on every POST. The sign-in form, which has no session yet, uses a double-submit
//!   cookie instead (so nobody can sign a victim in to the attacker's account).

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use askama::Template;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::header::{self, HeaderValue};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kakehashi_storage::{PortalSession, RegistrarUser, StorageError, Store};
use serde::Deserialize;

use super::{BASE, Registrar, University, audit};
use crate::WebError;
use crate::i18n::Tr;
use crate::page::{Chrome, PageEnv, render};
use crate::security::{constant_time_eq, cookie, random_token, sha256};

/// Hashes a password with argon2id (default parameters) into a PHC string.
pub fn hash_password(password: &str) -> Result<String, WebError> {
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| WebError::Internal(format!("password hashing: {e}")))
}

/// Checks `password` against a PHC string (false for malformed hashes).
pub(crate) fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash of a password nobody knows, verified when the user does not exist so that the
/// answer takes as long as for a real user.
pub(crate) static DECOY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&random_token(16)).unwrap_or_default());

fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-kakehashi-registrar"
    } else {
        "kakehashi-registrar"
    }
}

fn sign_in_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-kakehashi-sign-in"
    } else {
        "kakehashi-sign-in"
    }
}

/// Appends an `HttpOnly; SameSite=Lax; Path=/` cookie (`Secure` when `secure`).
pub(crate) fn set_cookie(
    headers: &mut HeaderMap,
    name: &str,
    value: &str,
    max_age: i64,
    secure: bool,
) {
    let secure = if secure { "; Secure" } else { "" };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    )) {
        headers.append(header::SET_COOKIE, v);
    }
}

/// A registrar with a live session. Extract it in any handler of the portal's state.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: RegistrarUser,
    pub session: PortalSession,
    pub university: University,
}

impl SignedIn {
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

impl<S: Store + Clone + 'static> FromRequestParts<Registrar<S>> for SignedIn {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Registrar<S>,
    ) -> Result<Self, Self::Rejection> {
        let config = &state.config;
        let back = parts
            .uri
            .path_and_query()
            .map_or(BASE, |p| p.as_str())
            .to_owned();
        let sign_in = WebError::SignInRequired {
            sign_in: format!("{BASE}/sign-in?next={}", crate::page::encode_segment(&back)),
        };
        let Some(id) = cookie(&parts.headers, session_cookie_name(config.secure_cookies)) else {
            return Err(sign_in);
        };
        let session = match state
            .store
            .portal_session(&sha256(id.as_bytes()), config.clock.now())
            .await
        {
            Ok(s) => s,
            Err(StorageError::NotFound { .. } | StorageError::Expired { .. }) => {
                return Err(sign_in);
            }
            Err(e) => return Err(e.into()),
        };
        let user = match state.store.registrar_user(&session.username).await {
            Ok(u) if !u.disabled => u,
            Ok(_) | Err(StorageError::NotFound { .. }) => return Err(sign_in),
            Err(e) => return Err(e.into()),
        };
        let Some(university) = config.university_of(&user.username).cloned() else {
            return Err(sign_in);
        };
        Ok(SignedIn {
            user,
            session,
            university,
        })
    }
}

#[derive(Template)]
#[template(path = "registrar/sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    tr: Tr,
    csrf: String,
    next: String,
    username: String,
    /// i18n key of a message above the form.
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

/// Only local portal paths are followed after sign-in (no open redirect).
fn safe_next(next: &str) -> String {
    let ok = next.starts_with("/registrar/")
        && !next.starts_with("/registrar/sign-")
        && !next.contains("//")
        && !next.contains('\\');
    if ok {
        next.to_owned()
    } else {
        format!("{BASE}/graduates")
    }
}

/// `GET /registrar/sign-in`.
pub async fn sign_in_page<S: Store + Clone + 'static>(
    State(state): State<Registrar<S>>,
    env: PageEnv,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<SignInQuery>,
) -> Response {
    let secure = state.config.secure_cookies;
    let existing = cookie(&headers, sign_in_cookie_name(secure)).map(str::to_owned);
    let csrf = existing.clone().unwrap_or_else(|| random_token(24));
    let notice = if q.signed_out.is_some() {
        Some("signin.signed_out")
    } else if !q.next.is_empty() {
        Some("signin.expired")
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

/// `POST /registrar/sign-in`.
pub async fn sign_in<S: Store + Clone + 'static>(
    State(state): State<Registrar<S>>,
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
    let user = match state.store.registrar_user(&username).await {
        Ok(u) => Some(u),
        Err(StorageError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let hash = user
        .as_ref()
        .map_or_else(|| DECOY_HASH.clone(), |u| u.password_hash.clone());
    let password = form.password;
    let password_ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| WebError::Internal(format!("password check: {e}")))?;
    let accepted = user.filter(|u| password_ok && !u.disabled).and_then(|u| {
        let university = config.university_of(&u.username)?.clone();
        Some((u, university))
    });
    let Some((user, university)) = accepted else {
        if let Some(university) = config.university_of(&username) {
            audit(
                &state,
                &username,
                "portal.sign_in_refused",
                &username,
                serde_json::json!({"university": university.slug}),
            )
            .await?;
        }
        tracing::info!("registrar sign-in refused");
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
            .delete_portal_session(&sha256(old.as_bytes()))
            .await?;
    }
    let now = config.clock.now();
    // Housekeeping: expired sessions are useless to anyone; a failure here must not block
    // the sign-in.
    if let Err(e) = state.store.purge_expired_portal_sessions(now).await {
        tracing::warn!(error = %e, "could not purge expired portal sessions");
    }
    let id = random_token(32);
    state
        .store
        .insert_portal_session(&PortalSession {
            id_hash: sha256(id.as_bytes()),
            username: user.username.clone(),
            csrf_token: random_token(32),
            created_at: now,
            expires_at: now.saturating_add(config.session_ttl_seconds),
        })
        .await?;
    audit(
        &state,
        &user.username,
        "portal.sign_in",
        &user.username,
        serde_json::json!({"university": university.slug}),
    )
    .await?;
    tracing::info!(user = %user.username, "registrar signed in");
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

/// `POST /registrar/sign-out`.
pub async fn sign_out<S: Store + Clone + 'static>(
    State(state): State<Registrar<S>>,
    who: SignedIn,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    who.check_csrf(&form.csrf)?;
    state
        .store
        .delete_portal_session(&who.session.id_hash)
        .await?;
    audit(
        &state,
        &who.user.username,
        "portal.sign_out",
        &who.user.username,
        serde_json::json!({"university": who.university.slug}),
    )
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
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next("/registrar/audit"), "/registrar/audit");
        assert_eq!(safe_next("https://evil.example/"), "/registrar/graduates");
        assert_eq!(safe_next("/registrar//evil"), "/registrar/graduates");
        assert_eq!(safe_next("/registrar/sign-out"), "/registrar/graduates");
    }
}

//! The middleware around every page: a fresh CSP nonce, the language, the security headers,
//! and the rendering of [`crate::WebError`]s (HTML for pages, JSON for API paths).

use axum::extract::Request;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::{ErrorReport, render_error};
use crate::i18n::Lang;
use crate::page::PageEnv;

/// Seconds the `lang` cookie lives: one year.
const LANG_COOKIE_MAX_AGE: u32 = 365 * 86_400;

/// `n` random bytes from the OS, base64url. Used for nonces, session ids, CSRF tokens.
pub fn random_token(n: usize) -> String {
    use aws_lc_rs::rand::SecureRandom as _;
    let mut buf = vec![0u8; n];
    // Invariant: the OS random source does not fail on supported platforms; if it ever did,
    // no safe token could be made, so failing the request is the only correct outcome.
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut buf)
        .expect("the operating system's random source failed");
    kakehashi_core::b64::encode(&buf)
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equality that takes the same time wherever the first difference is.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// The value of cookie `name`, from every `Cookie` header.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// The value of query parameter `name` (no percent-decoding: used for `lang` and ids that are
/// plain ASCII).
pub fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The Content-Security-Policy for a page with this nonce. Everything comes from this origin;
/// inline scripts only with the nonce; no inline styles; the page cannot be framed.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; \
         img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// True when the client should get JSON rather than HTML: API paths, or an `Accept` header
/// that asks for JSON and not HTML.
fn wants_json(req: &Request) -> bool {
    if req.uri().path().starts_with("/api/") || req.uri().path().contains("/api/") {
        return true;
    }
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// The middleware every page router is wrapped in (see [`crate::site`]).
pub async fn page_layer(mut req: Request, next: Next) -> Response {
    let query_lang = query_param(req.uri().query(), "lang").and_then(Lang::parse);
    let cookie_lang = cookie(req.headers(), "lang").and_then(Lang::parse);
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let lang = Lang::negotiate(
        query_lang.map(Lang::code),
        cookie_lang.map(Lang::code),
        accept,
    );
    let env = PageEnv {
        lang,
        nonce: random_token(18),
        path: req.uri().path().to_owned(),
        query: req.uri().query().map(str::to_owned),
    };
    let json = wants_json(&req);
    req.extensions_mut().insert(env.clone());
    let mut response = next.run(req).await;
    if let Some(report) = response.extensions_mut().remove::<ErrorReport>() {
        let mut rendered = render_error(&report, &env, json);
        // Keep headers the handler set on purpose (e.g. `Allow`, `Retry-After`).
        for (name, value) in response.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                rendered.headers_mut().append(name.clone(), value.clone());
            }
        }
        response = rendered;
    }
    let headers = response.headers_mut();
    set_security_headers(headers, &env.nonce);
    if let Some(lang) = query_lang
        && cookie_lang != Some(lang)
        && let Ok(v) = HeaderValue::from_str(&format!(
            "lang={}; Path=/; Max-Age={LANG_COOKIE_MAX_AGE}; SameSite=Lax",
            lang.code()
        ))
    {
        headers.append(header::SET_COOKIE, v);
    }
    response
}

/// The headers every response of the pages carries.
pub fn set_security_headers(headers: &mut HeaderMap, nonce: &str) {
    if let Ok(v) = HeaderValue::from_str(&content_security_policy(nonce)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    let fixed: [(HeaderName, &str); 5] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // Pages carry personal data: never stored by shared caches or the browser's disk cache,
    // unless the handler chose otherwise (the hashed stylesheet).
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.append(
        header::VARY,
        HeaderValue::from_static("Cookie, Accept-Language"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_queries() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; lang=ja"));
        h.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&h, "lang"), Some("ja"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "c"), None);
        assert_eq!(query_param(Some("x=1&lang=en"), "lang"), Some("en"));
        assert_eq!(query_param(None, "lang"), None);
    }

    #[test]
    fn tokens_differ_and_compare() {
        let a = random_token(16);
        assert_ne!(a, random_token(16));
        assert!(constant_time_eq(a.as_bytes(), a.as_bytes()));
        assert!(!constant_time_eq(b"a", b"b"));
        assert_eq!(hex(&sha256(b"")).len(), 64);
    }
}

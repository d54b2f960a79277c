//! Set-up errors, the observed-outcome format, and in-process HTTP.

use std::fmt::{Debug, Display};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use serde_json::Value;
use tower::ServiceExt as _;

/// A case could not be set up (fixture, key, store): the run reports it as a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupError(pub String);

impl Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SetupError {}

/// `?` for set-up steps, with what was being done.
pub trait Context<T> {
    fn ctx(self, what: &str) -> Result<T, SetupError>;
}

impl<T, E: Debug> Context<T> for Result<T, E> {
    fn ctx(self, what: &str) -> Result<T, SetupError> {
        self.map_err(|e| SetupError(format!("{what}: {e:?}")))
    }
}

impl<T> Context<T> for Option<T> {
    fn ctx(self, what: &str) -> Result<T, SetupError> {
        self.ok_or_else(|| SetupError(format!("{what}: missing")))
    }
}

/// Longest string literal kept whole in an observed error.
const MAX_LITERAL: usize = 72;

/// The `Debug` form of an error with string literals longer than [`MAX_LITERAL`] characters
/// cut (digests, certificate dumps), so rows stay short and stable.
pub fn short_debug<E: Debug>(error: &E) -> String {
    let text = format!("{error:?}");
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '"' {
            continue;
        }
        let mut literal = String::new();
        let mut escaped = false;
        for d in chars.by_ref() {
            if !escaped && d == '"' {
                break;
            }
            escaped = !escaped && d == '\\';
            literal.push(d);
        }
        if literal.chars().count() > MAX_LITERAL {
            out.extend(literal.chars().take(MAX_LITERAL - 1));
            out.push('…');
        } else {
            out.push_str(&literal);
        }
        out.push('"');
    }
    out
}

/// Sends `request` to `router` in-process.
pub async fn send(router: &Router, request: Request<Body>) -> Result<Response<Body>, SetupError> {
    router.clone().oneshot(request).await.ctx("router")
}

/// A response body as text (up to 4 MiB).
pub async fn text(response: Response<Body>) -> Result<String, SetupError> {
    let bytes = axum::body::to_bytes(response.into_body(), 4 << 20)
        .await
        .ctx("body")?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `HTTP <status>` followed by the OAuth / OpenID4VC `error` code when the body is JSON.
pub async fn http_outcome(response: Response<Body>) -> Result<String, SetupError> {
    let status = response.status().as_u16();
    let body = text(response).await?;
    Ok(status_and_code(status, &body))
}

/// `HTTP <status>` and the body's `error` member, if any.
pub fn status_and_code(status: u16, body: &str) -> String {
    match serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
    {
        Some(code) => format!("HTTP {status} {code}"),
        None => format!("HTTP {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_literals_are_cut_and_short_ones_kept() {
        #[derive(Debug)]
        #[allow(dead_code)] // read through Debug
        enum E {
            A(String),
            B { why: &'static str },
        }
        let long = "x".repeat(100);
        let s = short_debug(&E::A(long));
        assert_eq!(s, format!("A(\"{}…\")", "x".repeat(71)));
        assert_eq!(
            short_debug(&E::B { why: "a \"q\"" }),
            "B { why: \"a \\\"q\\\"\" }"
        );
    }

    #[test]
    fn status_and_error_code() {
        assert_eq!(
            status_and_code(400, r#"{"error":"invalid_grant","error_description":"x"}"#),
            "HTTP 400 invalid_grant"
        );
        assert_eq!(status_and_code(413, "too big"), "HTTP 413");
    }
}

//! [`WebError`]: the one error of the pages, with one mapping to HTTP.
//!
//! A handler returns `Result<_, WebError>`. `IntoResponse` sets the status and leaves an
//! [`ErrorReport`] in the response extensions; [`crate::security::page_layer`], which knows the
//! language, the nonce and whether the client wants JSON, turns it into an HTML page or a JSON
//! body. Internal details are logged, never shown.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kakehashi_storage::StorageError;

use crate::i18n::Tr;
use crate::page::{Chrome, PageEnv};

/// Every failure a page handler reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebError {
    /// No such page or record.
    #[error("not found")]
    NotFound,
    /// A state-changing request without the session's CSRF token.
    #[error("CSRF token missing or wrong")]
    Csrf,
    /// Not allowed for this user.
    #[error("forbidden")]
    Forbidden,
    /// No live session: pages redirect to the sign-in page, which comes back to `return_to`.
    #[error("sign-in required")]
    SignInRequired { sign_in: String },
    /// The request is malformed (missing multipart part, bad form encoding).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The upload is larger than allowed.
    #[error("payload too large")]
    TooLarge,
    /// The store failed.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// A bug or an environment problem (template, missing layer).
    #[error("internal: {0}")]
    Internal(String),
}

impl WebError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Csrf | Self::Forbidden => StatusCode::FORBIDDEN,
            Self::SignInRequired { .. } => StatusCode::SEE_OTHER,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Storage(StorageError::NotFound { .. }) => StatusCode::NOT_FOUND,
            Self::Storage(e) if e.is_retryable() => StatusCode::SERVICE_UNAVAILABLE,
            Self::Storage(StorageError::Full) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Storage(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short machine-readable code for JSON bodies.
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound | Self::Storage(StorageError::NotFound { .. }) => "not_found",
            Self::Csrf => "csrf_token_invalid",
            Self::Forbidden => "forbidden",
            Self::SignInRequired { .. } => "sign_in_required",
            Self::BadRequest(_) => "bad_request",
            Self::TooLarge => "payload_too_large",
            Self::Storage(e) if e.is_retryable() => "temporarily_unavailable",
            Self::Storage(StorageError::Full) => "temporarily_unavailable",
            Self::Storage(_) | Self::Internal(_) => "internal_error",
        }
    }
}

/// What the page layer needs to render an error.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    pub status: StatusCode,
    pub code: &'static str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let Self::SignInRequired { sign_in } = &self {
            return Redirect::to(sign_in).into_response();
        }
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "page failed");
        } else if matches!(self, Self::Csrf) {
            tracing::warn!("request refused: CSRF token missing or wrong");
        }
        let report = ErrorReport {
            status,
            code: self.code(),
        };
        // Without the page layer, a plain-text body still says what happened.
        let mut response = (status, report.code).into_response();
        response.extensions_mut().insert(report);
        response
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    tr: Tr,
    status: u16,
    title: &'static str,
    body: &'static str,
}

/// Renders a report as the HTML error page or as JSON.
pub fn render_error(report: &ErrorReport, env: &PageEnv, json: bool) -> Response {
    let tr = env.tr();
    let key = match report.status.as_u16() {
        400 => "error.400",
        403 => "error.403",
        404 => "error.404",
        413 => "error.413",
        503 => "error.503",
        _ => "error.500",
    };
    if json {
        let body = serde_json::json!({
            "error": report.code,
            "error_description": tr.t(key),
        });
        return (
            report.status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
    }
    let page = ErrorPage {
        chrome: Chrome::new(env),
        tr,
        status: report.status.as_u16(),
        title: tr.t(key),
        body: tr.t(&format!("{key}.body")),
    };
    match page.render() {
        Ok(html) => (
            report.status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        Err(_) => (report.status, report.code).into_response(),
    }
}

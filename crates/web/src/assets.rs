//! The stylesheet, served under a content-hashed name (`/static/site.<hash>.css`) with a
//! one-year immutable cache: a new stylesheet gets a new URL, so no page ever sees a stale one.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::WebError;

/// The hand-written stylesheet.
pub const STYLESHEET: &str = include_str!("../static/site.css");

static STYLESHEET_URL: LazyLock<String> = LazyLock::new(|| {
    let digest = crate::security::sha256(STYLESHEET.as_bytes());
    format!(
        "/static/site.{}.css",
        crate::security::hex(digest.get(..8).unwrap_or_default())
    )
});

/// The stylesheet's URL.
pub fn stylesheet_url() -> &'static str {
    STYLESHEET_URL.as_str()
}

/// `GET /static/{file}`.
pub fn router() -> Router {
    Router::new().route("/static/{file}", get(asset))
}

async fn asset(Path(file): Path<String>) -> Response {
    if format!("/static/{file}") != stylesheet_url() {
        return WebError::NotFound.into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        STYLESHEET,
    )
        .into_response()
}

//! The OpenID4VP 1.0 verifier over HTTP: an axum [`router`] generic over the [`Store`].
//! A relying party (the verifier portal) creates a session from a request template; the
//! wallet fetches the signed request object and posts its response; the pipeline of
//! `kakehashi-verify` checks every presented credential (status lists fetched and cached,
//! trusted lists loaded at start-up and refreshed); the result, the recognition report and
//! its PDF are read back with the session's result token; a webhook receives each result.
//!
//! ```text
//! GET  /verifier/templates                      request templates (id, titles, DCQL)
//! POST /verifier/sessions                       {"template", "flow"?, "response_mode"?} → 201
//!        {session_id, result_token, request_uri (openid4vp://…), same_device_link, qr_svg, …}
//! GET  /verifier/request/{rid}                  signed request object (oauth-authz-req+jwt), once
//! POST /verifier/request/{rid}                  same, request_uri_method=post (wallet_nonce)
//! POST /verifier/response/{id}                  direct_post / direct_post.jwt, accepted once
//! GET  /verifier/sessions/{id}?token=…          status + result (verdicts, reports, sections)
//! GET  /verifier/sessions/{id}/report.pdf?token=…&lang=en|ja
//! GET  /verifier/sessions/{id}/done             same-device landing (#response_code=…)
//! ```
//!
//! Same-device: the result is also readable with `?response_code=` (from the redirect).

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

mod error;
mod handlers;
pub mod state;
pub mod webhook;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use kakehashi_storage::Store;

pub use error::VerifierError;
pub use handlers::{CreateSession, Flow, has_report, new_session, render_report_pdf};
pub use state::{
    AccessCertificate, ClientIdScheme, Clock, DEFAULT_FONT_PATH, DEFAULT_TEMPLATES,
    RequestTemplate, TrustSnapshot, VerifierConfig, VerifierState, parse_templates,
    refresh_trusted_lists, spawn_session_purge, spawn_trusted_list_refresh, system_clock,
};

/// The verifier's routes, mounted at the root of `VerifierConfig::public_url`. Bodies above
/// `VerifierConfig::max_body_bytes` are refused with 413.
pub fn router<S: Store + Clone + 'static>(state: VerifierState<S>) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .route("/verifier/templates", get(handlers::list_templates::<S>))
        .route("/verifier/sessions", post(handlers::create_session::<S>))
        .route(
            "/verifier/request/{rid}",
            get(handlers::request_object::<S>).post(handlers::request_object::<S>),
        )
        .route("/verifier/response/{id}", post(handlers::response::<S>))
        .route(
            "/verifier/sessions/{id}",
            get(handlers::session_status::<S>),
        )
        .route(
            "/verifier/sessions/{id}/report.pdf",
            get(handlers::report_pdf::<S>),
        )
        .route("/verifier/sessions/{id}/done", get(handlers::done::<S>))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

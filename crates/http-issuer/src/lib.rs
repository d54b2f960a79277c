//! The OpenID4VCI 1.0 credential issuer over HTTP: an axum [`router`] generic over the
//! [`Store`], issuing the EU diploma (SD-JWT VC) or the Japanese diploma (OB 3.0 `jwt_vc_json`),
//! publishing status lists, and the issuance services the registrar portal and the bulk CSV
//! import call.
//!
//! ```text
//! GET  /.well-known/openid-credential-issuer   JSON, or signed metadata with Accept: application/jwt
//! GET  /.well-known/oauth-authorization-server
//! GET  /.well-known/jwt-vc-issuer              issuer + jwks (SD-JWT VC key resolution)
//! GET  /type-metadata/diploma-eu               SD-JWT VC Type Metadata (bytes behind vct#integrity)
//! GET  /offers/{id}                            credential_offer_uri target
//! POST /par   GET|POST /authorize   POST /token
//! POST /nonce POST /credential POST /deferred_credential POST /notification
//! GET  /status/{list}        Token Status List (statuslist+jwt)
//! GET  /status/w3c/{list}    Bitstring Status List credential (vc+jwt)
//! POST /admin/credentials/{id}/{revoke|suspend|reinstate}   Bearer admin token
//! POST /admin/offers   {graduate_id | diploma, tx_code?, by_reference?}   Bearer admin token
//! POST /admin/keys/rotate   POST /admin/keys/{kid}/retire                  Bearer admin token
//! ```

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

mod credential;
pub mod demo;
mod error;
pub mod keys;
pub mod metadata;
mod oauth;
pub mod offers;
pub mod services;
mod state;
pub mod status;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use kakehashi_storage::Store;

pub use credential::issue_credentials;
pub use error::IssuerError;
pub use keys::{KeyRotation, rotate_key_of, spawn_key_reloader};
pub use oauth::set_student_sign_in_code;
pub use offers::{
    Approval, GraduateRecord, OfferIssuer, OfferOptions, ShownOffer, create_offer_for_graduate,
    qr_svg, show_offer,
};
pub use services::{BulkSummary, ImportSpec, bulk_issue, set_approval, upsert_graduate};
pub use state::{
    Clock, ISSUER_KEY_OWNER, IssuerConfig, IssuerIdentity, IssuerState, OFFER_SECRET_OWNER,
    OfferSecret, Profile, RandomSource, load_or_create_issuer_key, load_or_create_key_of,
    load_or_create_offer_secret, system_clock, system_random,
};
pub use status::{
    CredentialState, StatusAction, change_credential_status, ensure_status_lists, reinstate,
    revoke, suspend,
};

/// The path component of the credential issuer identifier (`""` for `https://host`,
/// `"/eu"` for `https://host/eu`).
pub fn issuer_path<S>(state: &IssuerState<S>) -> String {
    let id = state.identity.credential_issuer.trim_end_matches('/');
    let after_scheme = id.split_once("://").map_or(id, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or_else(String::new, |i| after_scheme[i..].to_owned())
}

/// The discovery documents at the host root, for an issuer whose identifier has a path
/// (`https://host/eu`): OpenID4VCI section 12.2.2, RFC 8414 section 3 and SD-JWT VC put the
/// path *after* the well-known segment (`/.well-known/openid-credential-issuer/eu`). Merge
/// this into the host's root router and nest [`router`] under the issuer path. For an issuer
/// at the host root, [`router`] already serves them.
pub fn well_known_router<S: Store + Clone + 'static>(state: IssuerState<S>) -> Router {
    let path = issuer_path(&state);
    Router::new()
        .route(
            &format!("/.well-known/openid-credential-issuer{path}"),
            get(metadata::credential_issuer::<S>),
        )
        .route(
            &format!("/.well-known/oauth-authorization-server{path}"),
            get(metadata::authorization_server::<S>),
        )
        .route(
            &format!("/.well-known/jwt-vc-issuer{path}"),
            get(metadata::jwt_vc_issuer::<S>),
        )
        .with_state(state)
}

/// The issuer's routes, mounted at the root of the credential issuer URL (the paths above are
/// relative to `IssuerIdentity::credential_issuer`; for an identifier with a path, nest this
/// router under [`issuer_path`] and merge [`well_known_router`] at the root). Bodies above
/// `IssuerConfig::max_body_bytes` are refused with 413.
pub fn router<S: Store + Clone + 'static>(state: IssuerState<S>) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .route(
            "/.well-known/openid-credential-issuer",
            get(metadata::credential_issuer::<S>),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::authorization_server::<S>),
        )
        .route(
            "/.well-known/jwt-vc-issuer",
            get(metadata::jwt_vc_issuer::<S>),
        )
        .route(
            metadata::TYPE_METADATA_PATH,
            get(metadata::type_metadata::<S>),
        )
        .route("/offers/{id}", get(offers::offer_by_reference::<S>))
        .route("/par", post(oauth::par::<S>))
        .route(
            "/authorize",
            get(oauth::authorize_form::<S>).post(oauth::authorize_submit::<S>),
        )
        .route("/token", post(oauth::token::<S>))
        .route("/nonce", post(credential::nonce::<S>))
        .route("/credential", post(credential::credential::<S>))
        .route(
            "/deferred_credential",
            post(credential::deferred_credential::<S>),
        )
        .route("/notification", post(credential::notification::<S>))
        .route("/status/{list}", get(status::token_status_list::<S>))
        .route("/status/w3c/{list}", get(status::w3c_status_list::<S>))
        .route(
            "/admin/credentials/{id}/{action}",
            post(status::admin_change::<S>),
        )
        .route("/admin/offers", post(offers::admin_create_offer::<S>))
        .route("/admin/keys/rotate", post(keys::admin_rotate::<S>))
        .route("/admin/keys/{kid}/retire", post(keys::admin_retire::<S>))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

//! Kakehashi's server-rendered pages.
//!
//! One crate for every portal, laid out like docs.rs: the handlers of a portal live in
//! `src/<portal>/` and its askama templates in `templates/<portal>/`. What every page shares
//! lives at the top:
//!
//! - [`i18n`]: the English / Japanese string table and language negotiation (`?lang=`, the
//!   `lang` cookie, `Accept-Language`, default English);
//! - [`page`]: the per-request page environment (language, CSP nonce, path), the layout data
//!   ([`page::Chrome`]) and rendering a template into a response;
//! - [`security`]: the middleware that sets the CSP with a fresh nonce and the other security
//!   headers on every response, and turns [`WebError`]s into HTML or JSON;
//! - [`assets`]: the stylesheet under a content-hashed URL with a long cache lifetime;
//! - [`error`]: [`WebError`], the one error type of the pages.
//!
//! Portals: [`registrar`] (`/registrar/…`, the university registrar's portal) and
//! [`registry`] (`/registry/…`, the trusted lists and the recognition policy), [`wallet`]
//! (`/wallet/…`, the student web wallet) and [`verifier`] (`/verifier-portal/…`, an admissions
//! office or employer asking for a diploma and reading the result).
//!
//! Nothing here composes a node: `kakehashi-server`'s `compose` module mounts these routers.

#![forbid(unsafe_code)]

pub mod assets;
pub mod clock;
pub mod error;
pub mod home;
pub mod i18n;
pub mod page;
pub mod registrar;
pub mod registry;
pub mod security;
pub mod verifier;
pub mod wallet;

pub use clock::Clock;
pub use error::WebError;
pub use i18n::Lang;

/// Wraps a router of pages with what every page needs: the page environment (language, CSP
/// nonce), the security headers, error rendering, and the stylesheet route.
pub fn site(pages: axum::Router) -> axum::Router {
    pages
        .merge(assets::router())
        .layer(axum::middleware::from_fn(security::page_layer))
}

//! The verifier portal (`/verifier-portal/…`): staff of an admissions office or an employer
//! pick their verifier and a request template, show the student a QR code (or a same-device
//! link into the web wallet), and read the result: valid or not, why the issuer is trusted
//! (trust class, the trusted list and service that anchored it) or why not, and the
//! recognition report in the page language, with its PDF.
//!
//! The verifiers run in-process (`kakehashi_http_verifier::new_session`, and their store for
//! the result). The result token never appears in a URL: it is kept in an `HttpOnly` cookie
//! scoped to the browser that created the request (one cookie per session, living as long
//! as the session), so a copied result address shows nothing to anyone else.

mod pages;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use kakehashi_http_verifier::VerifierState;
use kakehashi_storage::Store;

use crate::i18n::Tr;

/// Where the portal is mounted.
pub const BASE: &str = "/verifier-portal";

/// One verifier this portal works for.
pub struct Desk<S> {
    /// Short id in the portal's paths (`eu`, `jp`).
    pub id: String,
    pub name_en: String,
    pub name_ja: String,
    pub state: VerifierState<S>,
}

impl<S> Desk<S> {
    /// The name in the page language.
    pub fn name(&self, tr: Tr) -> &str {
        match tr.lang() {
            crate::Lang::Ja => &self.name_ja,
            crate::Lang::En => &self.name_en,
        }
    }
}

/// Settings of the portal.
#[derive(Debug, Clone)]
pub struct VerifierPortalConfig {
    /// `Secure` cookies with the `__Host-` prefix; false only for plain http on loopback.
    pub secure_cookies: bool,
    /// The web wallet's presentation page for same-device links (`/wallet/present`), if this
    /// node has one; the request parameters are appended as its query.
    pub wallet_present_url: Option<String>,
    /// Seconds between automatic reloads of a waiting request page (0: only the button).
    pub refresh_seconds: u32,
}

impl VerifierPortalConfig {
    /// Defaults: a same-device link to `/wallet/present`, reload every 3 seconds.
    pub fn new(secure_cookies: bool) -> Self {
        Self {
            secure_cookies,
            wallet_present_url: Some("/wallet/present".into()),
            refresh_seconds: 3,
        }
    }
}

/// The portal's router state.
pub struct Portal<S> {
    pub desks: Arc<Vec<Desk<S>>>,
    pub config: Arc<VerifierPortalConfig>,
}

impl<S> Clone for Portal<S> {
    fn clone(&self) -> Self {
        Self {
            desks: self.desks.clone(),
            config: self.config.clone(),
        }
    }
}

impl<S> Portal<S> {
    fn desk(&self, id: &str) -> Option<&Desk<S>> {
        self.desks.iter().find(|d| d.id == id)
    }
}

/// Builds the verifier portal.
pub struct VerifierPortal<S> {
    state: Portal<S>,
}

impl<S: Store + Clone + 'static> VerifierPortal<S> {
    /// A portal for `verifiers`: `(id, English name, Japanese name, verifier state)`.
    pub fn new(
        verifiers: Vec<(String, String, String, VerifierState<S>)>,
        config: VerifierPortalConfig,
    ) -> Self {
        let desks = verifiers
            .into_iter()
            .map(|(id, name_en, name_ja, state)| Desk {
                id,
                name_en,
                name_ja,
                state,
            })
            .collect();
        Self {
            state: Portal {
                desks: Arc::new(desks),
                config: Arc::new(config),
            },
        }
    }

    /// The router, to be wrapped by [`crate::site`].
    pub fn router(self) -> Router {
        Router::new()
            .route(BASE, get(pages::index::<S>))
            .route(&format!("{BASE}/sessions"), post(pages::create::<S>))
            .route(
                &format!("{BASE}/{{desk}}/sessions/{{id}}"),
                get(pages::session::<S>),
            )
            .route(
                &format!("{BASE}/{{desk}}/sessions/{{id}}/report.pdf"),
                get(pages::report_pdf::<S>),
            )
            .with_state(self.state)
    }
}

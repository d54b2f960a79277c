//! The student web wallet (`/wallet/…`): a student signs in, receives a diploma from an offer
//! link (typing the transaction code the registrar gave), reads their credentials with the
//! issuer's bilingual display, answers a verifier's request on a consent screen that lists
//! exactly which claim goes to which verifier, and reads the history of what they shared.
//!
//! The protocol work is `kakehashi_wallet`'s (the same functions as its JSON API,
//! `kakehashi_wallet::api`); these pages are the human front of it. Sign-in, sessions and CSRF
//! follow the registrar portal (argon2id, `__Host-` cookie, fresh session id at sign-in,
//! per-session CSRF token) over the store's own holder account tables, so a student's session
//! can never be read as a registrar's.
//!
//! Pending consents are parked in the shared store, sealed (`Wallet::park_consent`), for the
//! wallet's `consent_lifetime_seconds`: the answer may reach any node.

mod auth;
mod credentials;
mod present;
pub(crate) mod view;

use std::sync::Arc;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};
use kakehashi_storage::Store;
use kakehashi_wallet::WalletContext;

pub use auth::HolderSignedIn;

use crate::Clock;
use crate::page::{Chrome, PageEnv, UserBox};

/// Where the portal is mounted.
pub const BASE: &str = "/wallet";

/// Settings of the wallet pages.
#[derive(Debug, Clone)]
pub struct WalletPortalConfig {
    /// `Secure` cookies with the `__Host-` prefix; false only for plain http on loopback.
    pub secure_cookies: bool,
    /// Absolute session lifetime.
    pub session_ttl_seconds: i64,
    /// How long a consent screen may wait for an answer; keep it equal to the wallet's
    /// `WalletConfig::consent_lifetime_seconds` (which `present` enforces anyway).
    pub consent_lifetime_seconds: i64,
    pub clock: Clock,
}

impl WalletPortalConfig {
    /// Defaults: 8-hour sessions, 5-minute consents, system clock.
    pub fn new(secure_cookies: bool) -> Self {
        Self {
            secure_cookies,
            session_ttl_seconds: 8 * 3600,
            consent_lifetime_seconds: 300,
            clock: Clock::system(),
        }
    }
}

/// The portal's router state.
pub struct WalletPages<S> {
    pub store: S,
    pub context: WalletContext<S>,
    pub config: Arc<WalletPortalConfig>,
}

impl<S: Clone> Clone for WalletPages<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            context: self.context.clone(),
            config: self.config.clone(),
        }
    }
}

/// Builds the wallet pages.
pub struct WalletPortal<S> {
    state: WalletPages<S>,
}

impl<S: Store + Clone + 'static> WalletPortal<S> {
    /// Pages over `store` (holder accounts, sessions) and `context` (the wallet library).
    pub fn new(store: S, context: WalletContext<S>, config: WalletPortalConfig) -> Self {
        Self {
            state: WalletPages {
                store,
                context,
                config: Arc::new(config),
            },
        }
    }

    /// The router, to be wrapped by [`crate::site`]. Its paths do not overlap the JSON API's
    /// (`/wallet/api/…`).
    pub fn router(self) -> Router {
        Router::new()
            .route(
                BASE,
                get(|| async { Redirect::to(&format!("{BASE}/credentials")) }),
            )
            .route(
                &format!("{BASE}/sign-in"),
                get(auth::sign_in_page::<S>).post(auth::sign_in::<S>),
            )
            .route(&format!("{BASE}/sign-out"), post(auth::sign_out::<S>))
            .route(&format!("{BASE}/credentials"), get(credentials::list::<S>))
            .route(
                &format!("{BASE}/credentials/{{id}}"),
                get(credentials::detail::<S>),
            )
            .route(
                &format!("{BASE}/receive"),
                get(credentials::receive_page).post(credentials::receive::<S>),
            )
            .route(
                &format!("{BASE}/present"),
                get(present::open::<S>).post(present::open_pasted::<S>),
            )
            .route(
                &format!("{BASE}/consents/{{id}}"),
                post(present::decide::<S>),
            )
            .route(&format!("{BASE}/history"), get(present::history::<S>))
            .with_state(self.state)
    }
}

/// The portal's navigation, in order.
const NAV: [(&str, &str); 4] = [
    ("wallet.nav.credentials", "/wallet/credentials"),
    ("wallet.nav.receive", "/wallet/receive"),
    ("wallet.nav.present", "/wallet/present"),
    ("wallet.nav.history", "/wallet/history"),
];

/// Layout data for a signed-in page.
pub(crate) fn chrome(env: &PageEnv, who: &HolderSignedIn) -> Chrome {
    Chrome::new(env).with_nav(env, &NAV).with_user(UserBox {
        display_name: who.account.display_name.clone(),
        organisation: env.tr().t("wallet.organisation").to_owned(),
        sign_out_action: format!("{BASE}/sign-out"),
        csrf: who.session.csrf_token.clone(),
    })
}

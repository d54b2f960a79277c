//! The registrar portal (`/registrar/…`): a university registrar signs in, keeps the list of
//! graduates (one at a time or from a CSV file) and reads the audit trail.
//!
//! Extension points for the issuer module (credential offers, revocation):
//! - [`GraduateActions`]: links shown on a graduate's page ([`RegistrarPortal::with_actions`]);
//! - [`RegistrarPortal::with_routes`]: extra routes under the same state, so their handlers
//!   can take [`SignedIn`] and check CSRF with [`SignedIn::check_csrf`].
//!
//! [`RegistrarPortal::with_issuers`] uses both to plug in each university's OpenID4VCI issuer
//! (offers with QR code and transaction code, revocation; see `issuance.rs`).

mod actions;
mod audit;
mod auth;
mod graduates;
mod import;
mod issuance;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::Redirect;
use axum::routing::get;
use kakehashi_academic::model::AwardingBody;
use kakehashi_storage::{AuditEntry, Store};

pub use actions::{ActionLink, ActionStyle, GraduateActions, GraduateSummary};
pub(crate) use auth::{DECOY_HASH, set_cookie, verify_password};
pub use auth::{SignedIn, hash_password};
pub use issuance::Issuance;

use crate::Clock;
use crate::i18n::Tr;
use crate::page::{Chrome, PageEnv, UserBox};

/// Where the portal is mounted.
pub const BASE: &str = "/registrar";

/// Largest CSV upload accepted by the import form.
pub const MAX_UPLOAD_BYTES: usize = 8 << 20;

/// A university using the portal: its canonical profile (the awarding body written into every
/// diploma) and the registrar accounts that act for it.
#[derive(Debug, Clone)]
pub struct University {
    /// Short id used in audit details (`brabant-leuven`).
    pub slug: String,
    pub profile: AwardingBody,
    /// Usernames of its registrars.
    pub registrars: Vec<String>,
}

impl University {
    /// The name in the page language.
    pub fn name(&self, tr: Tr) -> String {
        self.profile
            .legal_name
            .best(tr.lang().code())
            .unwrap_or(&self.slug)
            .to_owned()
    }

    /// The prefix of its graduates' record ids: `<organisation identifier>/`, the same key
    /// the CSV import uses for idempotency.
    pub fn graduate_prefix(&self) -> String {
        kakehashi_academic::csv_import::idempotency_key(&self.profile, "")
    }
}

/// Settings of the portal.
#[derive(Debug, Clone)]
pub struct RegistrarConfig {
    pub universities: Vec<University>,
    /// `Secure` cookies with the `__Host-` prefix; false only for plain http on loopback.
    pub secure_cookies: bool,
    /// Absolute session lifetime.
    pub session_ttl_seconds: i64,
    pub clock: Clock,
}

impl RegistrarConfig {
    /// Defaults: 8-hour sessions, system clock.
    pub fn new(universities: Vec<University>, secure_cookies: bool) -> Self {
        Self {
            universities,
            secure_cookies,
            session_ttl_seconds: 8 * 3600,
            clock: Clock::system(),
        }
    }

    /// The university a registrar acts for.
    pub fn university_of(&self, username: &str) -> Option<&University> {
        self.universities
            .iter()
            .find(|u| u.registrars.iter().any(|r| r == username))
    }
}

/// The portal's router state.
pub struct Registrar<S> {
    pub store: S,
    pub config: Arc<RegistrarConfig>,
    actions: Arc<Vec<Arc<dyn GraduateActions>>>,
}

impl<S: Clone> Clone for Registrar<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            config: self.config.clone(),
            actions: self.actions.clone(),
        }
    }
}

/// Builds the registrar portal.
pub struct RegistrarPortal<S> {
    state: Registrar<S>,
    actions: Vec<Arc<dyn GraduateActions>>,
    extra: Router<Registrar<S>>,
}

impl<S: Store + Clone + 'static> RegistrarPortal<S> {
    /// A portal over `store`.
    pub fn new(store: S, config: RegistrarConfig) -> Self {
        Self {
            state: Registrar {
                store,
                config: Arc::new(config),
                actions: Arc::new(Vec::new()),
            },
            actions: Vec::new(),
            extra: Router::new(),
        }
    }

    /// Registers links shown on every graduate's page (issue, revoke, …).
    pub fn with_actions(mut self, actions: Arc<dyn GraduateActions>) -> Self {
        self.actions.push(actions);
        self
    }

    /// Adds routes (full paths under [`BASE`]) that share the portal's state, sessions and
    /// CSRF protection.
    pub fn with_routes(mut self, routes: Router<Registrar<S>>) -> Self {
        self.extra = self.extra.merge(routes);
        self
    }

    /// The router, to be wrapped by [`crate::site`].
    pub fn router(self) -> Router {
        let mut state = self.state;
        state.actions = Arc::new(self.actions);
        Router::new()
            .route(
                BASE,
                get(|| async { Redirect::to(&format!("{BASE}/graduates")) }),
            )
            .route(
                &format!("{BASE}/sign-in"),
                get(auth::sign_in_page::<S>).post(auth::sign_in::<S>),
            )
            .route(
                &format!("{BASE}/sign-out"),
                axum::routing::post(auth::sign_out::<S>),
            )
            .route(&format!("{BASE}/graduates"), get(graduates::list::<S>))
            .route(
                &format!("{BASE}/graduates/new"),
                get(graduates::new_page::<S>).post(graduates::add::<S>),
            )
            .route(
                &format!("{BASE}/graduates/{{id}}"),
                get(graduates::detail::<S>),
            )
            .route(
                &format!("{BASE}/import"),
                get(import::page::<S>)
                    .post(import::upload::<S>)
                    .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
            )
            .route(&format!("{BASE}/audit"), get(audit::page::<S>))
            .merge(self.extra)
            .with_state(state)
    }
}

/// The portal's navigation, in order.
const NAV: [(&str, &str); 4] = [
    ("nav.graduates", "/registrar/graduates"),
    ("nav.add", "/registrar/graduates/new"),
    ("nav.import", "/registrar/import"),
    ("nav.audit", "/registrar/audit"),
];

/// Layout data for a signed-in page.
pub fn chrome(env: &PageEnv, who: &SignedIn) -> Chrome {
    Chrome::new(env).with_nav(env, &NAV).with_user(UserBox {
        display_name: who.user.display_name.clone(),
        organisation: who.university.name(env.tr()),
        sign_out_action: format!("{BASE}/sign-out"),
        csrf: who.session.csrf_token.clone(),
    })
}

/// Appends an audit entry stamped now.
async fn audit<S: Store>(
    state: &Registrar<S>,
    actor: &str,
    action: &str,
    target: &str,
    details: serde_json::Value,
) -> Result<(), crate::WebError> {
    state
        .store
        .append_audit(&AuditEntry {
            sequence: 0,
            at: state.config.clock.now(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            details,
        })
        .await?;
    Ok(())
}

//! The trust registry pages (`/registry`): the lists this node loaded, their services, the lists
//! it refused and why, and the recognition policy.
//!
//! The page renders a [`RegistryView`], a plain data struct the composition fills (from a
//! `kakehashi_fetch::trusted_lists::TrustedListSet` and the policy, see
//! [`RegistryView::from_set`]) and replaces when the lists are reloaded. The handler never
//! fetches or verifies anything.

use std::sync::{Arc, RwLock};

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use kakehashi_core::UnixTime;
use kakehashi_fetch::trusted_lists::TrustedListSet;
use kakehashi_trust::policy::{Recognition, Scheme};
use kakehashi_trust::{Anchoring, RecognitionPolicy, VerifiedTrustedList};

use crate::i18n::Tr;
use crate::page::{Chrome, PageEnv, format_time, render};
use crate::{Clock, WebError};

/// Where the pages are mounted.
pub const BASE: &str = "/registry";

/// Everything the registry page shows.
#[derive(Debug, Clone, Default)]
pub struct RegistryView {
    /// When the lists were verified; `None` when nothing was loaded.
    pub verified_at: Option<UnixTime>,
    pub lists: Vec<ListView>,
    pub failures: Vec<FailureView>,
    pub policy: Option<PolicyView>,
}

/// How a list's signer was anchored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchoringView {
    Pinned,
    Lotl {
        territory: String,
        sequence_number: u64,
    },
    Unanchored,
}

/// One verified list.
#[derive(Debug, Clone)]
pub struct ListView {
    pub territory: String,
    pub is_list_of_lists: bool,
    pub operator: String,
    pub sequence_number: u64,
    pub issue_date: UnixTime,
    pub next_update: Option<UnixTime>,
    pub signer_subject: String,
    pub signer_sha256: String,
    pub anchoring: AnchoringView,
    pub services: Vec<ServiceView>,
}

/// One service of a list (current status).
#[derive(Debug, Clone)]
pub struct ServiceView {
    pub provider: String,
    pub name: String,
    pub service_type: String,
    pub status: String,
    pub status_start: UnixTime,
}

/// A list that was pointed to and is not trusted.
#[derive(Debug, Clone)]
pub struct FailureView {
    pub territory: Option<String>,
    pub location: String,
    pub reason: String,
}

/// The recognition policy.
#[derive(Debug, Clone)]
pub struct PolicyView {
    pub name: String,
    pub verifier_scheme: String,
    pub rules: Vec<RuleView>,
}

/// One rule.
#[derive(Debug, Clone)]
pub struct RuleView {
    pub id: String,
    pub scheme: String,
    pub service_type: String,
    pub statuses: Vec<String>,
    /// Certificate requirements: (i18n key of the label, values).
    pub requires: Vec<(&'static str, String)>,
    pub class_en: String,
    pub class_ja: String,
    pub legal: bool,
    pub basis: String,
}

fn scheme_name(s: Scheme) -> &'static str {
    match s {
        Scheme::Eu => "EU",
        Scheme::Jp => "JP",
    }
}

impl ListView {
    /// The view of one verified list.
    pub fn from_verified(list: &VerifiedTrustedList) -> Self {
        let l = list.list();
        Self {
            territory: list.territory().to_owned(),
            is_list_of_lists: l.is_list_of_lists(),
            operator: l
                .scheme
                .operator_name
                .preferred()
                .unwrap_or_default()
                .to_owned(),
            sequence_number: list.sequence_number(),
            issue_date: l.scheme.issue_date,
            next_update: l.scheme.next_update,
            signer_subject: list.signer().subject().to_owned(),
            signer_sha256: list.signer().sha256_hex(),
            anchoring: match list.anchoring() {
                Anchoring::Pinned => AnchoringView::Pinned,
                Anchoring::Lotl {
                    lotl_territory,
                    lotl_sequence_number,
                    lotl_anchored: true,
                } => AnchoringView::Lotl {
                    territory: lotl_territory.clone(),
                    sequence_number: *lotl_sequence_number,
                },
                _ => AnchoringView::Unanchored,
            },
            services: l
                .services()
                .map(|(p, s)| ServiceView {
                    provider: p.name.preferred().unwrap_or_default().to_owned(),
                    name: s.current.name.preferred().unwrap_or_default().to_owned(),
                    service_type: s.current.service_type.clone(),
                    status: s.current.status.clone(),
                    status_start: s.current.status_starting_time,
                })
                .collect(),
        }
    }
}

impl PolicyView {
    /// The view of a validated policy.
    pub fn from_policy(policy: &RecognitionPolicy) -> Self {
        Self {
            name: policy.name().to_owned(),
            verifier_scheme: scheme_name(policy.verifier_scheme()).to_owned(),
            rules: policy
                .rules()
                .iter()
                .map(|r| {
                    let mut requires = Vec::new();
                    let mut add = |label: &'static str, v: &[String]| {
                        if !v.is_empty() {
                            requires.push((label, v.join(", ")));
                        }
                    };
                    add(
                        "registry.req.additional_information",
                        &r.additional_information,
                    );
                    add("registry.req.qualifiers", &r.qualifiers);
                    add("registry.req.qc_statements", &r.qc_statements);
                    add("registry.req.policies_any", &r.policies_any);
                    add("registry.req.key_usage_any", &r.key_usage_any);
                    if r.authorised_university {
                        requires.push(("registry.req.authorised_university", String::new()));
                    }
                    RuleView {
                        id: r.id.clone(),
                        scheme: scheme_name(r.scheme).to_owned(),
                        service_type: r.service_type.clone(),
                        statuses: r.statuses.clone(),
                        requires,
                        class_en: r.class.label().to_owned(),
                        class_ja: r.class.label_ja().to_owned(),
                        legal: r.recognition == Recognition::Legal,
                        basis: r.basis.clone(),
                    }
                })
                .collect(),
        }
    }
}

impl RegistryView {
    /// Nothing loaded, no policy: the page says so.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The view of a loaded set: the LOTL first, then each list; failures with their reason.
    pub fn from_set(set: &TrustedListSet, policy: Option<&RecognitionPolicy>) -> Self {
        Self {
            verified_at: Some(set.lotl.verified_at()),
            lists: std::iter::once(&set.lotl)
                .chain(set.lists.iter())
                .map(ListView::from_verified)
                .collect(),
            failures: set
                .failures
                .iter()
                .map(|f| FailureView {
                    territory: f.territory.clone(),
                    location: f.location.clone(),
                    reason: f.error.to_string(),
                })
                .collect(),
            policy: policy.map(PolicyView::from_policy),
        }
    }

    /// The view of the lists a verifier holds (its trust snapshot): the lists it verifies
    /// credentials against, so the page shows exactly what decisions are made with. The LOTL
    /// comes first; `failures` are `(location, reason)` of lists that did not verify.
    pub fn from_lists(
        lists: &[VerifiedTrustedList],
        failures: &[(String, String)],
        policy: Option<&RecognitionPolicy>,
    ) -> Self {
        let mut ordered: Vec<&VerifiedTrustedList> = lists.iter().collect();
        // Stable: the LOTL first, the national lists in their loading order.
        ordered.sort_by_key(|l| !l.list().is_list_of_lists());
        Self {
            verified_at: lists.iter().map(VerifiedTrustedList::verified_at).min(),
            lists: ordered.into_iter().map(ListView::from_verified).collect(),
            failures: failures
                .iter()
                .map(|(location, reason)| FailureView {
                    territory: None,
                    location: location.clone(),
                    reason: reason.clone(),
                })
                .collect(),
            policy: policy.map(PolicyView::from_policy),
        }
    }
}

/// The view the page shows, shared with whoever reloads the lists.
#[derive(Debug, Clone, Default)]
pub struct SharedRegistryView(Arc<RwLock<RegistryView>>);

impl SharedRegistryView {
    /// Shares `view`.
    pub fn new(view: RegistryView) -> Self {
        Self(Arc::new(RwLock::new(view)))
    }

    /// Replaces the view (after a reload of the lists).
    pub fn replace(&self, view: RegistryView) {
        match self.0.write() {
            Ok(mut guard) => *guard = view,
            Err(poisoned) => *poisoned.into_inner() = view,
        }
    }

    /// A copy of the current view.
    pub fn snapshot(&self) -> RegistryView {
        match self.0.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

#[derive(Clone)]
struct RegistryState {
    view: SharedRegistryView,
    clock: Clock,
}

/// `GET /registry`.
pub fn router(view: SharedRegistryView, clock: Clock) -> Router {
    Router::new()
        .route(BASE, get(page))
        .with_state(RegistryState { view, clock })
}

/// A list as the template shows it.
pub struct ListRow {
    pub heading: String,
    pub view: ListView,
    pub issued: String,
    pub next_update: String,
    pub fresh: bool,
    pub freshness: String,
    pub anchoring: String,
    pub services: Vec<ServiceRow>,
}

/// A service as the template shows it.
pub struct ServiceRow {
    pub view: ServiceView,
    /// Granted / accredited (usable), as opposed to withdrawn, suspended, …
    pub active: bool,
    pub type_short: String,
    pub status_short: String,
    pub status_start: String,
}

/// The last path segment of a URI (`…/Svctype/CA/QC` -> `CA/QC` keeps two for types).
fn short_uri(uri: &str, segments: usize) -> String {
    let parts: Vec<&str> = uri
        .trim_end_matches('/')
        .rsplit('/')
        .take(segments)
        .collect();
    parts.into_iter().rev().collect::<Vec<_>>().join("/")
}

#[derive(Template)]
#[template(path = "registry/index.html")]
struct RegistryPage {
    chrome: Chrome,
    tr: Tr,
    verified_at: Option<String>,
    lists: Vec<ListRow>,
    failures: Vec<FailureView>,
    policy: Option<PolicyView>,
}

fn list_row(list: &ListView, now: UnixTime, tr: Tr) -> ListRow {
    let (fresh, freshness) = match list.next_update {
        Some(next) if now < next => (true, tr.t1("registry.fresh", tr.duration(next.0 - now.0))),
        Some(next) => (false, tr.t1("registry.stale", tr.duration(now.0 - next.0))),
        None => (false, tr.t("registry.no_next_update").to_owned()),
    };
    let anchoring = match &list.anchoring {
        AnchoringView::Pinned => tr.t("registry.anchoring.pinned").to_owned(),
        AnchoringView::Lotl {
            territory,
            sequence_number,
        } => tr.t2("registry.anchoring.lotl", territory, sequence_number),
        AnchoringView::Unanchored => tr.t("registry.anchoring.unanchored").to_owned(),
    };
    ListRow {
        heading: if list.is_list_of_lists {
            format!("{} — {}", tr.t("registry.lotl"), list.territory)
        } else {
            tr.t2(
                "registry.list_heading",
                &list.territory,
                list.sequence_number,
            )
        },
        issued: format_time(list.issue_date),
        next_update: list.next_update.map(format_time).unwrap_or_default(),
        fresh,
        freshness,
        anchoring,
        services: list
            .services
            .iter()
            .map(|s| ServiceRow {
                view: s.clone(),
                type_short: short_uri(&s.service_type, 2),
                status_short: short_uri(&s.status, 1),
                active: ["granted", "accredited", "recognisedatnationallevel"]
                    .iter()
                    .any(|a| s.status.ends_with(a)),
                status_start: format_time(s.status_start),
            })
            .collect(),
        view: list.clone(),
    }
}

async fn page(State(state): State<RegistryState>, env: PageEnv) -> Result<Response, WebError> {
    let tr = env.tr();
    let view = state.view.snapshot();
    let now = state.clock.now();
    let page = RegistryPage {
        chrome: Chrome::new(&env).with_nav(&env, &[("nav.registry", BASE)]),
        tr,
        verified_at: view.verified_at.map(format_time),
        lists: view.lists.iter().map(|l| list_row(l, now, tr)).collect(),
        failures: view.failures,
        policy: view.policy,
    };
    Ok(render(&page))
}

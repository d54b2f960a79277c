//! The audit trail of the registrar's university, oldest first, append-only.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use kakehashi_storage::Store;
use serde::Deserialize;

use super::{BASE, Registrar, SignedIn, chrome};
use crate::WebError;
use crate::i18n::Tr;
use crate::page::{Chrome, PageEnv, format_time, render};

/// Entries per page.
const PAGE_SIZE: usize = 50;
/// Entries read per store call while filtering by university.
const BATCH: u32 = 200;
/// Most store calls per page, so a page of a busy node cannot scan the whole trail.
const MAX_BATCHES: usize = 20;

/// One row.
pub struct AuditRow {
    pub sequence: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub raw_action: String,
    pub target: String,
    pub details: Vec<String>,
}

#[derive(Template)]
#[template(path = "registrar/audit.html")]
struct AuditPage {
    chrome: Chrome,
    tr: Tr,
    university: String,
    rows: Vec<AuditRow>,
    next: Option<String>,
    not_first: bool,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    after: Option<i64>,
}

/// `details` without the university, as `key: value` lines.
fn details_text(details: &serde_json::Value) -> Vec<String> {
    match details {
        serde_json::Value::Object(map) => map
            .iter()
            .filter(|(k, _)| k.as_str() != "university")
            .map(|(k, v)| match v {
                // Hashes and ids stay in the store; a prefix is enough to tell them apart.
                serde_json::Value::String(s) if s.chars().count() > 24 => {
                    format!("{k}: {}…", s.chars().take(12).collect::<String>())
                }
                serde_json::Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect(),
        serde_json::Value::Null => Vec::new(),
        other => vec![other.to_string()],
    }
}

/// `GET /registrar/audit`.
pub async fn page<S: Store + Clone + 'static>(
    State(state): State<Registrar<S>>,
    env: PageEnv,
    who: SignedIn,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    let tr = env.tr();
    let slug = who.university.slug.as_str();
    let mut cursor = q.after.unwrap_or(0).max(0);
    let mut rows = Vec::new();
    let mut exhausted = false;
    for _ in 0..MAX_BATCHES {
        let batch = state.store.audit_entries(cursor, BATCH).await?;
        let full = batch.len() == usize::try_from(BATCH).unwrap_or(usize::MAX);
        for e in batch {
            if rows.len() == PAGE_SIZE {
                break;
            }
            cursor = e.sequence;
            if e.details.get("university").and_then(|u| u.as_str()) != Some(slug) {
                continue;
            }
            let key = format!("audit.action.{}", e.action);
            rows.push(AuditRow {
                sequence: e.sequence,
                at: format_time(e.at),
                actor: e.actor,
                action: if Tr::has(&key) {
                    tr.t(&key).to_owned()
                } else {
                    tr.t("audit.action.other").to_owned()
                },
                raw_action: e.action,
                target: e.target,
                details: details_text(&e.details),
            });
        }
        if rows.len() == PAGE_SIZE {
            break;
        }
        if !full {
            exhausted = true;
            break;
        }
    }
    let next = (!exhausted).then(|| format!("{BASE}/audit?after={cursor}"));
    let page = AuditPage {
        chrome: chrome(&env, &who),
        tr,
        university: who.university.name(tr),
        rows,
        next,
        not_first: q.after.is_some_and(|a| a > 0),
    };
    Ok(render(&page))
}

//! Presenting: open a verifier's request (same-device link `/wallet/present?client_id=…&
//! request_uri=…`, or a pasted `openid4vp://` link), the consent screen listing exactly which
//! claims of which credential go to which verifier, accept or decline, the outcome, and the
//! history of what was shared.

use askama::Template;
use axum::extract::{Form, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use kakehashi_core::form;
use kakehashi_storage::Store;
use kakehashi_wallet::{Choice, WalletError};
use serde::Deserialize;
use serde_json::Value;

use super::credentials::{internal, wallet_message};
use super::view::{ClaimRow, claim_rows, credential_name, issuer_name, path_label, text_in};
use super::{BASE, HolderSignedIn, WalletPages, chrome};
use crate::WebError;
use crate::i18n::Tr;
use crate::page::{Chrome, PageEnv, encode_segment, format_time, render};

#[derive(Template)]
#[template(path = "wallet/present.html")]
struct OpenPage {
    chrome: Chrome,
    tr: Tr,
    csrf: String,
    link: String,
    error: Option<&'static str>,
    detail: Option<String>,
}

/// One credential on the consent screen.
pub struct ConsentCard {
    pub name: String,
    pub issuer: String,
    pub claims: Vec<ClaimRow>,
    pub whole_credential: bool,
}

#[derive(Template)]
#[template(path = "wallet/consent.html")]
struct ConsentPage {
    chrome: Chrome,
    tr: Tr,
    csrf: String,
    action: String,
    verifier_name: String,
    client_id: String,
    dns_names: String,
    response_host: String,
    encrypted: bool,
    trusted: bool,
    cards: Vec<ConsentCard>,
    expires_minutes: i64,
}

/// The request link of a same-device request: the authorization request parameters
/// themselves (`client_id`, `request_uri`, `request_uri_method`), or a whole link in
/// `request_uri` / `link`.
fn link_from_query(query: Option<&str>) -> String {
    let Ok(pairs) = form::decode(query.unwrap_or_default()) else {
        return String::new();
    };
    let request_uri = form::get(&pairs, "request_uri").unwrap_or_default();
    if form::get(&pairs, "client_id").is_some() {
        let params: Vec<(&str, &str)> = pairs
            .iter()
            .filter(|(k, _)| {
                matches!(
                    k.as_str(),
                    "client_id" | "request_uri" | "request_uri_method"
                )
            })
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        return format!("openid4vp://?{}", form::encode(&params));
    }
    form::get(&pairs, "link").unwrap_or(request_uri).to_owned()
}

/// `GET /wallet/present`: with a request, fetch it and ask for consent; without, the form to
/// paste a link.
pub async fn open<S: Store + Clone + 'static>(
    State(state): State<WalletPages<S>>,
    env: PageEnv,
    who: HolderSignedIn,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let link = link_from_query(query.as_deref());
    if link.is_empty() {
        return Ok(render(&OpenPage {
            chrome: chrome(&env, &who),
            tr: env.tr(),
            csrf: who.session.csrf_token.clone(),
            link,
            error: None,
            detail: None,
        }));
    }
    prepare(&state, &env, &who, link).await
}

#[derive(Deserialize)]
pub struct PasteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    link: String,
}

/// `POST /wallet/present`: a pasted `openid4vp://` link.
pub async fn open_pasted<S: Store + Clone + 'static>(
    State(state): State<WalletPages<S>>,
    env: PageEnv,
    who: HolderSignedIn,
    Form(form): Form<PasteForm>,
) -> Result<Response, WebError> {
    who.check_csrf(&form.csrf)?;
    prepare(&state, &env, &who, form.link.trim().to_owned()).await
}

async fn prepare<S: Store + Clone + 'static>(
    state: &WalletPages<S>,
    env: &PageEnv,
    who: &HolderSignedIn,
    link: String,
) -> Result<Response, WebError> {
    let tr = env.tr();
    let prepared = state
        .context
        .wallet(who.holder.clone())
        .prepare_presentation(&link)
        .await;
    let consent = match prepared {
        Ok(c) => c,
        Err(e @ (WalletError::Key(_) | WalletError::Storage(_))) => return Err(internal(e)),
        Err(e) => {
            tracing::info!(error = %e, "presentation request not opened");
            let status = match e {
                WalletError::NoMatchingCredential => StatusCode::UNPROCESSABLE_ENTITY,
                WalletError::UntrustedRequest(_) | WalletError::InvalidInput(_) => {
                    StatusCode::BAD_REQUEST
                }
                _ => StatusCode::BAD_GATEWAY,
            };
            let mut r = render(&OpenPage {
                chrome: chrome(env, who),
                tr,
                csrf: who.session.csrf_token.clone(),
                link,
                error: Some(wallet_message(&e)),
                detail: Some(e.to_string()),
            });
            *r.status_mut() = status;
            return Ok(r);
        }
    };
    let lifetime = state.config.consent_lifetime_seconds;
    // Parked in the shared store: the answer may reach another node.
    state
        .context
        .wallet(who.holder.clone())
        .park_consent(&consent)
        .await
        .map_err(internal)?;
    let cards = consent
        .items
        .iter()
        .map(|item| ConsentCard {
            name: credential_name(&item.display, tr),
            issuer: item
                .display
                .get("issuer_name")
                .and_then(|n| text_in(n, tr.lang()))
                .unwrap_or_default(),
            claims: item
                .claims
                .iter()
                .flat_map(|c| {
                    let label = text_in(&Value::Object(c.label.clone()), tr.lang())
                        .unwrap_or_else(|| path_label(&c.path, tr));
                    let path = c.path.as_array().cloned().unwrap_or_default();
                    claim_rows(label, &c.value, &path, tr)
                })
                .collect(),
            whole_credential: item.whole_credential,
        })
        .collect();
    let v = &consent.verifier;
    Ok(render(&ConsentPage {
        chrome: chrome(env, who),
        tr,
        csrf: who.session.csrf_token.clone(),
        action: format!("{BASE}/consents/{}", encode_segment(&consent.id)),
        verifier_name: v.name.clone(),
        client_id: v.client_id.clone(),
        dns_names: v.dns_names.join(", "),
        response_host: host_of(&v.response_uri),
        encrypted: v.encrypted_response,
        trusted: v.trusted,
        cards,
        expires_minutes: (lifetime / 60).max(1),
    }))
}

/// The host of an https URL, for "your answer goes to …".
fn host_of(url: &str) -> String {
    url.strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .unwrap_or(url)
        .to_owned()
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

#[derive(Template)]
#[template(path = "wallet/outcome.html")]
struct OutcomePage {
    chrome: Chrome,
    tr: Tr,
    presented: bool,
    declined: bool,
    verifier_name: String,
    redirect_uri: Option<String>,
    error: Option<&'static str>,
    detail: Option<String>,
}

/// `POST /wallet/consents/{id}`: share or decline, once.
pub async fn decide<S: Store + Clone + 'static>(
    State(state): State<WalletPages<S>>,
    env: PageEnv,
    who: HolderSignedIn,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, WebError> {
    who.check_csrf(&form.csrf)?;
    let choice = match form.decision.as_str() {
        "accept" => Choice::Accept,
        "decline" => Choice::Decline,
        _ => {
            return Err(WebError::BadRequest(
                "decision must be accept or decline".into(),
            ));
        }
    };
    let tr = env.tr();
    // Taken out once (on whichever node prepared it); someone else's id finds nothing.
    let wallet = state.context.wallet(who.holder.clone());
    let consent = match wallet.take_consent(&id).await {
        Ok(c) => c,
        Err(e @ (WalletError::NotFound(_) | WalletError::ConsentExpired)) => {
            let mut r = render(&OutcomePage {
                chrome: chrome(&env, &who),
                tr,
                presented: false,
                declined: false,
                verifier_name: String::new(),
                redirect_uri: None,
                error: Some(match e {
                    WalletError::ConsentExpired => "wallet.error.consent_expired",
                    _ => "wallet.error.consent_gone",
                }),
                detail: None,
            });
            *r.status_mut() = StatusCode::GONE;
            return Ok(r);
        }
        Err(e) => return Err(internal(e)),
    };
    let verifier_name = consent.verifier.name.clone();
    let outcome = wallet.present(consent, choice).await;
    let page = match outcome {
        Ok(o) => {
            tracing::info!(presented = o.presented, "presentation answered");
            OutcomePage {
                chrome: chrome(&env, &who),
                tr,
                presented: o.presented,
                declined: choice == Choice::Decline,
                verifier_name,
                redirect_uri: o.redirect_uri.filter(|u| u.starts_with("https://")),
                error: None,
                detail: None,
            }
        }
        Err(e @ (WalletError::Key(_) | WalletError::Storage(_))) => return Err(internal(e)),
        Err(e) => OutcomePage {
            chrome: chrome(&env, &who),
            tr,
            presented: false,
            declined: false,
            verifier_name,
            redirect_uri: None,
            error: Some(wallet_message(&e)),
            detail: Some(e.to_string()),
        },
    };
    let failed = page.error.is_some();
    let mut r = render(&page);
    if failed {
        *r.status_mut() = StatusCode::BAD_GATEWAY;
    }
    Ok(r)
}

/// One presentation in the history.
pub struct HistoryRow {
    pub when: String,
    pub verifier_name: String,
    pub verifier: String,
    pub credentials: Vec<(String, Vec<String>)>,
}

#[derive(Template)]
#[template(path = "wallet/history.html")]
struct HistoryPage {
    chrome: Chrome,
    tr: Tr,
    rows: Vec<HistoryRow>,
}

/// `GET /wallet/history`: what was shared with whom, newest first.
pub async fn history<S: Store + Clone + 'static>(
    State(state): State<WalletPages<S>>,
    env: PageEnv,
    who: HolderSignedIn,
) -> Result<Response, WebError> {
    let tr = env.tr();
    let wallet = state.context.wallet(who.holder.clone());
    let records = wallet.history().await.map_err(internal)?;
    let held = wallet.credentials().await.map_err(internal)?;
    let rows = records
        .iter()
        .map(|r| {
            let claims = r.disclosed["claims"].as_object();
            let credentials = r
                .credential_ids
                .iter()
                .map(|cid| {
                    let name = held.iter().find(|c| &c.id == cid).map_or_else(
                        || tr.t("wallet.history.deleted").to_owned(),
                        |c| {
                            format!(
                                "{} — {}",
                                credential_name(&c.display, tr),
                                issuer_name(&c.display, &c.issuer, tr)
                            )
                        },
                    );
                    let labels = claims
                        .and_then(|m| m.get(cid))
                        .and_then(Value::as_array)
                        .map(|paths| {
                            paths
                                .iter()
                                .map(|p| {
                                    let display = held
                                        .iter()
                                        .find(|c| &c.id == cid)
                                        .and_then(|c| c.display["claims"].get(p.to_string()))
                                        .and_then(|l| text_in(l, tr.lang()));
                                    display.unwrap_or_else(|| path_label(p, tr))
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    (name, labels)
                })
                .collect();
            HistoryRow {
                when: format_time(r.presented_at),
                verifier_name: r.disclosed["verifier_name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                verifier: r.verifier.clone(),
                credentials,
            }
        })
        .collect();
    Ok(render(&HistoryPage {
        chrome: chrome(&env, &who),
        tr,
        rows,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_device_requests_become_links() {
        assert_eq!(
            link_from_query(Some(
                "client_id=x509_san_dns%3Av.example&request_uri=https%3A%2F%2Fv.example%2Fr%2F1&lang=ja"
            )),
            "openid4vp://?client_id=x509_san_dns%3Av.example&request_uri=https%3A%2F%2Fv.example%2Fr%2F1"
        );
        assert_eq!(
            link_from_query(Some("link=openid4vp%3A%2F%2F%3Fclient_id%3Dx")),
            "openid4vp://?client_id=x"
        );
        assert_eq!(link_from_query(Some("lang=en")), "");
        assert_eq!(
            host_of("https://v.example/verifier/response/1"),
            "v.example"
        );
    }
}

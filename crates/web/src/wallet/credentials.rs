//! The student's credentials: the list, one credential's claims, and receiving a new one from
//! an offer link (same-device `/wallet/receive?credential_offer_uri=…`, `?offer=<link>`, or a
//! pasted `openid-credential-offer://` link) with the transaction code when the offer asks for
//! one.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kakehashi_core::form;
use kakehashi_oid4vci::offer::{CredentialOfferRequest, InputMode};
use kakehashi_storage::Store;
use kakehashi_wallet::{StoredCredential, WalletError};
use serde::Deserialize;

use super::view::{ClaimRow, credential_name, issuer_name, rows};
use super::{BASE, HolderSignedIn, WalletPages, chrome};
use crate::WebError;
use crate::i18n::Tr;
use crate::page::{Chrome, PageEnv, encode_segment, format_time, render};

/// One credential in the list.
pub struct CredentialCard {
    pub href: String,
    pub name: String,
    pub issuer: String,
    pub format: &'static str,
    pub received: String,
    /// How many copies of the same credential the issuer sent (a batch: one holder key each,
    /// so that two verifiers cannot link the presentations).
    pub copies: usize,
}

/// Whether two stored credentials are copies of one issuance (same issuer, format, display
/// data and time of receipt).
fn same_issuance(a: &StoredCredential, b: &StoredCredential) -> bool {
    a.issuer == b.issuer
        && a.format == b.format
        && a.display == b.display
        && a.received_at == b.received_at
}

/// One card per issuance, newest first.
fn cards(held: &[StoredCredential], tr: Tr) -> Vec<CredentialCard> {
    let mut out: Vec<(CredentialCard, &StoredCredential)> = Vec::new();
    for c in held.iter().rev() {
        match out.last_mut() {
            Some((card, first)) if same_issuance(first, c) => card.copies += 1,
            _ => out.push((card(c, tr), c)),
        }
    }
    out.into_iter().map(|(card, _)| card).collect()
}

fn format_key(format: &str) -> &'static str {
    match format {
        "dc+sd-jwt" => "wallet.format.sd_jwt",
        "jwt_vc_json" => "wallet.format.vc_jwt",
        _ => "wallet.format.other",
    }
}

fn card(c: &StoredCredential, tr: Tr) -> CredentialCard {
    CredentialCard {
        href: format!("{BASE}/credentials/{}", encode_segment(&c.id)),
        name: credential_name(&c.display, tr),
        issuer: issuer_name(&c.display, &c.issuer, tr),
        format: format_key(&c.format),
        received: format_time(c.received_at),
        copies: 1,
    }
}

/// Maps a wallet refusal to a message key the student can act on.
pub(crate) fn wallet_message(e: &WalletError) -> &'static str {
    match e {
        WalletError::NoMatchingCredential => "wallet.error.no_match",
        WalletError::UntrustedRequest(_) => "wallet.error.untrusted_request",
        WalletError::InvalidOffer(_) => "wallet.error.invalid_offer",
        WalletError::TxCode(_) => "wallet.error.tx_code",
        WalletError::AuthorizationRequired => "wallet.error.authorization_required",
        WalletError::Issuer(_) => "wallet.error.issuer",
        WalletError::CredentialRejected(_) => "wallet.error.rejected",
        WalletError::DeferredPending { .. } => "wallet.error.deferred",
        WalletError::Verifier(_) => "wallet.error.verifier",
        WalletError::ConsentExpired => "wallet.error.consent_expired",
        WalletError::NotFound(_) => "wallet.error.not_found",
        WalletError::InvalidInput(_) => "wallet.error.invalid_input",
        WalletError::Http(_) => "wallet.error.network",
        _ => "wallet.error.internal",
    }
}

/// Wallet failures that are the service's, not the student's: shown as the error page.
pub(crate) fn internal(e: WalletError) -> WebError {
    match e {
        WalletError::Storage(s) => WebError::Storage(s),
        other => WebError::Internal(other.to_string()),
    }
}

#[derive(Template)]
#[template(path = "wallet/credentials.html")]
struct ListPage {
    chrome: Chrome,
    tr: Tr,
    cards: Vec<CredentialCard>,
    received: Option<usize>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    received: Option<usize>,
}

/// `GET /wallet/credentials`.
pub async fn list<S: Store + Clone + 'static>(
    State(state): State<WalletPages<S>>,
    env: PageEnv,
    who: HolderSignedIn,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let tr = env.tr();
    let held = state
        .context
        .wallet(who.holder.clone())
        .credentials()
        .await
        .map_err(internal)?;
    // Newest first: the one just received is on top.
    let cards = cards(&held, tr);
    Ok(render(&ListPage {
        chrome: chrome(&env, &who),
        tr,
        cards,
        received: q.received,
    }))
}

#[derive(Template)]
#[template(path = "wallet/credential.html")]
struct DetailPage {
    chrome: Chrome,
    tr: Tr,
    card: CredentialCard,
    issuer_id: String,
    claims: Vec<ClaimRow>,
}

/// `GET /wallet/credentials/{id}`.
pub async fn detail<S: Store + Clone + 'static>(
    State(state): State<WalletPages<S>>,
    env: PageEnv,
    who: HolderSignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let tr = env.tr();
    let wallet = state.context.wallet(who.holder.clone());
    let c = match wallet.credential(&id).await {
        Ok(c) => c,
        Err(WalletError::NotFound(_)) => return Err(WebError::NotFound),
        Err(e) => return Err(internal(e)),
    };
    let claims = wallet.credential_claims(&id).await.map_err(internal)?;
    // The diploma itself sits under `credentialSubject` in a W3C VC: show that part.
    let shown = claims.get("credentialSubject").unwrap_or(&claims);
    let claims = rows(shown, c.display["claims"].as_object(), tr, true);
    Ok(render(&DetailPage {
        chrome: chrome(&env, &who),
        tr,
        card: card(&c, tr),
        issuer_id: c.issuer.clone(),
        claims,
    }))
}

/// What the receive form shows about the transaction code.
#[derive(Debug, Clone, Default)]
pub struct TxCodeHint {
    /// The offer asks for one (by-value offers say so; by-reference ones only on redemption).
    pub required: bool,
    pub numeric: bool,
    pub length: Option<u32>,
    pub description: Option<String>,
}

/// Reads what a by-value offer says about the transaction code (a by-reference offer is only
/// fetched on redemption, so the field is then shown as optional).
fn tx_code_hint(offer: &str) -> TxCodeHint {
    match CredentialOfferRequest::parse_uri(offer) {
        Ok(CredentialOfferRequest::ByValue(o)) => {
            match o
                .grants
                .as_ref()
                .and_then(|g| g.pre_authorized_code.as_ref())
                .and_then(|g| g.tx_code.as_ref())
            {
                Some(tx) => TxCodeHint {
                    required: true,
                    numeric: tx.input_mode.is_none_or(|m| m == InputMode::Numeric),
                    length: tx.length,
                    description: tx.description.clone(),
                },
                None => TxCodeHint::default(),
            }
        }
        _ => TxCodeHint::default(),
    }
}

#[derive(Template)]
#[template(path = "wallet/receive.html")]
struct ReceivePage {
    chrome: Chrome,
    tr: Tr,
    csrf: String,
    offer: String,
    tx: TxCodeHint,
    /// i18n key of the error above the form.
    error: Option<&'static str>,
    detail: Option<String>,
}

/// The offer link of a same-device request: `?offer=<link>`, or the offer parameters
/// themselves (`?credential_offer_uri=…` / `?credential_offer=…`, the wallet's credential offer
/// endpoint).
fn offer_from_query(query: Option<&str>) -> String {
    let query = query.unwrap_or_default();
    let Ok(pairs) = form::decode(query) else {
        return String::new();
    };
    if let Some(link) = form::get(&pairs, "offer") {
        return link.to_owned();
    }
    let params: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(k, _)| k == "credential_offer" || k == "credential_offer_uri")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if params.is_empty() {
        String::new()
    } else {
        format!("openid-credential-offer://?{}", form::encode(&params))
    }
}

/// `GET /wallet/receive`.
pub async fn receive_page(
    env: PageEnv,
    who: HolderSignedIn,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, WebError> {
    let offer = offer_from_query(query.as_deref());
    Ok(render(&ReceivePage {
        chrome: chrome(&env, &who),
        tr: env.tr(),
        csrf: who.session.csrf_token.clone(),
        tx: tx_code_hint(&offer),
        offer,
        error: None,
        detail: None,
    }))
}

#[derive(Deserialize)]
pub struct ReceiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    offer: String,
    #[serde(default)]
    tx_code: String,
}

/// `POST /wallet/receive`: redeems the offer; every credential is verified by the wallet
/// before it is stored.
pub async fn receive<S: Store + Clone + 'static>(
    State(state): State<WalletPages<S>>,
    env: PageEnv,
    who: HolderSignedIn,
    Form(form): Form<ReceiveForm>,
) -> Result<Response, WebError> {
    who.check_csrf(&form.csrf)?;
    let offer = form.offer.trim().to_owned();
    let tx_code = form.tx_code.trim().to_owned();
    let failed = |key: &'static str, detail: Option<String>, tx: TxCodeHint| ReceivePage {
        chrome: chrome(&env, &who),
        tr: env.tr(),
        csrf: who.session.csrf_token.clone(),
        offer: offer.clone(),
        tx,
        error: Some(key),
        detail,
    };
    if offer.is_empty() {
        let mut r = render(&failed("wallet.receive.empty", None, TxCodeHint::default()));
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(r);
    }
    let result = state
        .context
        .wallet(who.holder.clone())
        .receive(&offer, Some(tx_code.as_str()).filter(|t| !t.is_empty()))
        .await;
    match result {
        Ok(got) => {
            tracing::info!(holder = %who.holder.as_str(), count = got.len(), "credential received");
            // Copies of one batch are one credential to the student.
            let issued = cards(&got, env.tr()).len();
            Ok(Redirect::to(&format!("{BASE}/credentials?received={issued}")).into_response())
        }
        Err(e @ (WalletError::Key(_) | WalletError::Storage(_))) => Err(internal(e)),
        Err(e) => {
            tracing::info!(error = %e, "credential not received");
            let mut tx = tx_code_hint(&offer);
            if matches!(e, WalletError::TxCode(_)) || !tx_code.is_empty() {
                tx.required = true;
            }
            let status = match &e {
                WalletError::TxCode(_)
                | WalletError::InvalidOffer(_)
                | WalletError::InvalidInput(_) => StatusCode::BAD_REQUEST,
                _ => StatusCode::BAD_GATEWAY,
            };
            let mut r = render(&failed(wallet_message(&e), Some(e.to_string()), tx));
            *r.status_mut() = status;
            Ok(r)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_of_one_issuance_are_one_card() {
        let held = |id: &str, at: i64| StoredCredential {
            id: id.into(),
            format: "dc+sd-jwt".into(),
            raw: String::new(),
            issuer: "https://issuer.example".into(),
            display: serde_json::json!({"name": {"en": "Diploma"}}),
            holder_key_id: None,
            received_at: kakehashi_core::UnixTime(at),
        };
        let list = [
            held("h/a", 1),
            held("h/b", 2),
            held("h/c", 2),
            held("h/d", 2),
        ];
        let got = cards(&list, Tr(crate::Lang::En));
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].copies, got[0].href.as_str()),
            (3, "/wallet/credentials/h%2Fd")
        );
        assert_eq!(got[1].copies, 1);
    }

    #[test]
    fn offers_from_same_device_links() {
        assert_eq!(
            offer_from_query(Some(
                "credential_offer_uri=https%3A%2F%2Fissuer.example%2Foffers%2F1&lang=ja"
            )),
            "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Foffers%2F1"
        );
        assert_eq!(
            offer_from_query(Some("offer=openid-credential-offer%3A%2F%2F%3Fx%3D1")),
            "openid-credential-offer://?x=1"
        );
        assert_eq!(offer_from_query(None), "");
    }

    #[test]
    fn by_value_offers_say_whether_a_code_is_needed() {
        let offer = serde_json::json!({
            "credential_issuer": "https://issuer.example",
            "credential_configuration_ids": ["diploma"],
            "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": {
                "pre-authorized_code": "abc",
                "tx_code": {"input_mode": "numeric", "length": 6, "description": "From the registrar"}
            }}
        });
        let uri = format!(
            "openid-credential-offer://?{}",
            form::encode(&[("credential_offer", &offer.to_string())])
        );
        let hint = tx_code_hint(&uri);
        assert!(hint.required && hint.numeric);
        assert_eq!(hint.length, Some(6));
        assert!(
            !tx_code_hint(
                "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fi.example%2Fo"
            )
            .required
        );
    }
}

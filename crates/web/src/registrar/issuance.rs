//! Issuing from the registrar portal: a signed-in registrar makes a credential offer for one
//! of their university's graduates (QR code, `openid-credential-offer://` link, same-device
//! web-wallet link, transaction code shown once), sees the graduate's offers and credentials
//! with their state, and suspends, reinstates or (after a confirmation) revokes them.
//!
//! The work is done by the university's OpenID4VCI issuer ([`IssuerState`], `kakehashi-http-
//! issuer`); this module is its registrar-facing side, plugged in through the portal's two
//! extension points ([`GraduateActions`] and [`RegistrarPortal::with_routes`]). A registrar only
//! ever reaches the issuer of their own university: the graduate id must carry the university's
//! prefix and the credential must be about that graduate, otherwise the answer is 404, exactly
//! as for a record that does not exist.
//!
//! Secrets: the pre-authorized code and the transaction code are derived from the offer id by
//! the issuer and only their hashes are stored. The transaction code is shown in the response
//! to the POST that made the offer (`Cache-Control: no-store`) and nowhere else; the audit trail
//! and the logs get the offer id and its expiry, never a code.
//!
//! ```text
//! GET  /registrar/graduates/{id}/credentials                       offers + credentials, states
//! POST /registrar/graduates/{id}/offers                            new offer -> QR, link, tx_code
//! GET  /registrar/graduates/{id}/credentials/{cid}/confirm-revoke  "revocation is final"
//! POST /registrar/graduates/{id}/credentials/{cid}/{action}        revoke | suspend | reinstate
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kakehashi_academic::model::Diploma;
use kakehashi_core::UnixTime;
use kakehashi_http_issuer::status::credential_state;
use kakehashi_http_issuer::{
    CredentialState, GraduateRecord, IssuerError, IssuerState, OfferOptions, Profile, StatusAction,
    change_credential_status, create_offer_for_graduate,
};
use kakehashi_storage::{Graduate, IssuedCredential, StorageError, Store};
use serde::Deserialize;

use super::actions::{ActionLink, ActionStyle, GraduateActions, GraduateSummary};
use super::{BASE, Registrar, RegistrarPortal, SignedIn, audit, chrome};
use crate::i18n::Tr;
use crate::page::{Chrome, PageEnv, encode_segment, format_time, render};
use crate::{Lang, WebError};

/// The issuers of the universities on this node, by university slug, and where the student
/// web wallet receives offers.
pub struct Issuance<S> {
    issuers: HashMap<String, IssuerState<S>>,
    wallet_receive_url: Option<String>,
}

impl<S> Issuance<S> {
    /// One issuer per university slug ([`super::University::slug`]). The web-wallet link of an
    /// offer defaults to `/wallet/receive` at the origin of the university's issuer.
    pub fn new(issuers: HashMap<String, IssuerState<S>>) -> Self {
        Self {
            issuers,
            wallet_receive_url: None,
        }
    }

    /// The absolute URL of the web wallet's receive page (`https://host/wallet/receive`), when
    /// the wallet is not served at the issuer's origin.
    pub fn with_wallet_receive_url(mut self, url: impl Into<String>) -> Self {
        self.wallet_receive_url = Some(url.into());
        self
    }

    /// The same-device link: the web wallet's receive page with the offer URI as `offer`.
    fn wallet_link(&self, issuer: &IssuerState<S>, offer_uri: &str) -> String {
        let base = self.wallet_receive_url.clone().unwrap_or_else(|| {
            format!(
                "{}/wallet/receive",
                origin(&issuer.identity.credential_issuer)
            )
        });
        format!("{base}?offer={}", encode_segment(offer_uri))
    }
}

/// `https://host:port` of an `https://host:port/path` URL.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..]
        .find('/')
        .map_or(url, |i| &url[..after_scheme + i])
}

impl<S: Store + Clone + 'static> RegistrarPortal<S> {
    /// Lets the registrars of each university issue with that university's issuer (keys are
    /// university slugs). Shorthand for [`RegistrarPortal::with_issuance`].
    pub fn with_issuers(self, issuers: HashMap<String, IssuerState<S>>) -> Self {
        self.with_issuance(Issuance::new(issuers))
    }

    /// Adds the issuance pages and the "issue" action on graduates' pages.
    pub fn with_issuance(self, issuance: Issuance<S>) -> Self {
        let issuance = Arc::new(issuance);
        let links = IssueLinks {
            universities: issuance.issuers.keys().cloned().collect(),
        };
        self.with_actions(Arc::new(links))
            .with_routes(routes::<S>().layer(Extension(issuance)))
    }
}

fn routes<S: Store + Clone + 'static>() -> Router<Registrar<S>> {
    Router::new()
        .route(
            &format!("{BASE}/graduates/{{id}}/credentials"),
            get(credentials_page::<S>),
        )
        .route(
            &format!("{BASE}/graduates/{{id}}/offers"),
            post(create_offer::<S>),
        )
        .route(
            &format!("{BASE}/graduates/{{id}}/credentials/{{cid}}/confirm-revoke"),
            get(confirm_revoke::<S>),
        )
        .route(
            &format!("{BASE}/graduates/{{id}}/credentials/{{cid}}/{{action}}"),
            post(change_status::<S>),
        )
}

/// The graduate page's link to the issuance page, for universities that have an issuer.
struct IssueLinks {
    universities: Vec<String>,
}

impl GraduateActions for IssueLinks {
    fn actions(&self, graduate: &GraduateSummary, tr: Tr) -> Vec<ActionLink> {
        if !self.universities.contains(&graduate.university) {
            return Vec::new();
        }
        vec![ActionLink {
            label: tr.t("issue.action").to_owned(),
            description: tr.t("issue.action.hint").to_owned(),
            href: credentials_href(&graduate.id),
            style: ActionStyle::Primary,
        }]
    }
}

fn credentials_href(graduate_id: &str) -> String {
    format!(
        "{BASE}/graduates/{}/credentials",
        encode_segment(graduate_id)
    )
}

fn web_error(e: IssuerError) -> WebError {
    match e {
        IssuerError::NotFound(_) => WebError::NotFound,
        IssuerError::BadRequest(m) => WebError::BadRequest(m),
        IssuerError::Storage(e) => WebError::Storage(e),
        other => WebError::Internal(other.to_string()),
    }
}

/// The registrar's issuer and the graduate, or 404 when the graduate is not one of the
/// registrar's university (or the university issues nothing here).
async fn scope<'a, S: Store + Clone + 'static>(
    issuance: &'a Issuance<S>,
    who: &SignedIn,
    graduate_id: &str,
) -> Result<(&'a IssuerState<S>, Graduate), WebError> {
    if !graduate_id.starts_with(&who.university.graduate_prefix()) {
        return Err(WebError::NotFound);
    }
    let issuer = issuance
        .issuers
        .get(&who.university.slug)
        .ok_or(WebError::NotFound)?;
    let graduate = issuer.store.graduate(graduate_id).await?;
    Ok((issuer, graduate))
}

/// The diploma of a record in either shape the store holds: the issuer's [`GraduateRecord`]
/// or a bare [`Diploma`] (records added in the portal before issuance was configured).
fn diploma_of(graduate: &Graduate) -> Option<Diploma> {
    GraduateRecord::from_graduate(graduate)
        .map(|r| r.diploma)
        .ok()
        .or_else(|| serde_json::from_value(graduate.record.clone()).ok())
}

/// Brings a bare-diploma record into the issuer's shape (approved: the registrar is the one
/// asking for it) so the issuer can read it.
async fn ensure_issuer_record<S: Store + Clone + 'static>(
    issuer: &IssuerState<S>,
    graduate: &Graduate,
    now: UnixTime,
) -> Result<(), WebError> {
    if GraduateRecord::from_graduate(graduate).is_ok() {
        return Ok(());
    }
    let diploma: Diploma = serde_json::from_value(graduate.record.clone())
        .map_err(|e| WebError::Storage(StorageError::corrupt("graduate record", e)))?;
    let record = GraduateRecord {
        diploma,
        approval: Default::default(),
        sign_in_code_sha256: None,
    };
    issuer
        .store
        .upsert_graduate(&record.to_graduate(&graduate.id, now))
        .await?;
    Ok(())
}

fn heading(graduate: &Graduate) -> String {
    diploma_of(graduate)
        .map(|d| {
            let h = &d.holder;
            [h.family_name.best("ja-Latn"), h.given_name.best("ja-Latn")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| graduate.id.clone())
}

fn profile_key(profile: Profile) -> &'static str {
    match profile {
        Profile::Eu => "issue.profile.eu",
        Profile::Jp => "issue.profile.jp",
    }
}

/// A credential or an open offer, as a row of the page.
pub struct CredentialRow {
    /// i18n key of the kind (offer / credential).
    pub kind: &'static str,
    pub id: String,
    /// Copies in the student's wallet (one per holder key); 1 for offers.
    pub copies: usize,
    pub at: String,
    /// i18n key of the state.
    pub state: &'static str,
    /// Badge class.
    pub badge: &'static str,
    /// For open offers: when they stop working.
    pub expires: Option<String>,
    /// POST targets (`suspend`, `reinstate`) with their label keys.
    pub posts: Vec<(String, &'static str)>,
    /// The confirmation page of a revocation.
    pub revoke_href: Option<String>,
}

#[derive(Template)]
#[template(path = "registrar/credentials.html")]
struct CredentialsPage {
    chrome: Chrome,
    tr: Tr,
    heading: String,
    graduate_href: String,
    offer_action: String,
    csrf: String,
    issuer: String,
    profile: &'static str,
    rows: Vec<CredentialRow>,
    /// i18n key of the message after an action.
    done: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

/// One row per issuance; the first copy stands for the batch (the portal moves them together).
async fn credential_row<S: Store + Clone + 'static>(
    issuer: &IssuerState<S>,
    graduate_id: &str,
    c: &IssuedCredential,
    copies: usize,
) -> Result<CredentialRow, WebError> {
    let state = match &c.status {
        Some(reference) => Some(
            credential_state(issuer, reference)
                .await
                .map_err(web_error)?,
        ),
        None => None,
    };
    let base = format!(
        "{}/credentials/{}",
        graduate_href(graduate_id),
        encode_segment(&c.id)
    );
    let (state_key, badge, posts, revocable) = match state {
        Some(CredentialState::Valid) => (
            "issue.state.issued",
            "badge ok",
            vec![(format!("{base}/suspend"), "issue.suspend")],
            true,
        ),
        Some(CredentialState::Suspended) => (
            "issue.state.suspended",
            "badge warn",
            vec![(format!("{base}/reinstate"), "issue.reinstate")],
            true,
        ),
        Some(CredentialState::Revoked) => ("issue.state.revoked", "badge bad", Vec::new(), false),
        None => (
            "issue.state.issued_no_status",
            "badge ok",
            Vec::new(),
            false,
        ),
    };
    Ok(CredentialRow {
        kind: "issue.kind.credential",
        id: c.id.clone(),
        copies,
        at: format_time(c.issued_at),
        state: state_key,
        badge,
        expires: None,
        posts,
        revoke_href: revocable.then(|| format!("{base}/confirm-revoke")),
    })
}

fn graduate_href(graduate_id: &str) -> String {
    format!("{BASE}/graduates/{}", encode_segment(graduate_id))
}

/// What makes credentials copies of one issuance: a wallet asks for one credential per fresh
/// holder key (batch issuance, so that presentations cannot be linked), all signed by one
/// request. The issuer records them under `<grant>:<position>` when the grant is known, and
/// always with the same `issued_at`.
fn batch_key(c: &IssuedCredential) -> (String, i64, String) {
    let grant = c
        .idempotency_key
        .as_deref()
        .and_then(|k| k.rsplit_once(':'))
        .map_or_else(String::new, |(grant, _)| grant.to_owned());
    (grant, c.issued_at.seconds(), c.format.clone())
}

/// The graduate's credentials in batches (copies of one issuance together), oldest first.
fn batches(credentials: Vec<IssuedCredential>) -> Vec<Vec<IssuedCredential>> {
    let mut out: Vec<Vec<IssuedCredential>> = Vec::new();
    for c in credentials {
        match out
            .iter_mut()
            .find(|b| b.first().is_some_and(|f| batch_key(f) == batch_key(&c)))
        {
            Some(batch) => batch.push(c),
            None => out.push(vec![c]),
        }
    }
    out
}

/// `GET /registrar/graduates/{id}/credentials`.
pub async fn credentials_page<S: Store + Clone + 'static>(
    State(state): State<Registrar<S>>,
    Extension(issuance): Extension<Arc<Issuance<S>>>,
    env: PageEnv,
    who: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let tr = env.tr();
    let (issuer, graduate) = scope(&issuance, &who, &id).await?;
    let now = state.config.clock.now();
    let mut rows = Vec::new();
    for o in issuer.store.credential_offers_for_subject(&id).await? {
        // A redeemed offer shows up as the credential it became.
        if o.issuer != issuer.identity.credential_issuer || o.used_at.is_some() {
            continue;
        }
        let open = now < o.expires_at;
        rows.push(CredentialRow {
            kind: "issue.kind.offer",
            id: o.id,
            copies: 1,
            at: format_time(o.created_at),
            state: if open {
                "issue.state.offered"
            } else {
                "issue.state.expired"
            },
            badge: if open { "badge warn" } else { "badge" },
            expires: Some(format_time(o.expires_at)),
            posts: Vec::new(),
            revoke_href: None,
        });
    }
    for batch in batches(issuer.store.issued_credentials_for_subject(&id).await?) {
        if let Some(first) = batch.first() {
            rows.push(credential_row(issuer, &id, first, batch.len()).await?);
        }
    }
    let done = match q.done.as_deref() {
        Some("revoke") => Some("issue.done.revoke"),
        Some("suspend") => Some("issue.done.suspend"),
        Some("reinstate") => Some("issue.done.reinstate"),
        _ => None,
    };
    let page = CredentialsPage {
        chrome: chrome(&env, &who),
        tr,
        heading: heading(&graduate),
        graduate_href: graduate_href(&id),
        offer_action: format!("{}/offers", graduate_href(&id)),
        csrf: who.session.csrf_token.clone(),
        issuer: issuer.identity.credential_issuer.clone(),
        profile: profile_key(issuer.identity.profile),
        rows,
        done,
    };
    Ok(render(&page))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

#[derive(Template)]
#[template(path = "registrar/offer.html")]
struct OfferPage {
    chrome: Chrome,
    tr: Tr,
    /// The transaction code is labelled in both languages whatever the page language.
    en: Tr,
    ja: Tr,
    heading: String,
    credentials_href: String,
    /// Trusted markup: the issuer's QR renderer output (no input text is embedded in it).
    qr_svg: String,
    offer_uri: String,
    wallet_link: String,
    tx_code: Option<String>,
    expires: String,
    expires_in: String,
}

/// "15 min" rather than "0 h 15 min" for the usual short offer lifetimes.
fn expires_in(tr: Tr, seconds: i64) -> String {
    if (0..3600).contains(&seconds) {
        tr.t1("offer.minutes", (seconds + 59) / 60)
    } else {
        tr.duration(seconds)
    }
}

/// The QR renderer's SVG document as inline markup with an accessible name.
fn inline_svg(document: &str, label: &str) -> Result<String, WebError> {
    let start = document
        .find("<svg")
        .ok_or_else(|| WebError::Internal("QR code is not SVG".into()))?;
    let label = label
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    Ok(document[start..].replacen(
        "<svg",
        &format!("<svg role=\"img\" aria-label=\"{label}\""),
        1,
    ))
}

/// `POST /registrar/graduates/{id}/offers`: makes a pre-authorized offer (by reference, with a
/// transaction code) and shows it once.
pub async fn create_offer<S: Store + Clone + 'static>(
    State(state): State<Registrar<S>>,
    Extension(issuance): Extension<Arc<Issuance<S>>>,
    env: PageEnv,
    who: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    who.check_csrf(&form.csrf)?;
    let tr = env.tr();
    let (issuer, graduate) = scope(&issuance, &who, &id).await?;
    let now = state.config.clock.now();
    ensure_issuer_record(issuer, &graduate, now).await?;
    let options = OfferOptions {
        tx_code: true,
        by_reference: true,
        lifetime: issuer.config.offer_lifetime,
    };
    let shown = create_offer_for_graduate(issuer, &id, &options)
        .await
        .map_err(web_error)?;
    let stored = issuer.store.credential_offer(&shown.offer_id).await?;
    audit(
        &state,
        &who.user.username,
        "portal.offer_created",
        &id,
        serde_json::json!({
            "university": who.university.slug,
            "offer_id": shown.offer_id,
            "expires": format_time(stored.expires_at),
        }),
    )
    .await?;
    tracing::info!(user = %who.user.username, offer = %shown.offer_id, "credential offer created");
    let page = OfferPage {
        chrome: chrome(&env, &who),
        tr,
        en: Tr(Lang::En),
        ja: Tr(Lang::Ja),
        heading: heading(&graduate),
        credentials_href: credentials_href(&id),
        qr_svg: inline_svg(&shown.qr_svg, tr.t("issue.qr.label"))?,
        wallet_link: issuance.wallet_link(issuer, &shown.offer_uri),
        offer_uri: shown.offer_uri,
        tx_code: shown.tx_code,
        expires: format_time(stored.expires_at),
        expires_in: expires_in(tr, stored.expires_at.seconds() - now.seconds()),
    };
    let mut response = render(&page);
    // The transaction code is in this page: no cache may keep it.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// The credential `cid` of graduate `id` with the other copies of its issuance, in the
/// registrar's scope (404 otherwise).
async fn credential_in_scope<'a, S: Store + Clone + 'static>(
    issuance: &'a Issuance<S>,
    who: &SignedIn,
    id: &str,
    cid: &str,
) -> Result<(&'a IssuerState<S>, Graduate, Vec<IssuedCredential>), WebError> {
    let (issuer, graduate) = scope(issuance, who, id).await?;
    let credential = issuer.store.issued_credential(cid).await?;
    if credential.subject != graduate.id {
        return Err(WebError::NotFound);
    }
    let key = batch_key(&credential);
    let mut batch: Vec<IssuedCredential> = issuer
        .store
        .issued_credentials_for_subject(&graduate.id)
        .await?
        .into_iter()
        .filter(|c| c.id != credential.id && batch_key(c) == key)
        .collect();
    batch.insert(0, credential);
    Ok((issuer, graduate, batch))
}

#[derive(Template)]
#[template(path = "registrar/revoke.html")]
struct RevokePage {
    chrome: Chrome,
    tr: Tr,
    heading: String,
    credential_id: String,
    copies: usize,
    issued: String,
    action: String,
    cancel: String,
    csrf: String,
}

/// `GET /registrar/graduates/{id}/credentials/{cid}/confirm-revoke`.
pub async fn confirm_revoke<S: Store + Clone + 'static>(
    State(_): State<Registrar<S>>,
    Extension(issuance): Extension<Arc<Issuance<S>>>,
    env: PageEnv,
    who: SignedIn,
    Path((id, cid)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (_, graduate, batch) = credential_in_scope(&issuance, &who, &id, &cid).await?;
    let copies = batch.len();
    let credential = batch.into_iter().next().ok_or(WebError::NotFound)?;
    let page = RevokePage {
        chrome: chrome(&env, &who),
        tr: env.tr(),
        heading: heading(&graduate),
        credential_id: credential.id.clone(),
        copies,
        issued: format_time(credential.issued_at),
        action: format!(
            "{}/credentials/{}/revoke",
            graduate_href(&id),
            encode_segment(&credential.id)
        ),
        cancel: credentials_href(&id),
        csrf: who.session.csrf_token.clone(),
    };
    Ok(render(&page))
}

/// `POST /registrar/graduates/{id}/credentials/{cid}/{revoke|suspend|reinstate}`: changes the
/// status list entry, republishes the list, and records who did it.
pub async fn change_status<S: Store + Clone + 'static>(
    State(state): State<Registrar<S>>,
    Extension(issuance): Extension<Arc<Issuance<S>>>,
    who: SignedIn,
    Path((id, cid, action)): Path<(String, String, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    who.check_csrf(&form.csrf)?;
    let parsed = StatusAction::parse(&action).ok_or(WebError::NotFound)?;
    let (issuer, _, batch) = credential_in_scope(&issuance, &who, &id, &cid).await?;
    // Every copy of the issuance moves together; a copy already revoked stays so (a revoke
    // of it is a no-op, anything else would be refused as final).
    let mut new = None;
    for copy in &batch {
        if parsed != StatusAction::Revoke
            && let Some(reference) = &copy.status
            && credential_state(issuer, reference)
                .await
                .map_err(web_error)?
                == CredentialState::Revoked
        {
            continue;
        }
        new = Some(
            change_credential_status(issuer, &copy.id, parsed, &who.user.username)
                .await
                .map_err(web_error)?,
        );
    }
    let Some(new) = new else {
        return Err(WebError::BadRequest(
            "the credential is revoked; revocation is final".into(),
        ));
    };
    audit(
        &state,
        &who.user.username,
        &format!("portal.credential_{action}"),
        &id,
        serde_json::json!({
            "university": who.university.slug,
            "credential": cid,
            "copies": batch.len(),
            "state": new,
        }),
    )
    .await?;
    tracing::info!(user = %who.user.username, credential = %cid, copies = batch.len(), action = %action, "credential status changed");
    Ok(Redirect::to(&format!("{}?done={action}", credentials_href(&id))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_of_issuer_urls() {
        assert_eq!(
            origin("https://host.example/issuers/eu"),
            "https://host.example"
        );
        assert_eq!(
            origin("https://host.example:8443"),
            "https://host.example:8443"
        );
        assert_eq!(origin("https://h/"), "https://h");
    }

    #[test]
    fn inline_svg_drops_the_xml_declaration_and_is_labelled() {
        let svg = inline_svg(
            "<?xml version=\"1.0\" standalone=\"yes\"?><svg xmlns=\"x\"></svg>",
            "QR \"code\"",
        )
        .unwrap();
        assert_eq!(
            svg,
            "<svg role=\"img\" aria-label=\"QR &quot;code&quot;\" xmlns=\"x\"></svg>"
        );
        assert!(inline_svg("<html>", "x").is_err());
    }

    fn issued(id: &str, key: Option<&str>, at: i64) -> IssuedCredential {
        IssuedCredential {
            id: id.into(),
            format: "dc+sd-jwt".into(),
            credential_type: "diploma".into(),
            subject: "grad".into(),
            holder_key_thumbprint: None,
            status: None,
            issued_at: UnixTime(at),
            credential: String::new(),
            idempotency_key: key.map(str::to_owned),
        }
    }

    #[test]
    fn copies_of_one_issuance_are_one_batch() {
        let grouped = batches(vec![
            issued("a", Some("grant-1:0"), 10),
            issued("b", Some("grant-1:1"), 10),
            issued("c", Some("grant-2:0"), 10),
            issued("d", None, 20),
            issued("e", None, 20),
            issued("f", None, 21),
        ]);
        let ids: Vec<Vec<&str>> = grouped
            .iter()
            .map(|b| b.iter().map(|c| c.id.as_str()).collect())
            .collect();
        assert_eq!(ids, [vec!["a", "b"], vec!["c"], vec!["d", "e"], vec!["f"]]);
    }

    #[test]
    fn short_lifetimes_in_minutes() {
        assert_eq!(expires_in(Tr(Lang::En), 900), "15 min");
        assert_eq!(expires_in(Tr(Lang::Ja), 899), "15 分");
        assert_eq!(expires_in(Tr(Lang::En), 2 * 3600), "2 h 0 min");
    }
}

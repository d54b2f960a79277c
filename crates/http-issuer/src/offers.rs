//! Graduate records and credential offers (pre-authorized code with `tx_code`, by value or by
//! reference), QR codes, and the `credential_offer_uri` endpoint.
//!
//! The pre-authorized code, the transaction code and the reference id of an offer are derived
//! from the offer id with HMAC-SHA256 under the [`OfferSecret`]; the store keeps only their
//! hashes. So an offer created by a bulk import can be shown to the graduate later (portal,
//! e-mail) without the store ever holding a redeemable secret.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use kakehashi_academic::model::Diploma;
use kakehashi_core::{UnixTime, b64};
use kakehashi_oid4vci::offer::{
    CredentialOffer, CredentialOfferRequest, Grants, InputMode, OFFER_SCHEME,
    PreAuthorizedCodeGrant, TxCode,
};
use kakehashi_storage::{
    CredentialOffer as StoredOffer, Graduate, PortalStore, StorageError, Store,
};
use serde::{Deserialize, Serialize};

use crate::state::{OfferSecret, sha256};
use crate::{IssuerError, IssuerState, Profile};

/// Whether the registrar approved a graduate's diploma. A diploma requested while `Pending`
/// is deferred (OpenID4VCI section 9) and delivered once approved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Approval {
    /// Approved: issued immediately.
    #[default]
    Approved,
    /// Waiting for the registrar: deferred.
    Pending,
}

/// The JSON the issuer keeps in [`Graduate::record`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraduateRecord {
    /// The canonical diploma.
    pub diploma: Diploma,
    /// Registrar approval.
    #[serde(default)]
    pub approval: Approval,
    /// SHA-256 (base64url) of the one-time sign-in code the registrar handed the student for
    /// the authorization code flow; removed when used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_code_sha256: Option<String>,
}

impl GraduateRecord {
    /// Reads a stored record.
    pub fn from_graduate(graduate: &Graduate) -> Result<Self, IssuerError> {
        // The registrar portal and its CSV import store the bare canonical diploma (approved
        // by the registrar who entered it); the issuer's own writes wrap it with the approval.
        if graduate.record.get("diploma").is_none() {
            let diploma: Diploma = serde_json::from_value(graduate.record.clone())
                .map_err(|e| IssuerError::Storage(StorageError::corrupt("graduate record", e)))?;
            return Ok(Self {
                diploma,
                approval: Approval::Approved,
                sign_in_code_sha256: None,
            });
        }
        serde_json::from_value(graduate.record.clone())
            .map_err(|e| IssuerError::Storage(StorageError::corrupt("graduate record", e)))
    }

    /// The stored form.
    pub fn to_graduate(&self, id: &str, now: UnixTime) -> Graduate {
        Graduate {
            id: id.to_owned(),
            record: serde_json::to_value(self).unwrap_or_default(),
            updated_at: now,
        }
    }
}

/// Reads a graduate's record (`NotFound` → 404).
pub async fn graduate_record<S: PortalStore>(
    store: &S,
    graduate_id: &str,
) -> Result<GraduateRecord, IssuerError> {
    match store.graduate(graduate_id).await {
        Ok(g) => GraduateRecord::from_graduate(&g),
        Err(StorageError::NotFound { .. }) => Err(IssuerError::NotFound("graduate")),
        Err(e) => Err(e.into()),
    }
}

/// What is needed to make offers: no signing key (the bulk import runs without one).
#[derive(Debug, Clone)]
pub struct OfferIssuer {
    /// The Credential Issuer Identifier.
    pub credential_issuer: String,
    /// The profile (its configuration is offered).
    pub profile: Profile,
    /// Code derivation secret.
    pub secret: OfferSecret,
    /// Wrong `tx_code`s tolerated.
    pub tx_code_attempts: u32,
}

impl<S> IssuerState<S> {
    /// The offer side of this issuer.
    pub fn offer_issuer(&self) -> OfferIssuer {
        OfferIssuer {
            credential_issuer: self.identity.credential_issuer.clone(),
            profile: self.identity.profile,
            secret: self.offer_secret.clone(),
            tx_code_attempts: self.config.tx_code_attempts,
        }
    }
}

/// How to make an offer.
#[derive(Debug, Clone)]
pub struct OfferOptions {
    /// Require a 6-digit transaction code (shown separately from the QR code).
    pub tx_code: bool,
    /// Put a `credential_offer_uri` in the QR code instead of the offer itself.
    pub by_reference: bool,
    /// Lifetime in seconds.
    pub lifetime: i64,
}

/// An offer ready to show.
#[derive(Debug, Clone)]
pub struct ShownOffer {
    /// The offer id (stored).
    pub offer_id: String,
    /// `openid-credential-offer://?…`.
    pub offer_uri: String,
    /// The QR code of `offer_uri` as SVG.
    pub qr_svg: String,
    /// The transaction code to give the graduate through another channel.
    pub tx_code: Option<String>,
    /// The offer.
    pub offer: CredentialOffer,
}

impl OfferIssuer {
    fn pre_authorized_code(&self, offer_id: &str) -> String {
        b64::encode(self.secret.derive("pre-authorized_code", offer_id))
    }

    fn tx_code(&self, offer_id: &str) -> String {
        let d = self.secret.derive("tx_code", offer_id);
        let n = u32::from_be_bytes([d[0], d[1], d[2], d[3]]) % 1_000_000;
        format!("{n:06}")
    }

    fn reference_id(&self, offer_id: &str) -> String {
        b64::encode(&self.secret.derive("reference", offer_id)[..18])
    }

    /// The Credential Offer of a stored offer.
    pub fn offer_json(&self, stored: &StoredOffer) -> CredentialOffer {
        CredentialOffer {
            credential_issuer: self.credential_issuer.clone(),
            credential_configuration_ids: stored.configuration_ids.clone(),
            grants: Some(Grants {
                authorization_code: None,
                pre_authorized_code: Some(PreAuthorizedCodeGrant {
                    pre_authorized_code: self.pre_authorized_code(&stored.id),
                    tx_code: stored.tx_code_hash.as_ref().map(|_| TxCode {
                        input_mode: Some(InputMode::Numeric),
                        length: Some(6),
                        description: Some(
                            "大学から届いたコード / the code your university sent you".into(),
                        ),
                    }),
                    authorization_server: None,
                }),
                other: Default::default(),
            }),
            other: Default::default(),
        }
    }

    /// Builds what to show for a stored offer (again, any time before it is used).
    pub fn show(&self, stored: &StoredOffer) -> Result<ShownOffer, IssuerError> {
        let offer = self.offer_json(stored);
        let request = match &stored.reference_id {
            Some(reference) => CredentialOfferRequest::ByReference(format!(
                "{}/offers/{reference}",
                self.credential_issuer.trim_end_matches('/')
            )),
            None => CredentialOfferRequest::ByValue(Box::new(offer.clone())),
        };
        let offer_uri = request.to_uri(OFFER_SCHEME);
        Ok(ShownOffer {
            offer_id: stored.id.clone(),
            qr_svg: qr_svg(&offer_uri)?,
            offer_uri,
            tx_code: stored
                .tx_code_hash
                .as_ref()
                .map(|_| self.tx_code(&stored.id)),
            offer,
        })
    }

    /// The stored record of a new pre-authorized offer.
    pub fn new_offer(
        &self,
        offer_id: &str,
        graduate_id: &str,
        options: &OfferOptions,
        now: UnixTime,
    ) -> StoredOffer {
        StoredOffer {
            id: offer_id.to_owned(),
            issuer: self.credential_issuer.clone(),
            subject: graduate_id.to_owned(),
            configuration_ids: vec![self.profile.configuration_id().to_owned()],
            pre_authorized_code_hash: Some(sha256(self.pre_authorized_code(offer_id).as_bytes())),
            tx_code_hash: options
                .tx_code
                .then(|| sha256(self.tx_code(offer_id).as_bytes())),
            tx_code_attempts_left: self.tx_code_attempts,
            issuer_state: None,
            reference_id: options.by_reference.then(|| self.reference_id(offer_id)),
            created_at: now,
            expires_at: now.saturating_add(options.lifetime),
            used_at: None,
        }
    }
}

/// The QR code of `text` as an SVG document.
pub fn qr_svg(text: &str) -> Result<String, IssuerError> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(IssuerError::internal)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .build())
}

/// Registrar portal: creates a pre-authorized offer (with a transaction code) for a graduate
/// and returns the offer URI, its QR code (SVG) and the transaction code to show separately.
pub async fn create_offer_for_graduate<S: Store + Clone + 'static>(
    state: &IssuerState<S>,
    graduate_id: &str,
    options: &OfferOptions,
) -> Result<ShownOffer, IssuerError> {
    graduate_record(&state.store, graduate_id).await?;
    let issuer = state.offer_issuer();
    let offer_id = format!("off_{}", state.random_token(18));
    let stored = issuer.new_offer(&offer_id, graduate_id, options, state.now());
    state.store.insert_credential_offer(&stored).await?;
    issuer.show(&stored)
}

/// Registrar portal: shows an existing offer again (e.g. one made by a bulk import).
pub async fn show_offer<S: Store + Clone + 'static>(
    state: &IssuerState<S>,
    offer_id: &str,
) -> Result<ShownOffer, IssuerError> {
    let stored = match state.store.credential_offer(offer_id).await {
        Ok(o) => o,
        Err(StorageError::NotFound { .. }) => return Err(IssuerError::NotFound("offer")),
        Err(e) => return Err(e.into()),
    };
    state.offer_issuer().show(&stored)
}

impl OfferOptions {
    /// On-screen offer: tx_code, by value, the configured short lifetime.
    pub fn on_screen<S>(state: &IssuerState<S>) -> Self {
        Self {
            tx_code: true,
            by_reference: false,
            lifetime: state.config.offer_lifetime,
        }
    }
}

/// `GET /offers/{id}`: the offer behind a `credential_offer_uri` (404 once used or expired).
pub(crate) async fn offer_by_reference<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
    Path(reference): Path<String>,
) -> Result<Response, IssuerError> {
    match state
        .store
        .credential_offer_by_reference(&reference, state.now())
        .await
    {
        Ok(stored) => Ok(axum::Json(state.offer_issuer().offer_json(&stored)).into_response()),
        Err(
            StorageError::NotFound { .. }
            | StorageError::Expired { .. }
            | StorageError::AlreadyUsed { .. },
        ) => Err(IssuerError::NotFound("credential offer")),
        Err(e) => Err(e.into()),
    }
}

/// Body of `POST /admin/offers`: a registrar system (student information system) asks for an
/// offer for a graduate it already sent, or sends the diploma with the request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdminOfferRequest {
    /// An existing graduate record id.
    #[serde(default)]
    graduate_id: Option<String>,
    /// Or the canonical diploma (stored, approved, under its idempotency key).
    #[serde(default)]
    diploma: Option<kakehashi_academic::model::Diploma>,
    /// Require a transaction code (default true).
    #[serde(default = "yes")]
    tx_code: bool,
    /// `credential_offer_uri` instead of the offer by value.
    #[serde(default)]
    by_reference: bool,
}

fn yes() -> bool {
    true
}

/// `POST /admin/offers` with `Authorization: Bearer <admin token>`: creates a pre-authorized
/// offer and answers 201 `{offer_id, offer_uri, tx_code, graduate_id, expires_in}`. The
/// transaction code is in the answer for the registrar system to deliver through its own
/// channel; it is never logged.
pub(crate) async fn admin_create_offer<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, IssuerError> {
    crate::status::check_admin(&state, &headers)?;
    let request: AdminOfferRequest = serde_json::from_slice(&body)
        .map_err(|e| IssuerError::BadRequest(format!("offer request: {e}")))?;
    let graduate_id = match (request.graduate_id, request.diploma) {
        (Some(id), None) => id,
        (None, Some(mut diploma)) => {
            // The issuer seals for its own university only.
            diploma.awarding_body = state.identity.awarding_body.clone();
            let id = kakehashi_academic::csv_import::idempotency_key(
                &diploma.awarding_body,
                &diploma.diploma_number,
            );
            crate::services::upsert_graduate(
                &state.store,
                &id,
                diploma,
                Some(Approval::Approved),
                state.now(),
            )
            .await?;
            id
        }
        _ => {
            return Err(IssuerError::BadRequest(
                "give exactly one of graduate_id and diploma".into(),
            ));
        }
    };
    let options = OfferOptions {
        tx_code: request.tx_code,
        by_reference: request.by_reference,
        lifetime: state.config.offer_lifetime,
    };
    let shown = create_offer_for_graduate(&state, &graduate_id, &options).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        axum::Json(serde_json::json!({
            "offer_id": shown.offer_id,
            "offer_uri": shown.offer_uri,
            "tx_code": shown.tx_code,
            "graduate_id": graduate_id,
            "expires_in": options.lifetime,
        })),
    )
        .into_response())
}

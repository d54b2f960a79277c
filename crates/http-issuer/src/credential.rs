//! The resource side: Nonce, Credential, Deferred Credential and Notification endpoints, and
//! the signing of both diploma profiles.
//!
//! Holder binding: the EU SD-JWT VC carries the proven key as `cnf.jwk` (Key Binding JWT on
//! presentation); the Japanese `jwt_vc_json` credential names it as `credentialSubject.id` =
//! `did:jwk:…` (the holder signs the `vp+jwt` with that key; a verifier resolves `did:jwk`
//! without any network access).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use kakehashi_academic::profiles::{
    EU_DIPLOMA_VCT, EU_SD_PATHS, eu_claims, jp_achievement_credential,
};
use kakehashi_core::b64;
use kakehashi_crypto::{HashAlgorithm, PublicJwk, Signer};
use kakehashi_oid4vci::Oid4vciError;
use kakehashi_oid4vci::credential::{
    CredentialRequest, CredentialResponse, CredentialTarget, DeferredCredentialRequest,
    NonceResponse, NotificationEvent as WireEvent, NotificationRequest,
};
use kakehashi_oid4vci::proof::{ProofCheck, did_jwk_of, validate_proofs};
use kakehashi_sd_jwt::{ClaimPath, SdJwtBuilder};
use kakehashi_status_list::StatusListReference;
use kakehashi_status_list::bitstring::{BitstringStatusListEntry, StatusPurpose};
use kakehashi_storage::{
    AccessToken, DeferredState, DeferredTransaction, IssuedCredential, NotificationEvent,
    StatusReference, StorageError, Store,
};
use serde_json::{Map, Value, json};

use crate::metadata::{issuer_metadata, type_metadata_integrity};
use crate::oauth::{StoredGrant, check_dpop, with_dpop_nonce};
use crate::offers::{Approval, graduate_record};
use crate::state::sha256;
use crate::status::{
    TOKEN_LIST_ID, W3C_REVOCATION_LIST_ID, W3C_SUSPENSION_LIST_ID, allocate_index,
};
use crate::{IssuerError, IssuerState, Profile};

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Authenticates a resource request: `Authorization: DPoP <token>` plus a DPoP proof with
/// `ath`, signed by the key the token is bound to.
async fn authorize_resource<S: Store>(
    state: &IssuerState<S>,
    headers: &HeaderMap,
    path: &str,
) -> Result<AccessToken, IssuerError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Oid4vciError::InvalidToken("missing access token".into()))?;
    let token = match authorization.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("DPoP") => token.trim(),
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("Bearer") => {
            return Err(Oid4vciError::InvalidToken(
                "the access token is DPoP-bound; use the DPoP scheme".into(),
            )
            .into());
        }
        _ => return Err(Oid4vciError::InvalidToken("malformed Authorization".into()).into()),
    };
    let stored = match state
        .store
        .access_token(&sha256(token.as_bytes()), state.now())
        .await
    {
        Ok(t) => t,
        Err(StorageError::NotFound { .. } | StorageError::Expired { .. }) => {
            return Err(
                Oid4vciError::InvalidToken("unknown or expired access token".into()).into(),
            );
        }
        Err(e) => return Err(e.into()),
    };
    check_dpop(
        state,
        headers,
        path,
        Some((token, stored.dpop_jkt.as_deref())),
    )
    .await?;
    Ok(stored)
}

/// A fresh `c_nonce`, stored until it expires.
pub(crate) async fn fresh_nonce<S: Store>(state: &IssuerState<S>) -> Result<String, IssuerError> {
    let nonce = state.random_token(24);
    state
        .store
        .insert_c_nonce(
            &nonce,
            state.now().saturating_add(state.config.nonce_lifetime),
        )
        .await?;
    Ok(nonce)
}

/// `POST /nonce`.
pub(crate) async fn nonce<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
) -> Result<Response, IssuerError> {
    let c_nonce = fresh_nonce(&state).await?;
    Ok(no_store(
        axum::Json(NonceResponse { c_nonce }).into_response(),
    ))
}

fn token_grant(token: &AccessToken) -> Result<StoredGrant, IssuerError> {
    serde_json::from_value(token.authorization_details.clone())
        .map_err(|e| IssuerError::Storage(StorageError::corrupt("authorization details", e)))
}

fn response_with_status<S>(state: &IssuerState<S>, response: CredentialResponse) -> Response {
    let status = StatusCode::from_u16(response.status()).unwrap_or(StatusCode::OK);
    with_dpop_nonce(
        state,
        no_store((status, axum::Json(response)).into_response()),
    )
}

/// `POST /credential`.
pub(crate) async fn credential<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, IssuerError> {
    let token = authorize_resource(&state, &headers, "/credential").await?;
    let request = CredentialRequest::parse(&body)?;
    if request.credential_response_encryption.is_some() {
        return Err(Oid4vciError::InvalidEncryptionParameters(
            "credential response encryption is not supported".into(),
        )
        .into());
    }
    let metadata = issuer_metadata(&state)?;
    let grant = token_grant(&token)?;
    let details = &grant.authorization_details;
    let configuration_id = match &request.target {
        CredentialTarget::Configuration(id) => {
            let detail = details
                .iter()
                .find(|d| d.credential_configuration_id == *id)
                .filter(|_| metadata.configuration(id).is_some())
                .ok_or_else(|| Oid4vciError::UnknownCredentialConfiguration(id.clone()))?;
            if detail.credential_identifiers.is_some() {
                return Err(Oid4vciError::InvalidCredentialRequest(
                    "the token returned credential_identifiers; use credential_identifier".into(),
                )
                .into());
            }
            id.clone()
        }
        CredentialTarget::Identifier(ident) => details
            .iter()
            .find(|d| {
                d.credential_identifiers
                    .as_ref()
                    .is_some_and(|ids| ids.contains(ident))
            })
            .map(|d| d.credential_configuration_id.clone())
            .ok_or_else(|| Oid4vciError::UnknownCredentialIdentifier(ident.clone()))?,
    };
    let configuration = metadata
        .configuration(&configuration_id)
        .ok_or_else(|| Oid4vciError::UnknownCredentialConfiguration(configuration_id.clone()))?;
    let proofs = request
        .proofs
        .as_ref()
        .ok_or_else(|| Oid4vciError::InvalidProof("proofs are required".into()))?;
    let algorithms = configuration.jwt_proof_algorithms();
    let now = state.now();
    let mut nonces = Vec::new();
    let keys = validate_proofs(
        proofs,
        &ProofCheck {
            credential_issuer: &state.identity.credential_issuer,
            client_id: grant.client_id.as_deref(),
            now,
            max_age_seconds: state.config.proof_max_age,
            skew_seconds: state.config.clock_skew,
            allowed_algorithms: &algorithms,
            nonce_required: true,
            max_proofs: usize::try_from(state.config.batch_size.max(1)).unwrap_or(1),
        },
        &mut |n| {
            nonces.push(n.to_owned());
            true
        },
        &state.provider,
    )?;
    for n in &nonces {
        match state.store.consume_c_nonce(n, now).await {
            Ok(()) => {}
            Err(
                StorageError::NotFound { .. }
                | StorageError::Expired { .. }
                | StorageError::AlreadyUsed { .. },
            ) => {
                return Err(IssuerError::InvalidNonce {
                    c_nonce: fresh_nonce(&state).await?,
                });
            }
            Err(e) => return Err(e.into()),
        }
    }
    let holder_keys: Vec<PublicJwk> = keys.into_iter().map(|k| k.key).collect();
    let record = match graduate_record(&state.store, &token.subject).await {
        Ok(r) => r,
        Err(IssuerError::NotFound(_)) => {
            return Err(Oid4vciError::CredentialRequestDenied(
                "the graduate record no longer exists".into(),
            )
            .into());
        }
        Err(e) => return Err(e),
    };
    if record.approval == Approval::Pending {
        let transaction_id = state.random_token(24);
        state
            .store
            .insert_deferred_transaction(&DeferredTransaction {
                transaction_id: transaction_id.clone(),
                subject: token.subject.clone(),
                configuration_id,
                state: DeferredState::Pending,
                // While pending, the entries are the proven holder keys (JWK JSON); the
                // credentials replace them when the transaction becomes ready.
                credentials: holder_keys
                    .iter()
                    .map(|k| k.to_json().to_string())
                    .collect(),
                created_at: now,
                expires_at: now.saturating_add(state.config.deferred_lifetime),
            })
            .await?;
        return Ok(response_with_status(
            &state,
            CredentialResponse::deferred(transaction_id, state.config.deferred_interval),
        ));
    }
    let (credentials, notification_id) = issue_credentials(
        &state,
        &token.subject,
        &holder_keys,
        Some(&format!(
            "token:{}:{configuration_id}",
            b64::encode(&token.token_hash)
        )),
    )
    .await?;
    Ok(response_with_status(
        &state,
        CredentialResponse::issued(
            credentials.into_iter().map(Value::String).collect(),
            Some(notification_id),
        ),
    ))
}

/// `POST /deferred_credential`.
pub(crate) async fn deferred_credential<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, IssuerError> {
    let token = authorize_resource(&state, &headers, "/deferred_credential").await?;
    let request = DeferredCredentialRequest::parse(&body)?;
    let transaction = match state
        .store
        .deferred_transaction(&request.transaction_id)
        .await
    {
        Ok(t) if t.subject == token.subject => t,
        Ok(_) | Err(StorageError::NotFound { .. }) => {
            return Err(Oid4vciError::InvalidTransactionId.into());
        }
        Err(e) => return Err(e.into()),
    };
    let mut notification_id = None;
    match transaction.state {
        DeferredState::Pending => {
            let record = graduate_record(&state.store, &transaction.subject).await?;
            if record.approval == Approval::Pending {
                return Ok(response_with_status(
                    &state,
                    CredentialResponse::deferred(
                        transaction.transaction_id,
                        state.config.deferred_interval,
                    ),
                ));
            }
            let keys = transaction
                .credentials
                .iter()
                .map(|k| {
                    serde_json::from_str::<Value>(k)
                        .ok()
                        .and_then(|v| PublicJwk::from_json(&v).ok())
                        .ok_or_else(|| {
                            IssuerError::Storage(StorageError::corrupt(
                                "deferred holder key",
                                "jwk",
                            ))
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let (credentials, nid) = issue_credentials(
                &state,
                &transaction.subject,
                &keys,
                Some(&format!("deferred:{}", transaction.transaction_id)),
            )
            .await?;
            match state
                .store
                .complete_deferred_transaction(
                    &transaction.transaction_id,
                    DeferredState::Ready,
                    &credentials,
                )
                .await
            {
                Ok(()) => notification_id = Some(nid),
                // Another poll completed it first: deliver theirs.
                Err(StorageError::WrongState { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        DeferredState::Ready => {}
        DeferredState::Failed => {
            return Err(
                Oid4vciError::CredentialRequestDenied("issuance was refused".into()).into(),
            );
        }
        _ => return Err(Oid4vciError::InvalidTransactionId.into()),
    }
    let credentials = match state
        .store
        .take_deferred_credentials(&transaction.transaction_id, state.now())
        .await
    {
        Ok(c) => c,
        Err(
            StorageError::AlreadyUsed { .. }
            | StorageError::Expired { .. }
            | StorageError::NotFound { .. }
            | StorageError::WrongState { .. },
        ) => return Err(Oid4vciError::InvalidTransactionId.into()),
        Err(e) => return Err(e.into()),
    };
    Ok(response_with_status(
        &state,
        CredentialResponse::issued(
            credentials.into_iter().map(Value::String).collect(),
            notification_id,
        ),
    ))
}

/// `POST /notification`.
pub(crate) async fn notification<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, IssuerError> {
    authorize_resource(&state, &headers, "/notification").await?;
    let request = NotificationRequest::parse(&body)?;
    let event = match request.event {
        WireEvent::CredentialAccepted => NotificationEvent::CredentialAccepted,
        WireEvent::CredentialFailure => NotificationEvent::CredentialFailure,
        WireEvent::CredentialDeleted => NotificationEvent::CredentialDeleted,
    };
    match state
        .store
        .record_notification_event(
            &request.notification_id,
            event,
            request.event_description.as_deref(),
            state.now(),
        )
        .await
    {
        Ok(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(StorageError::NotFound { .. }) => Err(Oid4vciError::InvalidNotificationId.into()),
        Err(StorageError::Conflict { .. }) => Err(Oid4vciError::InvalidNotificationRequest(
            "another event was already reported".into(),
        )
        .into()),
        Err(e) => Err(e.into()),
    }
}

fn uuid_urn<S>(state: &IssuerState<S>) -> String {
    let mut b = [0u8; 16];
    (state.random)(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Signs one credential per holder key for the graduate `subject`, records each
/// (`insert_issued_credential`) before returning it, and registers one `notification_id`.
///
/// With `idempotency` set, credential `i` is recorded under `{idempotency}:{i}`: a second
/// issuance for the same grant (an access token and configuration, a deferred transaction)
/// is refused with `credential_request_denied` instead of minting more credentials.
pub async fn issue_credentials<S: Store>(
    state: &IssuerState<S>,
    subject: &str,
    holder_keys: &[PublicJwk],
    idempotency: Option<&str>,
) -> Result<(Vec<String>, String), IssuerError> {
    let record = graduate_record(&state.store, subject).await?;
    let now = state.now();
    let mut credentials = Vec::with_capacity(holder_keys.len());
    let mut first_id = None;
    for (position, key) in holder_keys.iter().enumerate() {
        let idempotency_key = idempotency.map(|prefix| format!("{prefix}:{position}"));
        if let Some(k) = &idempotency_key
            && state
                .store
                .issued_credential_by_idempotency_key(k)
                .await?
                .is_some()
        {
            return Err(Oid4vciError::CredentialRequestDenied(
                "the credential for this grant was already issued".into(),
            )
            .into());
        }
        let id = uuid_urn(state);
        let (credential, format, credential_type, status) = match state.identity.profile {
            Profile::Eu => {
                let index = allocate_index(state, TOKEN_LIST_ID).await?;
                let sd_jwt = sign_eu(state, &record.diploma, key, index)?;
                (
                    sd_jwt,
                    "dc+sd-jwt",
                    EU_DIPLOMA_VCT.to_owned(),
                    StatusReference {
                        list_id: TOKEN_LIST_ID.into(),
                        index,
                    },
                )
            }
            Profile::Jp => {
                let index = allocate_index(state, W3C_REVOCATION_LIST_ID).await?;
                let vc = sign_jp(state, &record.diploma, key, &id, index)?;
                (
                    vc,
                    "jwt_vc_json",
                    "AchievementCredential".to_owned(),
                    StatusReference {
                        list_id: W3C_REVOCATION_LIST_ID.into(),
                        index,
                    },
                )
            }
        };
        let inserted = state
            .store
            .insert_issued_credential(&IssuedCredential {
                id: id.clone(),
                format: format.into(),
                credential_type,
                subject: subject.to_owned(),
                holder_key_thumbprint: Some(key.thumbprint(&state.provider, HashAlgorithm::Sha256)),
                status: Some(status),
                issued_at: now,
                credential: credential.clone(),
                idempotency_key,
            })
            .await;
        match inserted {
            Ok(()) => {}
            // A concurrent request for the same grant won the race.
            Err(StorageError::Conflict { .. }) => {
                return Err(Oid4vciError::CredentialRequestDenied(
                    "the credential for this grant was already issued".into(),
                )
                .into());
            }
            Err(e) => return Err(e.into()),
        }
        first_id.get_or_insert(id);
        credentials.push(credential);
    }
    let notification_id = state.random_token(18);
    if let Some(id) = first_id {
        state
            .store
            .insert_notification(&notification_id, &id)
            .await?;
    }
    Ok((credentials, notification_id))
}

fn x5c_header(signer: &dyn Signer) -> Value {
    Value::Array(
        signer
            .certificate_chain()
            .iter()
            .map(|c| base64::engine::general_purpose::STANDARD.encode(c).into())
            .collect(),
    )
}

fn sign_eu<S>(
    state: &IssuerState<S>,
    diploma: &kakehashi_academic::model::Diploma,
    holder: &PublicJwk,
    index: u32,
) -> Result<String, IssuerError> {
    let now = state.now();
    let mut claims = eu_claims(diploma).map_err(IssuerError::internal)?;
    claims.remove("vct");
    claims.insert(
        "iss".into(),
        state.identity.credential_issuer.clone().into(),
    );
    claims.insert("iat".into(), now.seconds().into());
    claims.insert(
        "exp".into(),
        now.saturating_add(state.config.credential_lifetime)
            .seconds()
            .into(),
    );
    claims.insert(
        "status".into(),
        StatusListReference {
            idx: u64::from(index),
            uri: state.url(&format!("/status/{TOKEN_LIST_ID}")),
        }
        .to_status_claim(),
    );
    claims.insert(
        "vct#integrity".into(),
        type_metadata_integrity(state).into(),
    );
    let view = Value::Object(claims.clone());
    // The OS generator fills any buffer: one call for all salts of the credential.
    let mut builder = SdJwtBuilder::sd_jwt_vc(claims, EU_DIPLOMA_VCT)
        .holder_key(holder.clone())
        .salts_in_one_call();
    // One key for x5c, kid and signature, even if a rotation lands meanwhile.
    let signer = state.signer();
    let chain = x5c_header(signer.as_ref());
    if chain.as_array().is_some_and(|c| !c.is_empty()) {
        builder = builder.header_member("x5c", chain);
    }
    if let Some(kid) = signer.public_jwk().kid() {
        builder = builder.header_member("kid", kid.into());
    }
    for pointer in EU_SD_PATHS {
        if view.pointer(pointer).is_some() {
            let path = ClaimPath::from_pointer(pointer, &view).map_err(IssuerError::internal)?;
            builder = builder.conceal(path);
        }
    }
    let sd_jwt = builder
        .issue(&state.provider, signer.as_ref(), &mut |buf| {
            (state.random)(buf)
        })
        .map_err(IssuerError::internal)?;
    Ok(sd_jwt.to_compact())
}

fn sign_jp<S>(
    state: &IssuerState<S>,
    diploma: &kakehashi_academic::model::Diploma,
    holder: &PublicJwk,
    credential_id: &str,
    index: u32,
) -> Result<String, IssuerError> {
    let achievement_id = state.url(&format!(
        "/achievements/{}",
        &b64::encode(sha256(
            diploma
                .qualification
                .title
                .best("ja")
                .unwrap_or_default()
                .as_bytes()
        ))[..16]
    ));
    let mut vc = jp_achievement_credential(
        diploma,
        &state.identity.credential_issuer,
        credential_id,
        &achievement_id,
    )
    .map_err(IssuerError::internal)?;
    vc["credentialSubject"]["id"] = did_jwk_of(holder).into();
    let entry = |purpose: StatusPurpose, list: &str| {
        let url = state.url(&format!("/status/w3c/{list}"));
        let mut e = BitstringStatusListEntry::new(purpose, u64::from(index), url.clone());
        e.id = Some(format!("{url}#{index}"));
        e.to_json()
    };
    vc["credentialStatus"] = json!([
        entry(StatusPurpose::Revocation, W3C_REVOCATION_LIST_ID),
        entry(StatusPurpose::Suspension, W3C_SUSPENSION_LIST_ID),
    ]);
    let mut header = Map::new();
    let signer = state.signer();
    if let Some(kid) = signer.public_jwk().kid() {
        header.insert("kid".into(), kid.into());
    }
    kakehashi_vc_jose::issue_vc_jwt(&vc, signer.as_ref(), header).map_err(IssuerError::internal)
}

//! Credential status: one Token Status List per EU issuer (2 bits: valid, invalid,
//! suspended), two W3C Bitstring Status Lists per Japanese issuer (revocation and suspension,
//! same index), random never-reused indexes ([`IndexAllocator`] persisted in the
//! [`StatusStore`]), optimistic-concurrency retry loops, publication, the admin API and the
//! revoke / suspend / reinstate services.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use kakehashi_core::UnixTime;
use kakehashi_oid4vci::oauth::constant_time_eq;
use kakehashi_status_list::bitstring::{Bitstring, BitstringStatusListCredential, StatusPurpose};
use kakehashi_status_list::{
    Bits, Compression, IndexAllocator, StatusList as TokenStatusList, StatusListTokenClaims,
    sign_status_list_token,
};
use kakehashi_storage::{
    AuditEntry, PublishedStatusList, StatusList, StatusReference, StatusStore, StorageError, Store,
};
use serde_json::{Map, json};

use crate::metadata::typed;
use crate::state::sha256;
use crate::{IssuerError, IssuerState, Profile};

/// The Token Status List of an EU issuer.
pub const TOKEN_LIST_ID: &str = "tsl-1";
/// The W3C revocation list of a Japanese issuer.
pub const W3C_REVOCATION_LIST_ID: &str = "w3c-revocation-1";
/// The W3C suspension list of a Japanese issuer (indexes mirror the revocation list).
pub const W3C_SUSPENSION_LIST_ID: &str = "w3c-suspension-1";

const RETRIES: usize = 32;

/// A credential's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CredentialState {
    /// Valid.
    Valid,
    /// Suspended (reversible).
    Suspended,
    /// Revoked (final).
    Revoked,
}

/// A registrar's status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    /// Revoke (final).
    Revoke,
    /// Suspend.
    Suspend,
    /// Lift a suspension.
    Reinstate,
}

impl StatusAction {
    /// Parses the admin API path segment.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "revoke" => Some(Self::Revoke),
            "suspend" => Some(Self::Suspend),
            "reinstate" => Some(Self::Reinstate),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Revoke => "revoke",
            Self::Suspend => "suspend",
            Self::Reinstate => "reinstate",
        }
    }
}

struct Rng<'a>(&'a crate::state::RandomSource);

impl rand_core::RngCore for Rng<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        (self.0)(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        (self.0)(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        (self.0)(dest);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        (self.0)(dest);
        Ok(())
    }
}

fn list_ids(profile: Profile) -> &'static [(&'static str, u8)] {
    match profile {
        Profile::Eu => &[(TOKEN_LIST_ID, 2)],
        Profile::Jp => &[(W3C_REVOCATION_LIST_ID, 1), (W3C_SUSPENSION_LIST_ID, 1)],
    }
}

fn empty_list(
    list_id: &str,
    bits: u8,
    size: u32,
    now: UnixTime,
) -> Result<StatusList, IssuerError> {
    let allocation = IndexAllocator::new(u64::from(size))
        .map_err(IssuerError::internal)?
        .to_bytes();
    let statuses_len = usize::try_from((u64::from(size) * u64::from(bits)).div_ceil(8))
        .map_err(IssuerError::internal)?;
    Ok(StatusList {
        list_id: list_id.to_owned(),
        purpose: if list_id == W3C_SUSPENSION_LIST_ID {
            "suspension"
        } else {
            "revocation"
        }
        .into(),
        bits,
        size,
        allocation,
        statuses: vec![0; statuses_len],
        version: 0,
        published: None,
        updated_at: now,
    })
}

/// Creates the issuer's status lists if they do not exist yet (idempotent, safe on many nodes).
pub async fn ensure_status_lists<S: Store>(state: &IssuerState<S>) -> Result<(), IssuerError> {
    for (id, bits) in list_ids(state.identity.profile) {
        let list = empty_list(id, *bits, state.config.status_list_size, state.now())?;
        match state.store.create_status_list(&list).await {
            Ok(()) | Err(StorageError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

async fn read_list<S: StatusStore>(store: &S, list_id: &str) -> Result<StatusList, IssuerError> {
    match store.status_list(list_id).await {
        Ok(l) => Ok(l),
        Err(StorageError::NotFound { .. }) => Err(IssuerError::NotFound("status list")),
        Err(e) => Err(e.into()),
    }
}

/// Allocates a random, never used index in `list_id` (retrying on concurrent writers).
pub(crate) async fn allocate_index<S: Store>(
    state: &IssuerState<S>,
    list_id: &str,
) -> Result<u32, IssuerError> {
    for _ in 0..RETRIES {
        let list = match read_list(&state.store, list_id).await {
            Ok(l) => l,
            // First credential on a fresh store: create the lists, then allocate.
            Err(IssuerError::NotFound(_)) => {
                ensure_status_lists(state).await?;
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut allocator = IndexAllocator::from_bytes(u64::from(list.size), &list.allocation)
            .map_err(|e| IssuerError::Storage(StorageError::corrupt("status allocation", e)))?;
        let index = allocator
            .allocate(&mut Rng(&state.random))
            .map_err(|e| IssuerError::Internal(format!("status list {list_id}: {e}")))?;
        match state
            .store
            .update_status_list(
                list_id,
                list.version,
                &allocator.to_bytes(),
                &list.statuses,
                state.now(),
            )
            .await
        {
            Ok(_) => return u32::try_from(index).map_err(IssuerError::internal),
            Err(StorageError::StaleVersion { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(IssuerError::Storage(StorageError::Unavailable {
        reason: "status list contention".into(),
    }))
}

fn read_value(list: &StatusList, index: u32) -> Result<u8, IssuerError> {
    let corrupt = |e: kakehashi_status_list::StatusListError| {
        IssuerError::Storage(StorageError::corrupt("status list", e))
    };
    if list.bits == 2 {
        TokenStatusList::from_bytes(Bits::Two, list.statuses.clone())
            .get(u64::from(index))
            .map_err(corrupt)
    } else {
        let v = Bitstring::from_bytes(1, list.statuses.clone())
            .map_err(corrupt)?
            .get(u64::from(index))
            .map_err(corrupt)?;
        u8::try_from(v).map_err(IssuerError::internal)
    }
}

fn write_value(list: &StatusList, index: u32, value: u8) -> Result<Vec<u8>, IssuerError> {
    let corrupt = |e: kakehashi_status_list::StatusListError| {
        IssuerError::Storage(StorageError::corrupt("status list", e))
    };
    if list.bits == 2 {
        let mut l = TokenStatusList::from_bytes(Bits::Two, list.statuses.clone());
        l.set(u64::from(index), value).map_err(corrupt)?;
        Ok(l.as_bytes().to_vec())
    } else {
        let mut b = Bitstring::from_bytes(1, list.statuses.clone()).map_err(corrupt)?;
        b.set(u64::from(index), u32::from(value)).map_err(corrupt)?;
        Ok(b.as_bytes().to_vec())
    }
}

/// Reads a credential's status from the lists.
pub async fn credential_state<S: Store>(
    state: &IssuerState<S>,
    reference: &StatusReference,
) -> Result<CredentialState, IssuerError> {
    let list = read_list(&state.store, &reference.list_id).await?;
    let value = read_value(&list, reference.index)?;
    if list.list_id == TOKEN_LIST_ID {
        return Ok(match value {
            0 => CredentialState::Valid,
            2 => CredentialState::Suspended,
            _ => CredentialState::Revoked,
        });
    }
    if value != 0 {
        return Ok(CredentialState::Revoked);
    }
    let suspension = read_list(&state.store, W3C_SUSPENSION_LIST_ID).await?;
    Ok(if read_value(&suspension, reference.index)? != 0 {
        CredentialState::Suspended
    } else {
        CredentialState::Valid
    })
}

/// Sets one entry (retrying on concurrent writers), then republishes the list.
async fn set_value<S: Store>(
    state: &IssuerState<S>,
    list_id: &str,
    index: u32,
    value: u8,
) -> Result<(), IssuerError> {
    for attempt in 0..=RETRIES {
        if attempt == RETRIES {
            return Err(IssuerError::Storage(StorageError::Unavailable {
                reason: "status list contention".into(),
            }));
        }
        let list = read_list(&state.store, list_id).await?;
        let statuses = write_value(&list, index, value)?;
        match state
            .store
            .update_status_list(
                list_id,
                list.version,
                &list.allocation,
                &statuses,
                state.now(),
            )
            .await
        {
            Ok(_) => break,
            Err(StorageError::StaleVersion { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    publish(state, list_id).await?;
    Ok(())
}

/// Signs the current content of `list_id` and stores it as the published token (a slower node
/// never overwrites a fresher publication). Returns the token served.
pub async fn publish<S: Store>(
    state: &IssuerState<S>,
    list_id: &str,
) -> Result<String, IssuerError> {
    let list = read_list(&state.store, list_id).await?;
    let now = state.now();
    let exp = now.saturating_add(state.config.status_list_lifetime);
    let signer = state.signer();
    let signer = signer.as_ref();
    let token = if list.bits == 2 {
        let tsl = TokenStatusList::from_bytes(Bits::Two, list.statuses.clone());
        sign_status_list_token(
            &tsl,
            &StatusListTokenClaims {
                sub: state.url(&format!("/status/{list_id}")),
                iat: now,
                exp: Some(exp),
                ttl: Some(state.config.status_list_ttl),
                iss: Some(state.identity.credential_issuer.clone()),
                aggregation_uri: None,
            },
            Compression::RUN_LENGTH,
            signer,
        )
        .map_err(IssuerError::internal)?
    } else {
        let bitstring = Bitstring::from_bytes(1, list.statuses.clone())
            .map_err(|e| IssuerError::Storage(StorageError::corrupt("status list", e)))?;
        let url = state.url(&format!("/status/w3c/{list_id}"));
        let credential = BitstringStatusListCredential {
            id: Some(url.clone()),
            issuer: state.identity.credential_issuer.clone().into(),
            valid_from: Some(now),
            valid_until: Some(exp),
            subject_id: Some(format!("{url}#list")),
            status_purposes: vec![StatusPurpose::parse(&list.purpose)],
            encoded_list: bitstring
                .encode(Compression::RUN_LENGTH)
                .map_err(IssuerError::internal)?,
            ttl_ms: Some(state.config.status_list_ttl.saturating_mul(1000)),
        };
        kakehashi_vc_jose::issue_vc_jwt(&credential.to_json(), signer, Map::new())
            .map_err(IssuerError::internal)?
    };
    match state
        .store
        .publish_status_list(
            list_id,
            &PublishedStatusList {
                token: token.clone(),
                issued_at: now,
                version: list.version,
            },
        )
        .await
    {
        Ok(()) | Err(StorageError::StaleVersion { .. }) => Ok(token),
        // The stored publication is a cache: on a full disk the list is still served (every
        // verifier of this issuer depends on it), signed afresh until space is freed.
        Err(StorageError::Full) => {
            tracing::warn!(list = list_id, "storage full: status list served unstored");
            Ok(token)
        }
        Err(e) => Err(e.into()),
    }
}

/// The token to serve: the published one while it matches the list and is in its first half
/// of life, otherwise a freshly signed one.
async fn current_token<S: Store>(
    state: &IssuerState<S>,
    list_id: &str,
) -> Result<String, IssuerError> {
    let list = read_list(&state.store, list_id).await?;
    if let Some(p) = &list.published
        && p.version == list.version
        && state.now()
            < p.issued_at
                .saturating_add(state.config.status_list_lifetime / 2)
    {
        return Ok(p.token.clone());
    }
    publish(state, list_id).await
}

/// `GET /status/{list}`: the Token Status List as `application/statuslist+jwt`.
pub(crate) async fn token_status_list<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
    Path(list_id): Path<String>,
) -> Result<Response, IssuerError> {
    if list_ids(state.identity.profile)
        .iter()
        .all(|(id, bits)| *id != list_id || *bits != 2)
    {
        return Err(IssuerError::NotFound("status list"));
    }
    let token = current_token(&state, &list_id).await?;
    Ok(typed(token, "application/statuslist+jwt"))
}

/// `GET /status/w3c/{list}`: the Bitstring Status List credential as `application/vc+jwt`.
pub(crate) async fn w3c_status_list<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
    Path(list_id): Path<String>,
) -> Result<Response, IssuerError> {
    if list_ids(state.identity.profile)
        .iter()
        .all(|(id, bits)| *id != list_id || *bits != 1)
    {
        return Err(IssuerError::NotFound("status list"));
    }
    let token = current_token(&state, &list_id).await?;
    Ok(typed(token, "application/vc+jwt"))
}

/// Registrar portal / admin API: revokes, suspends or reinstates an issued credential, updates
/// the list, republishes it and appends an audit entry. Revocation is final.
pub async fn change_credential_status<S: Store + Clone + 'static>(
    state: &IssuerState<S>,
    credential_id: &str,
    action: StatusAction,
    actor: &str,
) -> Result<CredentialState, IssuerError> {
    let credential = match state.store.issued_credential(credential_id).await {
        Ok(c) => c,
        Err(StorageError::NotFound { .. }) => return Err(IssuerError::NotFound("credential")),
        Err(e) => return Err(e.into()),
    };
    let reference = credential
        .status
        .ok_or_else(|| IssuerError::BadRequest("the credential has no status entry".into()))?;
    let current = credential_state(state, &reference).await?;
    let new = match (current, action) {
        (CredentialState::Revoked, StatusAction::Revoke) => CredentialState::Revoked,
        (CredentialState::Revoked, _) => {
            return Err(IssuerError::BadRequest(
                "the credential is revoked; revocation is final".into(),
            ));
        }
        (_, StatusAction::Revoke) => CredentialState::Revoked,
        (_, StatusAction::Suspend) => CredentialState::Suspended,
        (_, StatusAction::Reinstate) => CredentialState::Valid,
    };
    if new != current {
        if reference.list_id == TOKEN_LIST_ID {
            let value = match new {
                CredentialState::Valid => 0,
                CredentialState::Revoked => 1,
                CredentialState::Suspended => 2,
            };
            set_value(state, TOKEN_LIST_ID, reference.index, value).await?;
        } else {
            match new {
                CredentialState::Revoked => {
                    set_value(state, &reference.list_id, reference.index, 1).await?;
                }
                CredentialState::Suspended => {
                    set_value(state, W3C_SUSPENSION_LIST_ID, reference.index, 1).await?;
                }
                CredentialState::Valid => {
                    set_value(state, W3C_SUSPENSION_LIST_ID, reference.index, 0).await?;
                }
            }
        }
    }
    state
        .store
        .append_audit(&AuditEntry {
            sequence: 0,
            at: state.now(),
            actor: actor.to_owned(),
            action: format!("credential.{}", action.name()),
            target: credential_id.to_owned(),
            details: json!({"list": reference.list_id, "index": reference.index, "from": current, "to": new}),
        })
        .await?;
    Ok(new)
}

/// Revokes a credential (final).
pub async fn revoke<S: Store + Clone + 'static>(
    state: &IssuerState<S>,
    credential_id: &str,
    actor: &str,
) -> Result<CredentialState, IssuerError> {
    change_credential_status(state, credential_id, StatusAction::Revoke, actor).await
}

/// Suspends a credential.
pub async fn suspend<S: Store + Clone + 'static>(
    state: &IssuerState<S>,
    credential_id: &str,
    actor: &str,
) -> Result<CredentialState, IssuerError> {
    change_credential_status(state, credential_id, StatusAction::Suspend, actor).await
}

/// Lifts a suspension.
pub async fn reinstate<S: Store + Clone + 'static>(
    state: &IssuerState<S>,
    credential_id: &str,
    actor: &str,
) -> Result<CredentialState, IssuerError> {
    change_credential_status(state, credential_id, StatusAction::Reinstate, actor).await
}

/// Checks `Authorization: Bearer <admin token>` against the configured token's SHA-256 in
/// constant time; without a configured token the admin API is off (401).
pub(crate) fn check_admin<S>(
    state: &IssuerState<S>,
    headers: &HeaderMap,
) -> Result<(), IssuerError> {
    let expected = state
        .config
        .admin_token_sha256
        .as_deref()
        .ok_or(IssuerError::AdminUnauthorized)?;
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(IssuerError::AdminUnauthorized)?;
    if !constant_time_eq(&sha256(presented.trim().as_bytes()), expected) {
        return Err(IssuerError::AdminUnauthorized);
    }
    Ok(())
}

/// `POST /admin/credentials/{id}/{action}` with `Authorization: Bearer <admin token>`.
pub(crate) async fn admin_change<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
    Path((credential_id, action)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, IssuerError> {
    check_admin(&state, &headers)?;
    let action = StatusAction::parse(&action).ok_or_else(|| {
        IssuerError::BadRequest("action must be revoke, suspend or reinstate".into())
    })?;
    let new = change_credential_status(&state, &credential_id, action, "admin-api").await?;
    Ok(axum::Json(json!({"credential_id": credential_id, "status": new})).into_response())
}

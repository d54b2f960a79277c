//! The web wallet's JSON API under `/wallet/api/…`.
//!
//! | method | path                                         | body / answer                                  |
//! |--------|----------------------------------------------|------------------------------------------------|
//! | POST   | `/wallet/api/credentials/receive`            | `{offer_uri, tx_code?}` → stored credentials   |
//! | GET    | `/wallet/api/credentials`                    | → summaries                                    |
//! | GET    | `/wallet/api/credentials/{id}`               | → summary + claims                             |
//! | DELETE | `/wallet/api/credentials/{id}`               | → 204                                          |
//! | POST   | `/wallet/api/credentials/authorize`          | `{offer_uri}` → `{id, authorization_url}`      |
//! | POST   | `/wallet/api/credentials/authorize/{id}`     | `{code, state}` → stored credentials           |
//! | POST   | `/wallet/api/presentations/prepare`          | `{request_uri}` → [`ConsentRequest`]           |
//! | POST   | `/wallet/api/presentations/{id}/confirm`     | → [`crate::PresentationOutcome`]               |
//! | POST   | `/wallet/api/presentations/{id}/decline`     | → [`crate::PresentationOutcome`]               |
//! | GET    | `/wallet/api/history`                        | → presentation records                         |
//!
//! Who the holder is comes from the [`HolderId`] request extension: the sign-in layer (the web
//! portal's session middleware) inserts it after authenticating the session; without it every
//! route answers 401. Record ids contain `/`, so they travel percent-encoded in paths.
//! Pending consents and authorization code flows are parked in the shared store, sealed, for
//! `consent_lifetime_seconds` (`Wallet::park_consent`): any node can take the answer.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kakehashi_storage::{PresentationRecord, Store, StoredCredential};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{Choice, ConsentRequest, HolderId, WalletContext, WalletError};

/// Router state: the shared wallet context (pending interactions live in its store).
#[derive(Debug, Clone)]
pub struct ApiState<S> {
    context: WalletContext<S>,
}

impl<S> ApiState<S> {
    /// State around a wallet context.
    pub fn new(context: WalletContext<S>) -> Self {
        Self { context }
    }
}

/// The authenticated holder, from the request extension the sign-in layer sets.
impl<St: Send + Sync> FromRequestParts<St> for HolderId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &St) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<HolderId>()
            .cloned()
            .ok_or(ApiError::Unauthenticated)
    }
}

/// The web-wallet API router (paths already include `/wallet/api`).
pub fn router<S: Store + Clone + 'static>(state: ApiState<S>) -> Router {
    Router::new()
        .route("/wallet/api/credentials", get(list::<S>))
        .route("/wallet/api/credentials/receive", post(receive::<S>))
        .route(
            "/wallet/api/credentials/{id}",
            get(detail::<S>).delete(delete::<S>),
        )
        .route("/wallet/api/credentials/authorize", post(authorize::<S>))
        .route(
            "/wallet/api/credentials/authorize/{id}",
            post(finish_authorization::<S>),
        )
        .route("/wallet/api/presentations/prepare", post(prepare::<S>))
        .route("/wallet/api/presentations/{id}/confirm", post(confirm::<S>))
        .route("/wallet/api/presentations/{id}/decline", post(decline::<S>))
        .route("/wallet/api/history", get(history::<S>))
        .with_state(state)
}

/// An API failure as JSON `{error, error_description}`.
#[derive(Debug)]
pub enum ApiError {
    /// No holder session.
    Unauthenticated,
    /// A wallet error.
    Wallet(WalletError),
}

impl From<WalletError> for ApiError {
    fn from(e: WalletError) -> Self {
        Self::Wallet(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, description) = match &self {
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated", String::new()),
            Self::Wallet(e) => {
                let (status, code) = wire(e);
                (status, code, e.to_string())
            }
        };
        if status.is_server_error() {
            tracing::error!(error = %description, "wallet API");
        }
        (
            status,
            Json(json!({"error": code, "error_description": description})),
        )
            .into_response()
    }
}

/// The one mapping from wallet errors to HTTP status and error code.
pub fn wire(e: &WalletError) -> (StatusCode, &'static str) {
    match e {
        WalletError::NoMatchingCredential => {
            (StatusCode::UNPROCESSABLE_ENTITY, "no_matching_credential")
        }
        WalletError::UntrustedRequest(_) => (StatusCode::UNPROCESSABLE_ENTITY, "untrusted_request"),
        WalletError::InvalidOffer(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_offer"),
        WalletError::TxCode(_) => (StatusCode::BAD_REQUEST, "tx_code"),
        WalletError::AuthorizationRequired => (StatusCode::CONFLICT, "authorization_required"),
        WalletError::Issuer(_) => (StatusCode::BAD_GATEWAY, "issuer_error"),
        WalletError::CredentialRejected(_) => (StatusCode::BAD_GATEWAY, "credential_rejected"),
        WalletError::DeferredPending { .. } => (StatusCode::ACCEPTED, "deferred_pending"),
        WalletError::Verifier(_) => (StatusCode::BAD_GATEWAY, "verifier_error"),
        WalletError::ConsentExpired => (StatusCode::GONE, "consent_expired"),
        WalletError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        WalletError::InvalidInput(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
        WalletError::Http(_) => (StatusCode::BAD_GATEWAY, "network_error"),
        WalletError::Key(_) | WalletError::Storage(_) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "server_error")
        }
    }
}

/// The summary of a credential the API returns (never the raw credential).
pub fn summary(c: &StoredCredential) -> Value {
    json!({
        "id": c.id,
        "format": c.format,
        "issuer": c.issuer,
        "display": c.display,
        "received_at": c.received_at.seconds(),
        "holder_bound": c.holder_key_id.is_some(),
    })
}

/// A history record as JSON.
pub fn record(r: &PresentationRecord) -> Value {
    json!({
        "id": r.id,
        "verifier": r.verifier,
        "credential_ids": r.credential_ids,
        "disclosed": r.disclosed,
        "presented_at": r.presented_at.seconds(),
    })
}

#[derive(Debug, Deserialize)]
struct ReceiveBody {
    offer_uri: String,
    #[serde(default)]
    tx_code: Option<String>,
}

async fn receive<S: Store + Clone + 'static>(
    State(state): State<ApiState<S>>,
    holder: HolderId,
    Json(body): Json<ReceiveBody>,
) -> Result<Json<Value>, ApiError> {
    let wallet = state.context.wallet(holder);
    let got = wallet
        .receive(
            &body.offer_uri,
            body.tx_code.as_deref().filter(|t| !t.is_empty()),
        )
        .await?;
    Ok(Json(Value::Array(got.iter().map(summary).collect())))
}

async fn list<S: Store + Clone + 'static>(
    State(state): State<ApiState<S>>,
    holder: HolderId,
) -> Result<Json<Value>, ApiError> {
    let got = state.context.wallet(holder).credentials().await?;
    Ok(Json(Value::Array(got.iter().map(summary).collect())))
}

async fn detail<S: Store + Clone + 'static>(
    State(state): State<ApiState<S>>,
    holder: HolderId,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let wallet = state.context.wallet(holder);
    let c = wallet.credential(&id).await?;
    let mut v = summary(&c);
    v["claims"] = wallet.credential_claims(&id).await?;
    Ok(Json(v))
}

async fn delete<S: Store + Clone + 'static>(
    State(state): State<ApiState<S>>,
    holder: HolderId,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.context.wallet(holder).delete_credential(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct AuthorizeBody {
    offer_uri: String,
}

async fn authorize<S: Store + Clone + 'static>(
    State(state): State<ApiState<S>>,
    holder: HolderId,
    Json(body): Json<AuthorizeBody>,
) -> Result<Json<Value>, ApiError> {
    let wallet = state.context.wallet(holder);
    let pending = wallet.begin_authorization(&body.offer_uri).await?;
    let id = wallet.park_authorization(&pending).await?;
    Ok(Json(
        json!({"id": id, "authorization_url": pending.authorization_url}),
    ))
}

#[derive(Debug, Deserialize)]
struct FinishBody {
    code: String,
    state: String,
}

async fn finish_authorization<S: Store + Clone + 'static>(
    State(state): State<ApiState<S>>,
    holder: HolderId,
    Path(id): Path<String>,
    Json(body): Json<FinishBody>,
) -> Result<Json<Value>, ApiError> {
    let wallet = state.context.wallet(holder);
    let pending = wallet.take_authorization(&id).await?;
    let got = wallet
        .finish_authorization(pending, &body.code, &body.state)
        .await?;
    Ok(Json(Value::Array(got.iter().map(summary).collect())))
}

#[derive(Debug, Deserialize)]
struct PrepareBody {
    request_uri: String,
}

async fn prepare<S: Store + Clone + 'static>(
    State(state): State<ApiState<S>>,
    holder: HolderId,
    Json(body): Json<PrepareBody>,
) -> Result<Json<ConsentRequest>, ApiError> {
    let wallet = state.context.wallet(holder);
    let consent = wallet.prepare_presentation(&body.request_uri).await?;
    wallet.park_consent(&consent).await?;
    Ok(Json(consent))
}

async fn confirm<S: Store + Clone + 'static>(
    state: State<ApiState<S>>,
    holder: HolderId,
    id: Path<String>,
) -> Result<Json<Value>, ApiError> {
    decide(state, holder, id, Choice::Accept).await
}

async fn decline<S: Store + Clone + 'static>(
    state: State<ApiState<S>>,
    holder: HolderId,
    id: Path<String>,
) -> Result<Json<Value>, ApiError> {
    decide(state, holder, id, Choice::Decline).await
}

async fn decide<S: Store + Clone + 'static>(
    State(state): State<ApiState<S>>,
    holder: HolderId,
    Path(id): Path<String>,
    choice: Choice,
) -> Result<Json<Value>, ApiError> {
    // Taken out of the store: a consent is answered once, on whichever node.
    let wallet = state.context.wallet(holder);
    let consent = wallet.take_consent(&id).await?;
    let outcome = wallet.present(consent, choice).await?;
    Ok(Json(serde_json::to_value(outcome).unwrap_or(Value::Null)))
}

async fn history<S: Store + Clone + 'static>(
    State(state): State<ApiState<S>>,
    holder: HolderId,
) -> Result<Json<Value>, ApiError> {
    let got = state.context.wallet(holder).history().await?;
    Ok(Json(Value::Array(got.iter().map(record).collect())))
}

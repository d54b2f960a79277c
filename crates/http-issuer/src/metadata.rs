//! Discovery documents: Credential Issuer Metadata (JSON or signed `application/jwt`), OAuth
//! Authorization Server Metadata, JWT VC Issuer Metadata and the EU SD-JWT VC Type Metadata.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use kakehashi_academic::profiles::EU_DIPLOMA_VCT;
use kakehashi_crypto::PublicJwk;
use kakehashi_oid4vci::metadata::{AuthorizationServerMetadata, CredentialIssuerMetadata};
use kakehashi_storage::Store;
use serde_json::{Value, json};

use crate::state::sha256;
use crate::{IssuerError, IssuerState, Profile};

/// `credential_configuration_id` of the EU diploma (SD-JWT VC).
pub const EU_CONFIGURATION_ID: &str = "eu_diploma_sd_jwt";
/// `credential_configuration_id` of the Japanese diploma (OB 3.0 `jwt_vc_json`).
pub const JP_CONFIGURATION_ID: &str = "jp_diploma_jwt_vc_json";
/// Path of the EU Type Metadata document.
pub const TYPE_METADATA_PATH: &str = "/type-metadata/diploma-eu";

/// The issuer's Credential Issuer Metadata.
pub fn issuer_metadata<S>(state: &IssuerState<S>) -> Result<CredentialIssuerMetadata, IssuerError> {
    let id = &state.identity;
    let display_name = |lang: &str| {
        id.awarding_body
            .legal_name
            .best(lang)
            .unwrap_or_default()
            .to_owned()
    };
    let configuration = match id.profile {
        Profile::Eu => json!({
            EU_CONFIGURATION_ID: {
                "format": "dc+sd-jwt",
                "scope": "diploma_eu",
                "vct": EU_DIPLOMA_VCT,
                "cryptographic_binding_methods_supported": ["jwk"],
                "credential_signing_alg_values_supported": ["ES256"],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}},
                "credential_metadata": {
                    "display": [
                        {"name": "Diploma", "locale": "en"},
                        {"name": "学位記", "locale": "ja"}
                    ]
                }
            }
        }),
        Profile::Jp => json!({
            JP_CONFIGURATION_ID: {
                "format": "jwt_vc_json",
                "scope": "diploma_jp",
                "cryptographic_binding_methods_supported": ["did:jwk"],
                "credential_signing_alg_values_supported": ["ES256"],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}},
                "credential_definition": {
                    "type": ["VerifiableCredential", "OpenBadgeCredential", "AchievementCredential"]
                },
                "credential_metadata": {
                    "display": [
                        {"name": "学位記", "locale": "ja"},
                        {"name": "Diploma", "locale": "en"}
                    ]
                }
            }
        }),
    };
    let value = json!({
        "credential_issuer": id.credential_issuer,
        "credential_endpoint": state.url("/credential"),
        "nonce_endpoint": state.url("/nonce"),
        "deferred_credential_endpoint": state.url("/deferred_credential"),
        "notification_endpoint": state.url("/notification"),
        "batch_credential_issuance": {"batch_size": state.config.batch_size.max(2)},
        "display": [
            {"name": display_name("en"), "locale": "en"},
            {"name": display_name("ja"), "locale": "ja"}
        ],
        "credential_configurations_supported": configuration
    });
    Ok(CredentialIssuerMetadata::from_json(value)?)
}

/// The Authorization Server Metadata (the issuer is its own AS).
pub fn authorization_server_metadata<S>(state: &IssuerState<S>) -> AuthorizationServerMetadata {
    AuthorizationServerMetadata {
        issuer: state.identity.credential_issuer.clone(),
        authorization_endpoint: Some(state.url("/authorize")),
        token_endpoint: state.url("/token"),
        pushed_authorization_request_endpoint: Some(state.url("/par")),
        require_pushed_authorization_requests: Some(true),
        dpop_signing_alg_values_supported: Some(vec!["ES256".into()]),
        pre_authorized_grant_anonymous_access_supported: Some(true),
        code_challenge_methods_supported: Some(vec!["S256".into()]),
        grant_types_supported: Some(vec![
            "authorization_code".into(),
            kakehashi_oid4vci::offer::PRE_AUTHORIZED_CODE_GRANT.into(),
        ]),
        response_types_supported: Some(vec!["code".into()]),
        authorization_details_types_supported: Some(vec!["openid_credential".into()]),
        other: Default::default(),
    }
}

/// JWT VC Issuer Metadata (SD-JWT VC section 5): the issuer and its keys by value.
pub fn jwt_vc_issuer_metadata<S>(state: &IssuerState<S>) -> Value {
    json!({
        "issuer": state.identity.credential_issuer,
        "jwks": {"keys": state.keys.published().iter().map(PublicJwk::to_json).collect::<Vec<_>>()}
    })
}

/// `vct#integrity`: SRI `sha256-<base64>` of the Type Metadata bytes as served.
pub fn type_metadata_integrity<S>(state: &IssuerState<S>) -> String {
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(sha256(&state.type_metadata))
    )
}

pub(crate) async fn credential_issuer<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
    headers: HeaderMap,
) -> Result<Response, IssuerError> {
    let metadata = issuer_metadata(&state)?;
    let wants_jwt = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/jwt"));
    if wants_jwt {
        let now = state.now();
        let jwt = metadata.sign(
            state.signer().as_ref(),
            now,
            Some(now.saturating_add(24 * 3600)),
        )?;
        return Ok(typed(jwt, "application/jwt"));
    }
    Ok(axum::Json(metadata).into_response())
}

pub(crate) async fn authorization_server<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
) -> Response {
    axum::Json(authorization_server_metadata(&state)).into_response()
}

pub(crate) async fn jwt_vc_issuer<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
) -> Response {
    axum::Json(jwt_vc_issuer_metadata(&state)).into_response()
}

pub(crate) async fn type_metadata<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
) -> Response {
    let mut response = state.type_metadata.as_ref().clone().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A text body with a content type.
pub(crate) fn typed(body: String, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

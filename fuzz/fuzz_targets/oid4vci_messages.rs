//! OpenID4VCI message parsing never panics: offer URIs and offers, token and PAR form bodies,
//! credential / deferred / notification requests, responses and metadata.
#![no_main]

use kakehashi_oid4vci::credential::{
    CredentialRequest, CredentialResponse, DeferredCredentialRequest, NotificationRequest,
};
use kakehashi_oid4vci::metadata::{AuthorizationServerMetadata, CredentialIssuerMetadata};
use kakehashi_oid4vci::oauth::{PushedAuthorizationRequest, TokenRequest, TokenResponse};
use kakehashi_oid4vci::offer::{CredentialOffer, CredentialOfferRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(CredentialOfferRequest::ByValue(offer)) = CredentialOfferRequest::parse_uri(text) {
            let again = CredentialOfferRequest::ByValue(offer.clone()).to_uri("openid-credential-offer://");
            assert_eq!(
                CredentialOfferRequest::parse_uri(&again).ok(),
                Some(CredentialOfferRequest::ByValue(offer)),
                "offer URIs round-trip"
            );
        }
        if let Ok(request) = TokenRequest::from_form(text) {
            assert_eq!(TokenRequest::from_form(&request.to_form()).ok(), Some(request));
        }
        if let Ok(metadata) = CredentialIssuerMetadata::from_json(serde_json::json!({
            "credential_issuer": "https://issuer.example",
            "credential_endpoint": "https://issuer.example/credential",
            "credential_configurations_supported": {"d": {"format": "dc+sd-jwt", "vct": "urn:d", "scope": "d"}}
        })) {
            let _ = PushedAuthorizationRequest::from_form(text, &metadata);
        }
    }
    let _ = CredentialOffer::parse(data);
    if let Ok(request) = CredentialRequest::parse(data) {
        let again = request.to_json().to_string();
        assert_eq!(CredentialRequest::parse(again.as_bytes()).ok(), Some(request));
    }
    let _ = CredentialResponse::parse(data);
    let _ = DeferredCredentialRequest::parse(data);
    let _ = NotificationRequest::parse(data);
    let _ = TokenResponse::parse(data);
    let _ = CredentialIssuerMetadata::parse(data);
    let _ = AuthorizationServerMetadata::parse(data);
});

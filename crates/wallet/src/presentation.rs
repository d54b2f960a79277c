//! OpenID4VP over HTTP: fetch and verify the signed request, match DCQL, ask for consent,
//! present with key binding, post the response, record history.

use kakehashi_core::UnixTime;
use kakehashi_crypto::Signer as _;
use kakehashi_crypto_aws_lc::jwe::{self, ContentEncryption, EncryptOptions};
use kakehashi_oid4vci::proof::did_jwk_of;
use kakehashi_oid4vp::matching::{CredentialMatch, match_credential};
use kakehashi_oid4vp::request::{
    ClientId, RequestUri, RequestUriMethod, RequestUriPost, ResponseMode, STATIC_AUDIENCE,
    WalletRequestContext, san_dns_names, verify_request_object,
};
use kakehashi_oid4vp::response::encrypted_form;
use kakehashi_oid4vp::wallet::{PendingPresentation, WalletResponse};
use kakehashi_oid4vp::{ClaimsPath, CredentialFormat, Oid4vpError};
use kakehashi_sd_jwt::{ClaimPath, KbJwtClaims, Limits, SdJwt, Selection};
use kakehashi_storage::{PresentationRecord, Store, StoredCredential};
use kakehashi_vc_jose::{PresentationClaims, envelope_vc_jwt, issue_vp_jwt};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use x509_cert::der::Decode as _;

use crate::display::{self, JWT_VC_JSON, SD_JWT_VC};
use crate::{Wallet, WalletError, random_token};

/// Who asks, as far as the signed request shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifierInfo {
    /// The verifier's `client_id` (with prefix).
    pub client_id: String,
    /// A name for the consent screen: the certificate subject's organization / common name,
    /// else its first DNS name.
    pub name: String,
    /// The full certificate subject (RFC 4514).
    pub certificate_subject: String,
    /// The certificate's DNS names.
    pub dns_names: Vec<String>,
    /// Where the response goes.
    pub response_uri: String,
    /// Whether the response is encrypted to the verifier (`direct_post.jwt`).
    pub encrypted_response: bool,
    /// Whether the certificate chain was validated to a configured trust anchor (`false`:
    /// no anchors configured, the name is self-asserted by the certificate).
    pub trusted: bool,
}

/// One claim that would be disclosed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisclosedClaim {
    /// The claims path (JSON array).
    pub path: Value,
    /// Labels from the Type Metadata (`en`, `ja`), if known.
    pub label: Map<String, Value>,
    /// The value that would be shared.
    pub value: Value,
}

/// One credential that would be presented.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentItem {
    /// The DCQL credential query id.
    pub query_id: String,
    /// The wallet credential.
    pub credential_id: String,
    /// Its format.
    pub format: String,
    /// Its display data.
    pub display: Value,
    /// The claims the verifier asked for.
    pub claims: Vec<DisclosedClaim>,
    /// True when the format has no selective disclosure (`jwt_vc_json`): the verifier then
    /// receives the whole credential, not only `claims`. The consent screen must say so.
    pub whole_credential: bool,
}

/// What the holder is asked to approve. A serde value: the web wallet keeps it between the
/// "prepare" and "confirm" requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentRequest {
    /// Consent id.
    pub id: String,
    /// Who asks.
    pub verifier: VerifierInfo,
    /// What would be shared.
    pub items: Vec<ConsentItem>,
    /// When the request was fetched and verified.
    pub prepared_at: UnixTime,
    request_object: String,
    outer_client_id: String,
    wallet_nonce: Option<String>,
    selection: Vec<(String, CredentialMatch)>,
}

/// The holder's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// Present as listed.
    Accept,
    /// Refuse: the verifier gets `access_denied`.
    Decline,
}

/// A deliberate deviation from an honest presentation (see `Wallet::present_altered`, feature
/// `adversary`).
pub enum Alteration {
    /// Bind the key-binding JWT (or VP JWT) to this audience instead of the verifier's
    /// `client_id`: a presentation made for another verifier.
    Audience(String),
    /// Rewrite the `vp_token` (query id → presentations) just before it is encrypted and sent.
    Token(TokenRewrite),
}

/// A rewrite of the `vp_token` map (query id → presentations).
pub type TokenRewrite = Box<dyn FnOnce(&mut Map<String, Value>) + Send>;

impl std::fmt::Debug for Alteration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Audience(a) => f.debug_tuple("Audience").field(a).finish(),
            Self::Token(_) => f.write_str("Token(..)"),
        }
    }
}

/// What presenting led to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresentationOutcome {
    /// Whether credentials were sent.
    pub presented: bool,
    /// The history record (when presented).
    pub record_id: Option<String>,
    /// Same-device flow: where to send the user's browser next.
    pub redirect_uri: Option<String>,
}

const SUPPORTED: [CredentialFormat; 2] = [CredentialFormat::DcSdJwt, CredentialFormat::JwtVcJson];

impl<S: Store + Clone> Wallet<S> {
    /// Fetches and verifies the signed request behind `request_uri`, matches its DCQL query
    /// against the holder's credentials and lists exactly what would go to whom.
    pub async fn prepare_presentation(
        &self,
        request_uri: &str,
    ) -> Result<ConsentRequest, WalletError> {
        let untrusted = |e: Oid4vpError| WalletError::UntrustedRequest(e.to_string());
        let uri = RequestUri::parse(request_uri.trim()).map_err(untrusted)?;
        let (jwt, wallet_nonce) = match uri.request_uri_method {
            Some(RequestUriMethod::Post) => {
                let nonce = random_token(16)?;
                let body = RequestUriPost {
                    wallet_metadata: Some(wallet_metadata()),
                    wallet_nonce: Some(nonce.clone()),
                }
                .to_form();
                let r = self
                    .http()
                    .post_form(
                        &uri.request_uri,
                        body,
                        &[("accept", "application/oauth-authz-req+jwt".into())],
                    )
                    .await?;
                (r, Some(nonce))
            }
            _ => (
                self.http()
                    .get(&uri.request_uri, "application/oauth-authz-req+jwt")
                    .await?,
                None,
            ),
        };
        if !jwt.is_success() {
            return Err(WalletError::UntrustedRequest(format!(
                "request_uri answered HTTP {}",
                jwt.status
            )));
        }
        let jwt = String::from_utf8(jwt.body)
            .map_err(|_| WalletError::UntrustedRequest("request object is not text".into()))?
            .trim()
            .to_owned();
        let now = self.now();
        let pending = self.verify_request(&jwt, &uri.client_id, wallet_nonce.as_deref(), now)?;
        let trusted = match &self.config().verifier_anchors {
            Some(anchors) => {
                crate::chain_is_anchored(pending.request().certificate_chain(), anchors, now)
                    .map_err(|e| {
                        WalletError::UntrustedRequest(format!("verifier certificate: {e}"))
                    })?;
                true
            }
            None => false,
        };
        pending
            .check_formats(&SUPPORTED)
            .map_err(|_| WalletError::NoMatchingCredential)?;

        let provider = self.provider();
        let stored = self.credentials().await?;
        let mut held = Vec::new();
        let mut held_ids = Vec::new();
        for c in &stored {
            match display::held(c, &provider) {
                Ok(h) => {
                    held.push(h);
                    held_ids.push(c);
                }
                Err(e) => tracing::warn!(credential = %c.id, error = %e, "skipped"),
            }
        }
        let outcome = pending.match_credentials(&held);
        let query = &pending.request().request().dcql_query;
        let selection = outcome
            .default_selection(query)
            .ok_or(WalletError::NoMatchingCredential)?;
        if selection.is_empty() {
            return Err(WalletError::NoMatchingCredential);
        }
        let mut items = Vec::new();
        for (query_id, m) in &selection {
            let credential = held_ids
                .get(m.credential_index)
                .ok_or(WalletError::NoMatchingCredential)?;
            let claims_root = &held[m.credential_index].claims;
            let labels = credential.display.get("claims").and_then(Value::as_object);
            let claims = m
                .disclosed
                .iter()
                .map(|p| {
                    let path = serde_json::to_value(p).unwrap_or(Value::Null);
                    let label = labels
                        .and_then(|l| l.get(&path.to_string()))
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    DisclosedClaim {
                        value: select_value(p, claims_root),
                        path,
                        label,
                    }
                })
                .collect();
            items.push(ConsentItem {
                query_id: query_id.clone(),
                credential_id: credential.id.clone(),
                whole_credential: credential.format != SD_JWT_VC,
                format: credential.format.clone(),
                display: credential.display.clone(),
                claims,
            });
        }
        let request = pending.request();
        Ok(ConsentRequest {
            id: random_token(16)?,
            verifier: verifier_info(request, trusted),
            items,
            prepared_at: now,
            request_object: jwt,
            outer_client_id: uri.client_id,
            wallet_nonce,
            selection,
        })
    }

    fn verify_request(
        &self,
        jwt: &str,
        outer_client_id: &str,
        wallet_nonce: Option<&str>,
        now: UnixTime,
    ) -> Result<PendingPresentation, WalletError> {
        let verified = verify_request_object(
            jwt,
            &WalletRequestContext {
                outer_client_id: Some(outer_client_id),
                wallet_nonce,
                accepted_audiences: &[STATIC_AUDIENCE],
                now,
            },
            &self.provider(),
        )
        .map_err(|e| WalletError::UntrustedRequest(e.to_string()))?;
        Ok(PendingPresentation::new(verified))
    }

    /// Carries out the holder's choice: presents exactly the listed claims (SD-JWT with a
    /// KB-JWT, or a VP JWT, bound to the verifier's `client_id` and `nonce`), posts the
    /// response (encrypted for `direct_post.jwt`) and records it; or declines.
    pub async fn present(
        &self,
        consent: ConsentRequest,
        choice: Choice,
    ) -> Result<PresentationOutcome, WalletError> {
        self.present_inner(consent, choice, None).await
    }

    /// Presents like [`Wallet::present`] with an [`Alteration`]: a conformance harness (the
    /// pilot) uses it to show that verifiers refuse what an honest wallet never sends.
    #[cfg(feature = "adversary")]
    pub async fn present_altered(
        &self,
        consent: ConsentRequest,
        alteration: Alteration,
    ) -> Result<PresentationOutcome, WalletError> {
        self.present_inner(consent, Choice::Accept, Some(alteration))
            .await
    }

    async fn present_inner(
        &self,
        consent: ConsentRequest,
        choice: Choice,
        alteration: Option<Alteration>,
    ) -> Result<PresentationOutcome, WalletError> {
        let now = self.now();
        if now.seconds().saturating_sub(consent.prepared_at.seconds())
            > self.config().consent_lifetime_seconds
        {
            return Err(WalletError::ConsentExpired);
        }
        // The request object was verified at `prepared_at`; verifying again at that time
        // rebuilds the protocol state without trusting anything the consent carries.
        let pending = self.verify_request(
            &consent.request_object,
            &consent.outer_client_id,
            consent.wallet_nonce.as_deref(),
            consent.prepared_at,
        )?;
        if choice == Choice::Decline {
            let response =
                pending.decline(&Oid4vpError::AccessDenied("the holder declined".into()));
            let answer = self.post_response(response).await?;
            return Ok(PresentationOutcome {
                presented: false,
                record_id: None,
                redirect_uri: answer,
            });
        }
        let (nonce, audience) = pending.binding();
        let (nonce, mut audience) = (nonce.to_owned(), audience.to_owned());
        let mut alter_token = None;
        match alteration {
            Some(Alteration::Audience(other)) => audience = other,
            Some(Alteration::Token(f)) => alter_token = Some(f),
            None => {}
        }
        let provider = self.provider();
        let mut vp_token = Map::new();
        let mut credential_ids = Vec::new();
        let mut disclosed = Map::new();
        for (item, (query_id, m)) in consent.items.iter().zip(&consent.selection) {
            if item.query_id != *query_id {
                return Err(WalletError::InvalidInput(
                    "consent items out of order".into(),
                ));
            }
            let credential = self.credential(&item.credential_id).await?;
            // The consent is data from the caller: what it says is disclosed must be exactly
            // what this credential must disclose for this query.
            let query = pending
                .request()
                .request()
                .dcql_query
                .credential(query_id)
                .ok_or_else(|| WalletError::InvalidInput(format!("unknown query {query_id:?}")))?;
            let held = display::held(&credential, &provider)?;
            let expected = match_credential(query, &held, 0).map(|c| c.disclosed);
            if expected.as_ref() != Some(&m.disclosed) {
                return Err(WalletError::InvalidInput(
                    "the consent does not match the request".into(),
                ));
            }
            let presentation = self
                .present_one(&credential, &m.disclosed, &nonce, &audience, now, &provider)
                .await?;
            if let Some(list) = vp_token
                .entry(query_id.clone())
                .or_insert_with(|| Value::Array(vec![]))
                .as_array_mut()
            {
                list.push(Value::String(presentation));
            }
            credential_ids.push(credential.id.clone());
            disclosed.insert(
                credential.id.clone(),
                Value::Array(item.claims.iter().map(|c| c.path.clone()).collect()),
            );
        }
        if let Some(f) = alter_token {
            f(&mut vp_token);
        }
        let response = pending
            .respond(vp_token)
            .map_err(|e| WalletError::InvalidInput(e.to_string()))?;
        let redirect_uri = self.post_response(response).await?;
        let record = PresentationRecord {
            id: self.new_id()?,
            verifier: audience,
            credential_ids,
            disclosed: json!({"verifier_name": consent.verifier.name, "claims": disclosed}),
            presented_at: now,
        };
        self.store().insert_presentation(&record).await?;
        Ok(PresentationOutcome {
            presented: true,
            record_id: Some(record.id),
            redirect_uri,
        })
    }

    async fn present_one(
        &self,
        credential: &StoredCredential,
        paths: &[ClaimsPath],
        nonce: &str,
        audience: &str,
        now: UnixTime,
        provider: &kakehashi_crypto::CryptoProvider,
    ) -> Result<String, WalletError> {
        let key_id = credential
            .holder_key_id
            .as_deref()
            .ok_or_else(|| WalletError::Key("credential has no holder key".into()))?;
        let key = self.load_key(key_id).await?;
        match credential.format.as_str() {
            SD_JWT_VC => {
                let sd = SdJwt::parse(&credential.raw, Limits::DEFAULT)
                    .map_err(|e| WalletError::Key(e.to_string()))?;
                let paths = paths
                    .iter()
                    .map(|p| {
                        ClaimPath::from_json(&serde_json::to_value(p).unwrap_or(Value::Null))
                            .map_err(|e| WalletError::Key(e.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let presented = sd
                    .present(
                        provider,
                        &paths,
                        Selection::WithDescendants,
                        Limits::DEFAULT,
                    )
                    .and_then(|p| {
                        p.bind(
                            provider,
                            &key,
                            &KbJwtClaims {
                                audience: audience.to_owned(),
                                nonce: nonce.to_owned(),
                                issued_at: now,
                            },
                            Limits::DEFAULT,
                        )
                    })
                    .map_err(|e| WalletError::Key(e.to_string()))?;
                Ok(presented.serialize())
            }
            JWT_VC_JSON => {
                let did = did_jwk_of(key.public_jwk());
                let key = key.with_kid(format!("{did}#0"));
                let vp = json!({
                    "@context": [kakehashi_vc_jose::BASE_CONTEXT],
                    "type": ["VerifiablePresentation"],
                    "holder": did,
                    "verifiableCredential": [envelope_vc_jwt(&credential.raw)],
                });
                issue_vp_jwt(
                    &vp,
                    &key,
                    &PresentationClaims {
                        nonce: nonce.to_owned(),
                        audience: audience.to_owned(),
                        issued_at: now,
                        expires_at: Some(now.saturating_add(300)),
                    },
                    Map::new(),
                )
                .map_err(|e| WalletError::Key(e.to_string()))
            }
            other => Err(WalletError::Key(format!(
                "format {other:?} cannot be presented"
            ))),
        }
    }

    /// POSTs the response; returns the verifier's `redirect_uri`, if any.
    async fn post_response(&self, response: WalletResponse) -> Result<Option<String>, WalletError> {
        let (url, body) = match response {
            WalletResponse::Form { response_uri, body } => (response_uri, body),
            WalletResponse::Encrypt {
                response_uri,
                plaintext,
                recipient_jwk,
                enc,
            } => {
                let enc = ContentEncryption::from_jose(enc)
                    .map_err(|e| WalletError::Key(e.to_string()))?;
                let jwe = jwe::encrypt(&plaintext, &recipient_jwk, enc, &EncryptOptions::default())
                    .map_err(|e| WalletError::Key(format!("encrypting the response: {e}")))?;
                (response_uri, encrypted_form(&jwe))
            }
        };
        let r = self.http().post_form(&url, body, &[]).await?;
        if !r.is_success() {
            let detail = r.oauth_error().unwrap_or_else(|| "no error code".into());
            return Err(WalletError::Verifier(format!(
                "HTTP {}: {detail}",
                r.status
            )));
        }
        let answer: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        Ok(answer
            .get("redirect_uri")
            .and_then(Value::as_str)
            .filter(|u| u.starts_with("https://"))
            .map(str::to_owned))
    }
}

fn wallet_metadata() -> Value {
    json!({
        "vp_formats_supported": {
            "dc+sd-jwt": {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]},
            "jwt_vc_json": {"alg_values": ["ES256"]}
        },
        "client_id_prefixes_supported": ["x509_san_dns", "x509_hash"],
        "request_object_signing_alg_values_supported": ["ES256"],
        "response_types_supported": ["vp_token"]
    })
}

fn verifier_info(
    request: &kakehashi_oid4vp::request::VerifiedRequest,
    trusted: bool,
) -> VerifierInfo {
    let leaf = request.certificate_chain().first();
    let dns_names = leaf.and_then(|d| san_dns_names(d).ok()).unwrap_or_default();
    let subject = leaf
        .and_then(|d| x509_cert::Certificate::from_der(d).ok())
        .map(|c| c.tbs_certificate().subject().to_string())
        .unwrap_or_default();
    let attribute = |name: &str| {
        subject.split(',').find_map(|part| {
            let (k, v) = part.trim().split_once('=')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    };
    let name = attribute("O")
        .or_else(|| attribute("CN"))
        .or_else(|| dns_names.first().cloned())
        .unwrap_or_else(|| match request.client_id() {
            ClientId::X509SanDns(d) => d.clone(),
            other => other.to_string(),
        });
    let r = request.request();
    VerifierInfo {
        client_id: r.client_id.clone(),
        name,
        certificate_subject: subject,
        dns_names,
        response_uri: r.response_uri.clone(),
        encrypted_response: r.response_mode == ResponseMode::DirectPostJwt,
        trusted,
    }
}

/// The value at a concrete path (for the consent screen).
fn select_value(path: &ClaimsPath, root: &Value) -> Value {
    match path.select(root) {
        Ok(found) => match found.as_slice() {
            [one] => one.value.clone(),
            many => Value::Array(many.iter().map(|s| s.value.clone()).collect()),
        },
        Err(_) => Value::Null,
    }
}

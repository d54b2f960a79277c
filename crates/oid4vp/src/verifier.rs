//! The verifier's session (OpenID4VP 1.0 sections 5, 8, 14):
//!
//! ```text
//!  Created ──fetch_request──▶ RequestFetched ──receive_response──▶ ResponseReceived ──verify──▶ Verified
//!     (QR / link shown)       (signed request    (vp_token shape,      (per presentation:          │
//!                              object served      state, credential     signature, KB-JWT nonce  Failed
//!                              once)              sets checked)         = session nonce, aud =
//!                                                                       client_id, claims ⊇ query)
//! ```
//!
//! Each state is a struct consumed by value, and every state is also a serde value: the HTTP
//! layer loads [`VerifierSession`] from its store, applies one transition and saves the
//! result. A transition that fails returns an error and no new state, so the stored state is
//! unchanged: a forged or replayed response cannot move a session, and a session that already
//! received a response refuses a second one ([`Oid4vpError::WrongSessionState`]).

use kakehashi_core::UnixTime;
use kakehashi_crypto::Signer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Oid4vpError;
use crate::dcql::{CredentialFormat, CredentialQuery, DcqlQuery};
use crate::matching::{CredentialMatch, HeldCredential, match_credential};
use crate::request::{
    AuthorizationRequest, ClientMetadata, RequestUri, RequestUriMethod, RequestUriPost,
    ResponseMode,
};
use crate::response::{AuthorizationResponse, ErrorResponse, PostedResponse, ResponseUriAnswer};

/// How long a signed Request Object is valid after it is served.
pub const REQUEST_OBJECT_LIFETIME: i64 = 300;

/// What a credential format verifier must establish for one presentation. Implemented by
/// the edge with the SD-JWT and VC-JOSE crates; the session then checks the binding values
/// and the disclosed claims itself, so a lax implementation cannot skip them.
pub trait PresentationVerifier {
    /// Verifies `presentation` (a vp_token array element) of `format`: issuer signature and
    /// trust, status, validity period, and the holder-binding proof (KB-JWT or VP signature)
    /// with `context.nonce` and `context.audience`. Returns what it verified, or a reason.
    fn verify(
        &self,
        format: &CredentialFormat,
        presentation: &Value,
        context: &PresentationContext<'_>,
    ) -> Result<VerifiedPresentation, String>;
}

/// The values a presentation must be bound to.
#[derive(Debug, Clone, Copy)]
pub struct PresentationContext<'a> {
    /// The credential query the presentation answers.
    pub query: &'a CredentialQuery,
    /// The session nonce: the KB-JWT / VP `nonce` must equal it.
    pub nonce: &'a str,
    /// The client id: the KB-JWT / VP `aud` must equal it.
    pub audience: &'a str,
    /// The current time.
    pub now: UnixTime,
}

/// The result of a format verifier for one presentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifiedPresentation {
    /// The disclosed claims as one JSON object (W3C: the credential, paths start with
    /// `credentialSubject`).
    pub claims: Value,
    /// SD-JWT VC `vct`.
    pub vct: Option<String>,
    /// W3C `type` values.
    pub types: Vec<String>,
    /// Issuer trust information `(type, value)`, as for matching.
    pub authorities: Vec<(String, String)>,
    /// The verified holder-binding proof's `nonce` and `aud`; `None` when the presentation
    /// carries no holder binding.
    pub holder_binding: Option<HolderBinding>,
}

/// `nonce` and `aud` of a verified KB-JWT or VP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolderBinding {
    /// The proof's `nonce`.
    pub nonce: String,
    /// The proof's `aud`.
    pub audience: String,
}

/// The session parameters chosen by the verifier application.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSession {
    /// The verifier's client id (e.g. `x509_san_dns:verifier.example.org`).
    pub client_id: String,
    /// Where the wallet POSTs the response.
    pub response_uri: String,
    /// Where the wallet fetches the Request Object.
    pub request_uri: String,
    /// `direct_post.jwt` (HAIP) or `direct_post`.
    pub response_mode: ResponseMode,
    /// Verifier metadata, incl. `jwks` for `direct_post.jwt`.
    pub client_metadata: ClientMetadata,
    /// What is requested.
    pub dcql_query: DcqlQuery,
    /// Fresh random nonce from the caller's CSPRNG (at least 128 bits, base64url).
    pub nonce: String,
    /// Fresh random state from the caller's CSPRNG.
    pub state: String,
    /// Same-device flow: where the wallet sends the browser after posting; `None` for
    /// cross-device (QR) flows.
    pub redirect_uri: Option<String>,
    /// Same-device flow: fresh random code appended to `redirect_uri` as `#response_code=…`;
    /// the frontend must present it to read the result (section 13.3, session fixation).
    /// Required with `redirect_uri`.
    pub response_code: Option<String>,
    /// Session lifetime in seconds.
    pub lifetime_seconds: i64,
}

/// The data every state carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionData {
    /// The request the verifier signs.
    pub request: AuthorizationRequest,
    /// The request URI.
    pub request_uri: String,
    /// Same-device redirect.
    pub redirect_uri: Option<String>,
    /// Same-device response code (see [`NewSession::response_code`]).
    pub response_code: Option<String>,
    /// When the session was created.
    pub created_at: UnixTime,
    /// When it expires.
    pub expires_at: UnixTime,
}

impl SessionData {
    fn check_alive(&self, now: UnixTime) -> Result<(), Oid4vpError> {
        if now >= self.expires_at {
            Err(Oid4vpError::SessionExpired)
        } else {
            Ok(())
        }
    }
}

/// State 1: created; the QR code or link can be shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Created {
    data: SessionData,
}

/// State 2: the wallet fetched the signed request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestFetched {
    data: SessionData,
    fetched_at: UnixTime,
}

/// State 3: a response arrived (presentations not yet verified).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseReceived {
    data: SessionData,
    outcome: Result<AuthorizationResponse, ErrorResponse>,
}

/// Terminal: every presentation verified and the query satisfied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verified {
    data: SessionData,
    /// Per credential query id, the verified presentations.
    pub credentials: Vec<VerifiedCredential>,
}

/// One verified presentation with the query it answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifiedCredential {
    /// The credential query id.
    pub query_id: String,
    /// What the format verifier established.
    pub presentation: VerifiedPresentation,
    /// Which requested claims it disclosed.
    pub matched: CredentialMatch,
}

/// Terminal: the wallet declined, or a presentation failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failed {
    data: SessionData,
    /// The wire error code.
    pub error: String,
    /// Why, for logs and the verifier's UI.
    pub reason: String,
}

/// A session as stored between requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum VerifierSession {
    /// See [`Created`].
    Created(Created),
    /// See [`RequestFetched`].
    RequestFetched(RequestFetched),
    /// See [`ResponseReceived`].
    ResponseReceived(ResponseReceived),
    /// See [`Verified`].
    Verified(Verified),
    /// See [`Failed`].
    Failed(Failed),
}

/// Decrypts `direct_post.jwt` responses with the session's key; implemented by the edge with
/// `kakehashi_crypto_aws_lc::jwe`.
pub trait ResponseDecryptor {
    /// Decrypts a compact JWE, returning the plaintext.
    fn decrypt(&self, compact_jwe: &str) -> Result<Vec<u8>, String>;
}

impl Created {
    /// Starts a session. The nonce and state come from the caller's randomness.
    pub fn new(params: NewSession, now: UnixTime) -> Result<Self, Oid4vpError> {
        if params.nonce.len() < 16 {
            return Err(Oid4vpError::param(
                "nonce",
                "at least 16 characters of randomness",
            ));
        }
        if params.state.len() < 16 {
            return Err(Oid4vpError::param(
                "state",
                "at least 16 characters of randomness",
            ));
        }
        match (&params.redirect_uri, &params.response_code) {
            (Some(_), Some(code)) if code.len() >= 16 => {}
            (Some(_), _) => {
                return Err(Oid4vpError::param(
                    "response_code",
                    "the same-device flow needs a random response_code",
                ));
            }
            (None, Some(_)) => {
                return Err(Oid4vpError::param(
                    "response_code",
                    "only with a same-device redirect_uri",
                ));
            }
            (None, None) => {}
        }
        if params.lifetime_seconds <= 0 {
            return Err(Oid4vpError::param("lifetime_seconds", "must be positive"));
        }
        let request = AuthorizationRequest {
            client_id: params.client_id,
            response_type: "vp_token".into(),
            response_mode: params.response_mode,
            response_uri: params.response_uri,
            nonce: params.nonce,
            state: Some(params.state),
            dcql_query: params.dcql_query,
            client_metadata: Some(params.client_metadata),
            wallet_nonce: None,
            aud: None,
            iat: None,
            exp: None,
            other: Map::new(),
        };
        request.validate()?;
        Ok(Self {
            data: SessionData {
                request,
                request_uri: params.request_uri,
                redirect_uri: params.redirect_uri,
                response_code: params.response_code,
                created_at: now,
                expires_at: now.saturating_add(params.lifetime_seconds),
            },
        })
    }

    /// The URI for the QR code / link (`openid4vp://?client_id=…&request_uri=…`).
    pub fn request_uri(&self, base: &str) -> String {
        RequestUri {
            client_id: self.data.request.client_id.clone(),
            request_uri: self.data.request_uri.clone(),
            request_uri_method: Some(RequestUriMethod::Post),
        }
        .to_uri(base)
    }

    /// The session data.
    pub fn data(&self) -> &SessionData {
        &self.data
    }

    /// Serves the signed Request Object (once). `post` is the wallet's POST body when it used
    /// `request_uri_method=post`; its `wallet_nonce` is echoed in the signed request.
    pub fn fetch_request(
        self,
        post: Option<&RequestUriPost>,
        signer: &dyn Signer,
        now: UnixTime,
    ) -> Result<(RequestFetched, String), Oid4vpError> {
        self.data.check_alive(now)?;
        let mut request = self.data.request.clone();
        request.wallet_nonce = post.and_then(|p| p.wallet_nonce.clone());
        let jwt = request.sign(signer, now, REQUEST_OBJECT_LIFETIME)?;
        Ok((
            RequestFetched {
                data: self.data,
                fetched_at: now,
            },
            jwt,
        ))
    }

    /// The state after [`Self::fetch_request`], for a store that already recorded that the
    /// Request Object was served once: the response endpoint restores it without signing the
    /// request again (a signature nobody would read). The session must still be alive.
    pub fn restore_fetched(self, fetched_at: UnixTime) -> Result<RequestFetched, Oid4vpError> {
        self.data.check_alive(fetched_at)?;
        Ok(RequestFetched {
            data: self.data,
            fetched_at,
        })
    }
}

impl RequestFetched {
    /// The session data.
    pub fn data(&self) -> &SessionData {
        &self.data
    }

    /// Accepts the POST to the `response_uri`: decrypts when the mode says so, checks
    /// `state`, and the `vp_token` shape against the query. Returns the answer for the wallet
    /// (`redirect_uri` in the same-device flow).
    pub fn receive_response(
        self,
        body: &str,
        decryptor: &dyn ResponseDecryptor,
        now: UnixTime,
    ) -> Result<(ResponseReceived, ResponseUriAnswer), Oid4vpError> {
        self.data.check_alive(now)?;
        let posted = PostedResponse::from_form(body, self.data.request.response_mode)?;
        let outcome = match posted {
            PostedResponse::Plain(r) => Ok(r),
            PostedResponse::Encrypted(jwe) => {
                let plain = decryptor
                    .decrypt(&jwe)
                    .map_err(|e| Oid4vpError::param("response", e))?;
                Ok(AuthorizationResponse::from_json_bytes(&plain)?)
            }
            PostedResponse::Error(e) => Err(e),
        };
        let state = match &outcome {
            Ok(r) => r.state.as_deref(),
            Err(e) => e.state.as_deref(),
        };
        if state != self.data.request.state.as_deref() {
            return Err(Oid4vpError::StateMismatch);
        }
        if let Ok(response) = &outcome {
            check_vp_token(&self.data.request.dcql_query, response)?;
        }
        let answer = ResponseUriAnswer {
            redirect_uri: self.data.redirect_uri.as_ref().map(|uri| {
                let code = self.data.response_code.as_deref().unwrap_or_default();
                let separator = if uri.contains('#') { '&' } else { '#' };
                format!(
                    "{uri}{separator}response_code={}",
                    crate::form::encode_component(code)
                )
            }),
        };
        Ok((
            ResponseReceived {
                data: self.data,
                outcome,
            },
            answer,
        ))
    }
}

/// Section 8.1 and 6.4.2: keys are query ids, `multiple` respected, required credential sets
/// (or every query when there are none) present.
fn check_vp_token(query: &DcqlQuery, response: &AuthorizationResponse) -> Result<(), Oid4vpError> {
    for (id, list) in &response.vp_token {
        let cq = query
            .credential(id)
            .ok_or_else(|| Oid4vpError::InvalidVpToken(format!("unknown query id {id:?}")))?;
        let n = list.as_array().map_or(0, Vec::len);
        if !cq.multiple && n != 1 {
            return Err(Oid4vpError::InvalidVpToken(format!(
                "{id:?} allows one presentation, got {n}"
            )));
        }
    }
    let present = |id: &String| response.vp_token.contains_key(id);
    match query.credential_sets() {
        None => {
            if let Some(missing) = query.credentials().iter().find(|c| !present(&c.id)) {
                return Err(Oid4vpError::InvalidVpToken(format!(
                    "missing {:?}",
                    missing.id
                )));
            }
        }
        Some(sets) => {
            for set in sets.iter().filter(|s| s.required) {
                if !set.options.iter().any(|o| o.iter().all(present)) {
                    return Err(Oid4vpError::InvalidVpToken(
                        "a required credential set is not satisfied".into(),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The result of [`ResponseReceived::verify`].
#[derive(Debug, Clone, PartialEq)]
pub enum VerificationOutcome {
    /// Everything checked out.
    Verified(Verified),
    /// Declined or rejected.
    Failed(Failed),
}

impl ResponseReceived {
    /// The session data.
    pub fn data(&self) -> &SessionData {
        &self.data
    }

    /// The accepted response (decrypted for `direct_post.jwt`), or the wallet's error
    /// response: the edge plans its status-list fetches from this `vp_token` instead of
    /// decrypting the JWE a second time.
    pub fn response(&self) -> Result<&AuthorizationResponse, &ErrorResponse> {
        self.outcome.as_ref()
    }

    /// Verifies every presentation with `verifier`, then checks holder binding (nonce = session
    /// nonce, aud = client_id) and that the disclosed claims satisfy the credential query.
    pub fn verify(self, verifier: &dyn PresentationVerifier, now: UnixTime) -> VerificationOutcome {
        let response = match &self.outcome {
            Ok(r) => r.clone(),
            Err(e) => {
                let reason = e
                    .error_description
                    .clone()
                    .unwrap_or_else(|| "wallet returned an error".into());
                let error = e.error.clone();
                return self.fail(error, reason);
            }
        };
        match verify_all(&self.data.request, &response, verifier, now) {
            Ok(credentials) => VerificationOutcome::Verified(Verified {
                data: self.data,
                credentials,
            }),
            Err(e) => self.fail_with(&e),
        }
    }

    fn fail_with(self, error: &Oid4vpError) -> VerificationOutcome {
        self.fail(error.wire().1.to_owned(), error.to_string())
    }

    fn fail(self, error: String, reason: String) -> VerificationOutcome {
        VerificationOutcome::Failed(Failed {
            data: self.data,
            error,
            reason,
        })
    }
}

fn verify_all(
    request: &AuthorizationRequest,
    response: &AuthorizationResponse,
    verifier: &dyn PresentationVerifier,
    now: UnixTime,
) -> Result<Vec<VerifiedCredential>, Oid4vpError> {
    let mut credentials = Vec::new();
    for (id, list) in &response.vp_token {
        let query = request
            .dcql_query
            .credential(id)
            .ok_or_else(|| Oid4vpError::InvalidVpToken(format!("unknown {id:?}")))?;
        for presentation in list.as_array().map(Vec::as_slice).unwrap_or_default() {
            let context = PresentationContext {
                query,
                nonce: &request.nonce,
                audience: &request.client_id,
                now,
            };
            let checked = verifier
                .verify(&query.format, presentation, &context)
                .and_then(|v| check_presentation(query, &context, v))
                .map_err(|reason| Oid4vpError::PresentationRejected {
                    credential_id: id.clone(),
                    reason,
                })?;
            credentials.push(checked);
        }
    }
    Ok(credentials)
}

fn check_presentation(
    query: &CredentialQuery,
    context: &PresentationContext<'_>,
    v: VerifiedPresentation,
) -> Result<VerifiedCredential, String> {
    match &v.holder_binding {
        Some(b) => {
            if b.nonce != context.nonce {
                return Err("holder binding nonce is not the session nonce".into());
            }
            if b.audience != context.audience {
                return Err("holder binding aud is not the client_id".into());
            }
        }
        None if query.require_cryptographic_holder_binding => {
            return Err("cryptographic holder binding required".into());
        }
        None => {}
    }
    let held = HeldCredential {
        format: query.format.clone(),
        vct: v.vct.clone(),
        types: v.types.clone(),
        claims: v.claims.clone(),
        holder_binding: v.holder_binding.is_some(),
        authorities: v.authorities.clone(),
    };
    let matched = match_credential(query, &held, 0)
        .ok_or_else(|| "the disclosed claims do not satisfy the credential query".to_owned())?;
    Ok(VerifiedCredential {
        query_id: query.id.clone(),
        presentation: v,
        matched,
    })
}

impl Verified {
    /// The session data.
    pub fn data(&self) -> &SessionData {
        &self.data
    }
}

impl Failed {
    /// The session data.
    pub fn data(&self) -> &SessionData {
        &self.data
    }
}

impl VerifierSession {
    /// The state's name, for logs and errors.
    pub fn state_name(&self) -> &'static str {
        match self {
            Self::Created(_) => "created",
            Self::RequestFetched(_) => "request_fetched",
            Self::ResponseReceived(_) => "response_received",
            Self::Verified(_) => "verified",
            Self::Failed(_) => "failed",
        }
    }

    /// The session data of any state.
    pub fn data(&self) -> &SessionData {
        match self {
            Self::Created(s) => &s.data,
            Self::RequestFetched(s) => &s.data,
            Self::ResponseReceived(s) => &s.data,
            Self::Verified(s) => &s.data,
            Self::Failed(s) => &s.data,
        }
    }

    /// Request URI endpoint: [`Created::fetch_request`] on a stored session.
    pub fn fetch_request(
        self,
        post: Option<&RequestUriPost>,
        signer: &dyn Signer,
        now: UnixTime,
    ) -> Result<(Self, String), Oid4vpError> {
        match self {
            Self::Created(s) => {
                let (next, jwt) = s.fetch_request(post, signer, now)?;
                Ok((Self::RequestFetched(next), jwt))
            }
            other => Err(other.wrong("created")),
        }
    }

    /// Response URI endpoint: [`RequestFetched::receive_response`] then
    /// [`ResponseReceived::verify`], so the stored session goes straight to a terminal state.
    pub fn receive_response(
        self,
        body: &str,
        decryptor: &dyn ResponseDecryptor,
        verifier: &dyn PresentationVerifier,
        now: UnixTime,
    ) -> Result<(Self, ResponseUriAnswer), Oid4vpError> {
        match self {
            Self::RequestFetched(s) => {
                let (received, answer) = s.receive_response(body, decryptor, now)?;
                let next = match received.verify(verifier, now) {
                    VerificationOutcome::Verified(v) => Self::Verified(v),
                    VerificationOutcome::Failed(f) => Self::Failed(f),
                };
                Ok((next, answer))
            }
            other => Err(other.wrong("request_fetched")),
        }
    }

    /// The result for the verifier's frontend: the verified credentials, or the failure as
    /// an error. In the same-device flow the frontend must present the `response_code` it
    /// received through the redirect; a session without one ignores the argument.
    pub fn result(
        &self,
        response_code: Option<&str>,
    ) -> Result<&[VerifiedCredential], Oid4vpError> {
        if let Some(expected) = &self.data().response_code {
            let given = response_code.unwrap_or_default();
            let same = given.len() == expected.len()
                && given
                    .bytes()
                    .zip(expected.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0;
            if !same {
                return Err(Oid4vpError::param(
                    "response_code",
                    "does not match the session",
                ));
            }
        }
        match self {
            Self::Verified(v) => Ok(&v.credentials),
            Self::Failed(f) => Err(Oid4vpError::PresentationRejected {
                credential_id: String::new(),
                reason: format!("{}: {}", f.error, f.reason),
            }),
            other => Err(other.wrong("verified")),
        }
    }

    fn wrong(&self, expected: &'static str) -> Oid4vpError {
        Oid4vpError::WrongSessionState {
            expected,
            found: self.state_name(),
        }
    }
}

//! The wallet's HTTP client: GET and POST with the same policy as `kakehashi_fetch::Fetcher`
//! (https only, plain http to loopback only when `dangerous_allow_http_loopback` is set,
//! connect and total timeouts, a size cap enforced while streaming), plus what the protocol
//! needs and the Fetcher does not do: POST bodies, request headers (DPoP, Authorization),
//! status codes and response headers (`DPoP-Nonce`) of error answers, and a private set of TLS
//! roots (the pilot's CA, the tests' CA).
//!
//! Redirects are never followed: a `response_uri` or token endpoint that redirects would move
//! credentials to a URL nobody validated.

use std::time::Duration;

use kakehashi_fetch::FetchConfig;

use crate::WalletError;

/// One HTTP answer, whatever its status.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// `DPoP-Nonce` header, if any.
    pub dpop_nonce: Option<String>,
    /// `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body (capped).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The OAuth `error` code of a JSON error body, if any.
    pub fn oauth_error(&self) -> Option<String> {
        let v: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        v.get("error")?.as_str().map(str::to_owned)
    }
}

/// The HTTP client. Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct WalletHttp {
    client: reqwest::Client,
    config: FetchConfig,
}

impl WalletHttp {
    /// A client with the system's roots.
    pub fn new(config: FetchConfig) -> Result<Self, WalletError> {
        Self::build(config, &[])
    }

    /// A client that trusts only `roots` (DER certificates) for TLS: a private CA for the pilot
    /// or the tests. The public web PKI is then not trusted at all.
    pub fn with_tls_roots_only(
        config: FetchConfig,
        roots: &[Vec<u8>],
    ) -> Result<Self, WalletError> {
        Self::build(config, roots)
    }

    fn build(config: FetchConfig, roots: &[Vec<u8>]) -> Result<Self, WalletError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("kakehashi-wallet/", env!("CARGO_PKG_VERSION")));
        if !roots.is_empty() {
            let certs = roots
                .iter()
                .map(|der| reqwest::Certificate::from_der(der))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| WalletError::Http(format!("TLS root: {e}")))?;
            builder = builder.tls_certs_only(certs);
        }
        let client = builder
            .build()
            .map_err(|e| WalletError::Http(format!("HTTP client: {e}")))?;
        Ok(Self { client, config })
    }

    /// The configuration in force.
    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// Checks the URL against the scheme policy.
    pub fn check_url(&self, url: &str) -> Result<reqwest::Url, WalletError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|_| WalletError::Http(format!("invalid URL {url:?}")))?;
        match parsed.scheme() {
            "https" => Ok(parsed),
            "http" if self.config.dangerous_allow_http_loopback && is_loopback(&parsed) => {
                Ok(parsed)
            }
            _ => Err(WalletError::Http(format!(
                "scheme of {url:?} is not allowed (https required)"
            ))),
        }
    }

    /// GET `url` with `Accept: accept`.
    pub async fn get(&self, url: &str, accept: &str) -> Result<HttpResponse, WalletError> {
        let u = self.check_url(url)?;
        self.send(url, self.client.get(u).header("accept", accept))
            .await
    }

    /// POST an `application/x-www-form-urlencoded` body.
    pub async fn post_form(
        &self,
        url: &str,
        body: String,
        headers: &[(&str, String)],
    ) -> Result<HttpResponse, WalletError> {
        let u = self.check_url(url)?;
        let mut r = self
            .client
            .post(u)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (k, v) in headers {
            r = r.header(*k, v);
        }
        self.send(url, r).await
    }

    /// POST a JSON body (or an empty body with `body = None`).
    pub async fn post_json(
        &self,
        url: &str,
        body: Option<&serde_json::Value>,
        headers: &[(&str, String)],
    ) -> Result<HttpResponse, WalletError> {
        let u = self.check_url(url)?;
        let mut r = self.client.post(u).header("accept", "application/json");
        if let Some(b) = body {
            r = r
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        for (k, v) in headers {
            r = r.header(*k, v);
        }
        self.send(url, r).await
    }

    async fn send(
        &self,
        url: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<HttpResponse, WalletError> {
        let mut response = request
            .send()
            .await
            .map_err(|e| WalletError::Http(format!("{url}: {e}")))?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let dpop_nonce = header("dpop-nonce");
        let content_type = header("content-type");
        let status = response.status().as_u16();
        let limit = self.config.max_bytes;
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| WalletError::Http(format!("{url}: {e}")))?
        {
            if body.len().saturating_add(chunk.len()) > limit {
                return Err(WalletError::Http(format!(
                    "{url} is larger than the limit of {limit} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            dpop_nonce,
            content_type,
            body,
        })
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

/// Default timeouts for the wallet: shorter than for trusted lists, a user is waiting.
pub fn default_fetch_config() -> FetchConfig {
    FetchConfig {
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(15),
        max_bytes: 4 << 20,
        dangerous_allow_http_loopback: false,
        allow_files: false,
        extra_tls_roots: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_policy() {
        let strict = WalletHttp::new(default_fetch_config()).unwrap();
        assert!(strict.check_url("https://issuer.example/x").is_ok());
        assert!(strict.check_url("http://127.0.0.1:8080/x").is_err());
        assert!(strict.check_url("file:///etc/passwd").is_err());
        let pilot = WalletHttp::new(FetchConfig {
            dangerous_allow_http_loopback: true,
            ..default_fetch_config()
        })
        .unwrap();
        assert!(pilot.check_url("http://127.0.0.1:8080/x").is_ok());
        assert!(pilot.check_url("http://localhost/x").is_ok());
        assert!(pilot.check_url("http://issuer.example/x").is_err());
    }
}

//! The network edge of Kakehashi: every document that comes from elsewhere (trusted lists,
//! status list tokens, issuer metadata, type metadata) is fetched here, with a connect and a
//! total timeout, a size cap enforced while streaming, `https` required (plain `http` only to
//! loopback and only when explicitly allowed), and conditional requests (`ETag` /
//! `If-Modified-Since`) so a large list is not downloaded again when it did not change.
//!
//! Fetching never decides trust: [`trusted_lists::load`] hands the bytes to the pure trust
//! layer, and a list that cannot be fetched or verified is recorded as a failure with its reason
//! and is never trusted.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

pub mod trusted_lists;

/// Limits and policy for fetching.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time for the whole request including the body.
    pub timeout: Duration,
    /// Largest body accepted, in bytes. The EU LOTL is ~0.3 MB and the largest national list
    /// ~5 MB; status list tokens of 10^8 entries are ~2 MB.
    pub max_bytes: usize,
    /// Allow `http://` to loopback addresses (the pilot runs on 127.0.0.1). Off by default.
    pub dangerous_allow_http_loopback: bool,
    /// Allow `file:` locations and bare paths (command-line tools, tests). Off by default for
    /// servers, so a hostile pointer in a list cannot read local files.
    pub allow_files: bool,
    /// Extra TLS trust anchors (DER), added to the system roots: the private CA of a pilot or
    /// test deployment on loopback.
    pub extra_tls_roots: Vec<Vec<u8>>,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(20),
            max_bytes: 16 << 20,
            dangerous_allow_http_loopback: false,
            allow_files: false,
            extra_tls_roots: Vec::new(),
        }
    }
}

/// Why a document could not be fetched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    #[error("invalid location {0:?}")]
    Location(String),
    #[error("scheme of {0:?} is not allowed (https required)")]
    SchemeNotAllowed(String),
    #[error("local files are not allowed here: {0:?}")]
    FilesNotAllowed(String),
    #[error("timed out fetching {0}")]
    Timeout(String),
    #[error("cannot reach {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url} is larger than the limit of {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("cannot read {path}: {reason}")]
    File { path: String, reason: String },
}

/// A fetched document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub location: String,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    /// True when a conditional request answered 304 and the cached body was reused.
    pub not_modified: bool,
}

#[derive(Debug, Clone)]
struct CacheEntry {
    etag: Option<String>,
    last_modified: Option<String>,
    body: Vec<u8>,
    content_type: Option<String>,
}

/// Fetches documents; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Fetcher {
    client: reqwest::Client,
    config: FetchConfig,
    cache: Mutex<HashMap<String, CacheEntry>>,
}

impl Fetcher {
    /// Builds a fetcher with `config`.
    pub fn new(config: FetchConfig) -> Result<Self, FetchError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(concat!("kakehashi/", env!("CARGO_PKG_VERSION")));
        if !config.extra_tls_roots.is_empty() {
            let roots = config
                .extra_tls_roots
                .iter()
                .map(|der| reqwest::Certificate::from_der(der))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| FetchError::Connect {
                    url: String::new(),
                    reason: format!("TLS root: {e}"),
                })?;
            builder = builder.tls_certs_merge(roots);
        }
        let client = builder.build().map_err(|e| FetchError::Connect {
            url: String::new(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            client,
            config,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// Fetches `location` (an URL, or a file path when files are allowed) accepting `accept`.
    pub async fn get(&self, location: &str, accept: &str) -> Result<Fetched, FetchError> {
        match self.classify(location)? {
            Location::File(path) => self.read_file(location, path).await,
            Location::Url(url) => self.get_url(url, accept).await,
        }
    }

    fn classify(&self, location: &str) -> Result<Location, FetchError> {
        let file = |p: PathBuf| {
            if self.config.allow_files {
                Ok(Location::File(p))
            } else {
                Err(FetchError::FilesNotAllowed(location.to_owned()))
            }
        };
        match url::Url::parse(location) {
            Ok(u) if u.scheme() == "file" => file(
                u.to_file_path()
                    .map_err(|()| FetchError::Location(location.to_owned()))?,
            ),
            Ok(u) if u.scheme() == "https" => Ok(Location::Url(u)),
            Ok(u) if u.scheme() == "http" => {
                let loopback = match u.host() {
                    Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                    Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                    Some(url::Host::Domain(d)) => d == "localhost",
                    None => false,
                };
                if loopback && self.config.dangerous_allow_http_loopback {
                    Ok(Location::Url(u))
                } else {
                    Err(FetchError::SchemeNotAllowed(location.to_owned()))
                }
            }
            Ok(_) => Err(FetchError::SchemeNotAllowed(location.to_owned())),
            // Not an URL: a path.
            Err(_) => file(PathBuf::from(location)),
        }
    }

    async fn read_file(&self, location: &str, path: PathBuf) -> Result<Fetched, FetchError> {
        let err = |reason: String| FetchError::File {
            path: path.display().to_string(),
            reason,
        };
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|e| err(e.to_string()))?;
        if meta.len() > u64::try_from(self.config.max_bytes).unwrap_or(u64::MAX) {
            return Err(FetchError::TooLarge {
                url: location.to_owned(),
                limit: self.config.max_bytes,
            });
        }
        let body = tokio::fs::read(&path)
            .await
            .map_err(|e| err(e.to_string()))?;
        Ok(Fetched {
            location: location.to_owned(),
            body,
            content_type: None,
            not_modified: false,
        })
    }

    async fn get_url(&self, url: url::Url, accept: &str) -> Result<Fetched, FetchError> {
        let key = url.to_string();
        let cached = self.cache.lock().ok().and_then(|c| c.get(&key).cloned());
        let mut request = self.client.get(url.clone()).header("accept", accept);
        if let Some(c) = &cached {
            if let Some(etag) = &c.etag {
                request = request.header("if-none-match", etag);
            }
            if let Some(lm) = &c.last_modified {
                request = request.header("if-modified-since", lm);
            }
        }
        let map_err = |e: reqwest::Error| {
            if e.is_timeout() {
                FetchError::Timeout(key.clone())
            } else {
                FetchError::Connect {
                    url: key.clone(),
                    reason: e.to_string(),
                }
            }
        };
        let mut response = request.send().await.map_err(map_err)?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED
            && let Some(c) = cached
        {
            tracing::debug!(url = %key, "not modified, using cached copy");
            return Ok(Fetched {
                location: key,
                body: c.body,
                content_type: c.content_type,
                not_modified: true,
            });
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: key,
                status: status.as_u16(),
            });
        }
        let limit = self.config.max_bytes;
        if response
            .content_length()
            .is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX))
        {
            return Err(FetchError::TooLarge { url: key, limit });
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header("etag");
        let last_modified = header("last-modified");
        let content_type = header("content-type");
        // Stream with the cap: a lying or absent Content-Length cannot make us buffer more.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(map_err)? {
            if body.len() + chunk.len() > limit {
                return Err(FetchError::TooLarge { url: key, limit });
            }
            body.extend_from_slice(&chunk);
        }
        if (etag.is_some() || last_modified.is_some())
            && let Ok(mut c) = self.cache.lock()
        {
            c.insert(
                key.clone(),
                CacheEntry {
                    etag,
                    last_modified,
                    body: body.clone(),
                    content_type: content_type.clone(),
                },
            );
        }
        Ok(Fetched {
            location: key,
            body,
            content_type,
            not_modified: false,
        })
    }
}

enum Location {
    File(PathBuf),
    Url(url::Url),
}

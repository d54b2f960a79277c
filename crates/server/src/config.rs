//! Configuration: a commented TOML file (see `kakehashi.example.toml`) with environment
//! overrides (`KAKEHASHI_*`). Defaults are the safe ones: loopback only, SQLite in `./data`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The roles a node can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// OpenID4VCI credential issuer + authorization server, status lists, registrar portal.
    Issuer,
    /// OpenID4VP verifier and its portal.
    Verifier,
    /// The holder's web wallet.
    Wallet,
    /// Trust registry: trusted lists and the recognition policy.
    Registry,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Issuer, Role::Verifier, Role::Wallet, Role::Registry];

    /// Parses a role name.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        match text {
            "issuer" => Ok(Self::Issuer),
            "verifier" => Ok(Self::Verifier),
            "wallet" => Ok(Self::Wallet),
            "registry" => Ok(Self::Registry),
            other => Err(ConfigError::Invalid(format!(
                "unknown role {other:?} (issuer, verifier, wallet, registry)"
            ))),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// A node's configuration.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The URL clients use to reach this node (identifiers in metadata derive from it).
    pub public_url: String,
    /// Directory for the SQLite database and generated files.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; unset for SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// Roles served by this node.
    pub roles: Vec<Role>,
    /// Create demo universities, registrar accounts and lists on first start.
    pub demo_data: bool,
    /// Tolerated clock difference for `iat`/`exp` checks, seconds.
    pub clock_skew_seconds: i64,
    /// Largest request body accepted, bytes.
    pub max_body_bytes: usize,
    /// Log format.
    pub log_format: LogFormat,
    /// TLS server certificate chain (PEM, leaf first). With `tls_key`, the node serves https
    /// itself; without them it serves the demo certificate (demo data) or plain http behind a
    /// TLS-terminating proxy.
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PKCS#8 PEM).
    pub tls_key: Option<PathBuf>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self
                    .database_url
                    .as_deref()
                    .map(kakehashi_storage::redact_database_url),
            )
            .field("roles", &self.roles)
            .field("demo_data", &self.demo_data)
            .field("clock_skew_seconds", &self.clock_skew_seconds)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("log_format", &self.log_format)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key.as_ref().map(|_| "<path>"))
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            public_url: DEFAULT_PUBLIC_URL.into(),
            data_dir: PathBuf::from("data"),
            database_url: None,
            roles: Role::ALL.to_vec(),
            demo_data: true,
            clock_skew_seconds: 60,
            max_body_bytes: 1 << 20,
            log_format: LogFormat::Text,
            tls_cert: None,
            tls_key: None,
        }
    }
}

/// The default public URL; a node left at it announces `https://localhost:<bound port>`.
pub const DEFAULT_PUBLIC_URL: &str = "https://localhost:8443";

/// A configuration problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: {reason}")]
    Parse { path: String, reason: String },
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Reads `path` (if given), then applies environment overrides from `env`, then validates.
    /// `env` is a lookup function so tests don't touch the process environment.
    pub fn load(
        path: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut config = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| ConfigError::Read {
                    path: p.display().to_string(),
                    reason: e.to_string(),
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: p.display().to_string(),
                    reason: e.to_string(),
                })?
            }
            None => Config::default(),
        };
        config.apply_env(env)?;
        config.validate()?;
        Ok(config)
    }

    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = env("KAKEHASHI_LISTEN") {
            self.listen = v.parse().map_err(|_| {
                ConfigError::Invalid(format!("KAKEHASHI_LISTEN is not an address: {v:?}"))
            })?;
        }
        if let Some(v) = env("KAKEHASHI_PUBLIC_URL") {
            self.public_url = v;
        }
        if let Some(v) = env("KAKEHASHI_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("KAKEHASHI_DATABASE_URL") {
            self.database_url = (!v.is_empty()).then_some(v);
        }
        if let Some(v) = env("KAKEHASHI_ROLES") {
            self.roles = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Role::parse)
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = env("KAKEHASHI_DEMO_DATA") {
            self.demo_data = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = env("KAKEHASHI_TLS_CERT") {
            self.tls_cert = (!v.is_empty()).then(|| PathBuf::from(v));
        }
        if let Some(v) = env("KAKEHASHI_TLS_KEY") {
            self.tls_key = (!v.is_empty()).then(|| PathBuf::from(v));
        }
        if let Some(v) = env("KAKEHASHI_LOG_FORMAT") {
            self.log_format = match v.as_str() {
                "json" => LogFormat::Json,
                "text" => LogFormat::Text,
                _ => {
                    return Err(ConfigError::Invalid(format!(
                        "KAKEHASHI_LOG_FORMAT must be text or json, got {v:?}"
                    )));
                }
            };
        }
        Ok(())
    }

    /// Checks values that parse but make no sense.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.roles.is_empty() {
            return Err(ConfigError::Invalid("no role configured".into()));
        }
        if !(self.public_url.starts_with("https://")
            || self.public_url.starts_with("http://127.")
            || self.public_url.starts_with("http://localhost")
            || self.public_url.starts_with("http://[::1]"))
        {
            return Err(ConfigError::Invalid(format!(
                "public_url must be https:// (plain http only on loopback): {}",
                self.public_url
            )));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(ConfigError::Invalid(
                "tls_cert and tls_key go together".into(),
            ));
        }
        if !(0..=600).contains(&self.clock_skew_seconds) {
            return Err(ConfigError::Invalid(
                "clock_skew_seconds must be within 0..=600".into(),
            ));
        }
        if !(1024..=(64 << 20)).contains(&self.max_body_bytes) {
            return Err(ConfigError::Invalid(
                "max_body_bytes must be within 1 KiB..=64 MiB".into(),
            ));
        }
        Ok(())
    }

    /// A configuration for tests: loopback port 0, SQLite in `dir`, every role.
    pub fn test_config(dir: &Path) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: dir.to_path_buf(),
            demo_data: false,
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn defaults_are_safe() {
        let c = Config::load(None, &no_env).unwrap();
        assert!(c.listen.ip().is_loopback());
        assert!(c.database_url.is_none());
    }

    #[test]
    fn example_file_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kakehashi.example.toml");
        let c = Config::load(Some(&path), &no_env).unwrap();
        assert_eq!(c.roles.len(), 4);
    }

    #[test]
    fn environment_overrides_and_errors() {
        let env = |k: &str| match k {
            "KAKEHASHI_DATABASE_URL" => {
                Some("postgres://kakehashi:s3cret@db.example/kakehashi".into())
            }
            "KAKEHASHI_ROLES" => Some("verifier, registry".into()),
            _ => None,
        };
        let c = Config::load(None, &env).unwrap();
        assert_eq!(c.roles, [Role::Verifier, Role::Registry]);
        assert!(!format!("{c:?}").contains("s3cret"), "no password in Debug");
        let bad = |k: &str| (k == "KAKEHASHI_ROLES").then(|| "issuer,teapot".to_owned());
        assert!(Config::load(None, &bad).is_err());
        let http = |k: &str| (k == "KAKEHASHI_PUBLIC_URL").then(|| "http://example.org".to_owned());
        assert!(Config::load(None, &http).is_err());
    }
}

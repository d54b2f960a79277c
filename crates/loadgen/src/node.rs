//! The node under load: started as a child `kakehashi serve` process (or attached to by pid),
//! its demo TLS CA and admin token, an admin/verifier HTTP client, and fresh diplomas.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kakehashi_academic::model::Diploma;
use kakehashi_crypto_aws_lc::sealed::KeyEncryptionKey;
use kakehashi_http_issuer::Profile;
use kakehashi_storage_sqlite::SqliteStore;
use kakehashi_wallet::{
    HolderId, SystemClock, Wallet, WalletConfig, WalletContext, WalletHttp, default_fetch_config,
};
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt as _;

/// What failed while driving the node.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The server could not be started or did not become ready.
    #[error("server: {0}")]
    Server(String),
    /// A file of the node's data directory is missing or unreadable.
    #[error("{0}")]
    Files(String),
    /// An HTTP exchange failed or answered an unexpected status.
    #[error("{step}: {reason}")]
    Http {
        /// The step.
        step: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The wallet library refused or failed.
    #[error("{step}: wallet: {source}")]
    Wallet {
        /// The step.
        step: &'static str,
        /// The wallet's error.
        source: kakehashi_wallet::WalletError,
    },
    /// Anything else the benchmarks check.
    #[error("{0}")]
    Check(String),
}

pub(crate) fn http_err(step: &'static str) -> impl Fn(reqwest::Error) -> LoadError {
    move |e| LoadError::Http {
        step,
        reason: e.to_string(),
    }
}

/// A running node as the generator sees it.
#[derive(Clone)]
pub struct Node {
    /// `https://localhost:PORT`.
    pub url: String,
    /// The data directory (demo world under `demo/`).
    pub data_dir: PathBuf,
    /// The server's process id (RSS sampling).
    pub pid: u32,
    /// The demo TLS CA, DER.
    pub tls_ca: Vec<u8>,
    /// The verifiers' access-certificate CA, DER (the wallets' verifier anchor).
    pub access_ca: Vec<u8>,
    /// The issuers' seal CAs, DER (the wallets' issuer anchors).
    pub issuer_anchors: Vec<Vec<u8>>,
    admin_token: Arc<str>,
    /// An https client trusting only the node's CA.
    pub http: reqwest::Client,
}

fn read_cert(path: &Path) -> Result<Vec<u8>, LoadError> {
    kakehashi_testpki::read_pem_cert(path).map_err(LoadError::Files)
}

impl Node {
    /// Reads the demo material of a node serving at `url` from `data_dir`.
    pub fn attach(url: &str, data_dir: &Path, pid: u32) -> Result<Self, LoadError> {
        let world = data_dir.join("demo");
        let tls_ca = read_cert(&world.join("tls/ca.pem"))?;
        let token_path = world.join("admin-token");
        let admin_token = std::fs::read_to_string(&token_path)
            .map_err(|e| LoadError::Files(format!("{}: {e}", token_path.display())))?;
        let ca = reqwest::Certificate::from_der(&tls_ca)
            .map_err(|e| LoadError::Files(format!("TLS CA: {e}")))?;
        let http = reqwest::Client::builder()
            .tls_certs_only([ca])
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| LoadError::Server(e.to_string()))?;
        Ok(Self {
            url: url.trim_end_matches('/').to_owned(),
            data_dir: data_dir.to_owned(),
            pid,
            access_ca: read_cert(&world.join("pki/access-ca.pem"))?,
            issuer_anchors: vec![
                read_cert(&world.join("pki/eu-qtsp-ca.pem"))?,
                read_cert(&world.join("pki/jp-eseal-ca.pem"))?,
            ],
            tls_ca,
            admin_token: admin_token.trim().into(),
            http,
        })
    }

    /// Waits until `/readyz` answers 200 (the trusted lists are loaded).
    pub async fn wait_ready(&self, limit: Duration) -> Result<(), LoadError> {
        let started = Instant::now();
        loop {
            if let Ok(r) = self.http.get(format!("{}/readyz", self.url)).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            if started.elapsed() > limit {
                return Err(LoadError::Server(format!(
                    "{}/readyz not ready after {limit:?}",
                    self.url
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `POST /issuers/{issuer}/admin/offers` with a diploma: `(offer_uri, tx_code)`.
    pub async fn offer(
        &self,
        issuer: &str,
        diploma: &Diploma,
    ) -> Result<(String, Option<String>), LoadError> {
        let r = self
            .http
            .post(format!("{}/issuers/{issuer}/admin/offers", self.url))
            .bearer_auth(&*self.admin_token)
            .json(&json!({ "diploma": diploma, "tx_code": true }))
            .send()
            .await
            .map_err(http_err("offer"))?;
        let body = expect_json(r, 201, "offer").await?;
        let uri = body["offer_uri"]
            .as_str()
            .ok_or_else(|| LoadError::Check(format!("offer: no offer_uri in {body}")))?;
        Ok((uri.to_owned(), body["tx_code"].as_str().map(str::to_owned)))
    }

    /// `POST /verifiers/{verifier}/verifier/sessions`: `(request_uri, status_url)`.
    pub async fn session(&self, verifier: &str) -> Result<(String, String), LoadError> {
        let r = self
            .http
            .post(format!(
                "{}/verifiers/{verifier}/verifier/sessions",
                self.url
            ))
            .json(&json!({ "template": "masters-admission" }))
            .send()
            .await
            .map_err(http_err("session"))?;
        let body = expect_json(r, 201, "session").await?;
        match (body["request_uri"].as_str(), body["status_url"].as_str()) {
            (Some(a), Some(b)) => Ok((a.to_owned(), b.to_owned())),
            _ => Err(LoadError::Check(format!(
                "session: unexpected answer {body}"
            ))),
        }
    }

    /// One `GET` of a session's status: its `status` member and the whole answer.
    pub async fn status(&self, status_url: &str) -> Result<(String, Value), LoadError> {
        let r = self
            .http
            .get(status_url)
            .send()
            .await
            .map_err(http_err("result"))?;
        let body = expect_json(r, 200, "result").await?;
        Ok((body["status"].as_str().unwrap_or_default().to_owned(), body))
    }

    /// Polls a session until it is `verified` (error on `failed`, or after `limit`).
    pub async fn wait_verified(&self, status_url: &str, limit: Duration) -> Result<(), LoadError> {
        let started = Instant::now();
        loop {
            let (status, body) = self.status(status_url).await?;
            match status.as_str() {
                "verified" => return Ok(()),
                "failed" | "expired" => {
                    let result = body.get("result").cloned().unwrap_or(Value::Null);
                    return Err(LoadError::Check(format!(
                        "result: {status}: {}",
                        result.to_string().chars().take(1500).collect::<String>()
                    )));
                }
                _ if started.elapsed() > limit => {
                    return Err(LoadError::Check(format!(
                        "result: not verified after {limit:?}"
                    )));
                }
                _ => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }

    /// A holder wallet of the real wallet library on its own in-memory SQLite store, trusting
    /// only the node's TLS CA, its access CA for verifiers and the seal CAs for issuers.
    pub async fn wallet(&self, holder: &str) -> Result<Holder, LoadError> {
        let store = SqliteStore::open_in_memory()
            .await
            .map_err(|e| LoadError::Check(format!("wallet store: {e}")))?;
        let (kek, text) = KeyEncryptionKey::generate("load")
            .map_err(|e| LoadError::Check(format!("wallet KEK: {e}")))?;
        // A second handle on the same key for the benchmark, which opens the holder key itself.
        let own = KeyEncryptionKey::from_base64url("load", &text)
            .map_err(|e| LoadError::Check(format!("wallet KEK: {e}")))?;
        let http = WalletHttp::with_tls_roots_only(
            default_fetch_config(),
            std::slice::from_ref(&self.tls_ca),
        )
        .map_err(|source| LoadError::Wallet {
            step: "wallet",
            source,
        })?;
        let config = WalletConfig {
            verifier_anchors: Some(vec![self.access_ca.clone()]),
            issuer_anchors: Some(self.issuer_anchors.clone()),
            ..WalletConfig::default()
        };
        let holder = HolderId::new(holder).map_err(|source| LoadError::Wallet {
            step: "wallet",
            source,
        })?;
        let context = WalletContext::new(store.clone(), kek, http, Arc::new(SystemClock), config);
        Ok(Holder {
            wallet: context.wallet(holder),
            store,
            kek: Arc::new(own),
        })
    }
}

/// A wallet with its store and key-encryption key (the benchmark presents by itself).
pub struct Holder {
    /// The wallet.
    pub wallet: Wallet<SqliteStore>,
    /// Its store.
    pub store: SqliteStore,
    /// Its key-encryption key.
    pub kek: Arc<KeyEncryptionKey>,
}

async fn expect_json(
    r: reqwest::Response,
    status: u16,
    step: &'static str,
) -> Result<Value, LoadError> {
    let got = r.status().as_u16();
    let text = r.text().await.map_err(http_err(step))?;
    if got != status {
        return Err(LoadError::Http {
            step,
            reason: format!("HTTP {got}: {}", text.chars().take(300).collect::<String>()),
        });
    }
    serde_json::from_str(&text).map_err(|e| LoadError::Http {
        step,
        reason: format!("not JSON: {e}"),
    })
}

/// A `kakehashi serve` child process. Killed when dropped.
pub struct ServerProcess {
    child: tokio::process::Child,
    /// Its process id.
    pub pid: u32,
    /// The URL it printed.
    pub url: String,
}

impl ServerProcess {
    /// Starts `bin serve --data-dir … --listen 127.0.0.1:0 [--database-url …]` and reads the
    /// URL it prints. Its log (warnings and errors) goes to `data_dir/server.log`.
    pub async fn start(
        bin: &Path,
        data_dir: &Path,
        database_url: Option<&str>,
    ) -> Result<Self, LoadError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| LoadError::Server(format!("{}: {e}", data_dir.display())))?;
        let log = std::fs::File::create(data_dir.join("server.log"))
            .map_err(|e| LoadError::Server(format!("server.log: {e}")))?;
        let mut command = tokio::process::Command::new(bin);
        command
            .arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .env("KAKEHASHI_LOG", "warn")
            .env("KAKEHASHI_DEMO_PASSWORD", "load-generator-demo-password")
            .env_remove("KAKEHASHI_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true);
        if let Some(url) = database_url {
            command.arg("--database-url").arg(url);
        }
        let mut child = command
            .spawn()
            .map_err(|e| LoadError::Server(format!("{}: {e}", bin.display())))?;
        let pid = child
            .id()
            .ok_or_else(|| LoadError::Server("the server exited at once".into()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| LoadError::Server("no stdout".into()))?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let read_url = async {
            while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
                if let Some(url) = line.strip_prefix("Kakehashi node listening on ") {
                    return Ok(url.trim().to_owned());
                }
            }
            Err("the server exited before listening (see server.log)".to_owned())
        };
        let url = tokio::time::timeout(Duration::from_secs(120), read_url)
            .await
            .map_err(|_| LoadError::Server("no URL printed within 120 s".into()))?
            .map_err(LoadError::Server)?;
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self { child, pid, url })
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops it.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Reads the resident set size of `pid` (KiB).
pub fn rss_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .as_deref()
        .and_then(crate::stats::vm_rss_kib)
}

const EU_CSV_HEADER: &str = "family_name_latn,given_name_latn,birth_date,title_en,title_ja,field_en,field_ja,isced_field,eqf_level,credits,credit_system,award_date,diploma_number";
const JP_CSV_HEADER: &str = "family_name_ja,family_name_kana,family_name_latn,given_name_ja,given_name_kana,given_name_latn,birth_date,degree,title_ja,title_en,field_ja,field_en,isced_field,credits,award_date,diploma_number";

/// A fresh master's diploma of the issuer's university with a diploma number no run has used
/// (`number`), read through the registrar CSV format so it is exactly what a registrar sends.
pub fn diploma(profile: Profile, number: &str) -> Result<Diploma, LoadError> {
    let csv = match profile {
        Profile::Eu => format!(
            "{EU_CSV_HEADER}\nLOADTEST,Lotte,2001-05-14,Master of Science in Engineering: Computer Science,工学修士(コンピュータサイエンス),Computer Science,コンピュータサイエンス,061,7,120,ECTS,2026-07-03,{number}\n"
        ),
        Profile::Jp => format!(
            "{JP_CSV_HEADER}\n山田,ヤマダ,YAMADA,花子,ハナコ,HANAKO,2000-04-01,修士,修士(工学),Master of Engineering,工学,Engineering,071,30,2026-03-25,{number}\n"
        ),
    };
    let body = kakehashi_http_issuer::demo::awarding_body(profile);
    let parsed = kakehashi_academic::csv_import::parse(csv.as_bytes(), &body)
        .map_err(|e| LoadError::Check(format!("diploma CSV: {e}")))?;
    match (parsed.rows.into_iter().next(), parsed.errors.first()) {
        (Some(row), None) => Ok(row.diploma),
        (_, Some(e)) => Err(LoadError::Check(format!("diploma CSV: {}", e.message))),
        (None, None) => Err(LoadError::Check("diploma CSV: no row".into())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn diplomas_are_fresh_masters_of_each_university() {
        let eu = diploma(Profile::Eu, "LOAD-1-0-0").unwrap();
        assert_eq!(eu.diploma_number, "LOAD-1-0-0");
        assert_eq!(
            eu.awarding_body,
            kakehashi_http_issuer::demo::awarding_body(Profile::Eu)
        );
        let jp = diploma(Profile::Jp, "LOAD-1-1-7").unwrap();
        assert_eq!(jp.diploma_number, "LOAD-1-1-7");
        assert_ne!(eu, diploma(Profile::Eu, "LOAD-1-0-1").unwrap());
        assert!(
            diploma(Profile::Eu, "a,b").is_err(),
            "a broken row is an error"
        );
    }
}

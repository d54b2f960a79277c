//! `kakehashi wallet`: a command-line holder wallet.
//!
//! ```text
//! kakehashi wallet receive OFFER_URI [--tx-code CODE]   receive credentials (OpenID4VCI)
//! kakehashi wallet list                                 the credentials held
//! kakehashi wallet present REQUEST_URI [--yes]          present (OpenID4VP) after consent
//! kakehashi wallet history                              what was presented to whom
//! ```
//!
//! State lives in `--data-dir` (default `$KAKEHASHI_WALLET_DIR`, else `~/.kakehashi/wallet`):
//! `wallet.sqlite` holds credentials, history and holder keys sealed under the key-encryption
//! key (KEK). The KEK comes from `KAKEHASHI_KEK` (32 bytes, base64url); when that is unset, a
//! key file `wallet.kek` is generated in the data dir on first use with 0600 permissions. That
//! file is a **demo convenience**: anyone who can read the data dir can then open the keys;
//! set `KAKEHASHI_KEK` from a secret store for anything else.
//!
//! Results are JSON on stdout; the consent summary goes to stderr. A refusal (untrusted
//! request, nothing matches, declined, rejected credential) exits with status 1.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use kakehashi_crypto_aws_lc::sealed::KeyEncryptionKey;
use kakehashi_storage_sqlite::SqliteStore;
use kakehashi_wallet::{
    Choice, ConsentRequest, HolderId, SystemClock, Wallet, WalletConfig, WalletContext,
    WalletError, WalletHttp, api, default_fetch_config,
};
use serde_json::Value;

use super::common::print_json;

/// Wallet subcommands.
#[derive(Subcommand)]
pub enum WalletCommand {
    /// Receive the credentials of an offer (openid-credential-offer://…).
    Receive(ReceiveArgs),
    /// List the credentials held.
    List(CommonArgs),
    /// Present credentials to a verifier (openid4vp://…) after consent.
    Present(PresentArgs),
    /// The presentation history.
    History(CommonArgs),
}

/// Options of every wallet subcommand.
#[derive(Args)]
pub struct CommonArgs {
    /// Wallet directory (database and, without KAKEHASHI_KEK, the demo key file).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Holder account inside the wallet.
    #[arg(long, default_value = "local")]
    holder: String,
    /// Trust only this CA certificate (PEM or DER) for TLS, e.g. the pilot's private CA.
    #[arg(long)]
    tls_root: Option<PathBuf>,
    /// Accept only verifiers whose request-signing chain validates to this certificate
    /// (PEM or DER; repeatable). Without it the consent shows the verifier as not evaluated.
    #[arg(long)]
    verifier_anchor: Vec<PathBuf>,
    /// Accept only credentials whose issuer x5c chain validates to this certificate (PEM or
    /// DER; repeatable).
    #[arg(long)]
    issuer_anchor: Vec<PathBuf>,
}

#[derive(Args)]
pub struct ReceiveArgs {
    /// The credential offer URI.
    offer_uri: String,
    /// Transaction code, when the offer asks for one.
    #[arg(long)]
    tx_code: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args)]
pub struct PresentArgs {
    /// The presentation request URI.
    request_uri: String,
    /// Consent without asking (scripts).
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    common: CommonArgs,
}

pub fn run(command: WalletCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        match command {
            WalletCommand::Receive(a) => {
                let wallet = open(&a.common).await?;
                let got = match wallet.receive(&a.offer_uri, a.tx_code.as_deref()).await {
                    Err(WalletError::AuthorizationRequired) if std::io::stdin().is_terminal() => {
                        authorization_code_flow(&wallet, &a.offer_uri).await?
                    }
                    other => other.context("receive")?,
                };
                print_json(&Value::Array(got.iter().map(api::summary).collect()));
                Ok(ExitCode::SUCCESS)
            }
            WalletCommand::List(a) => {
                let wallet = open(&a).await?;
                let got = wallet.credentials().await?;
                print_json(&Value::Array(got.iter().map(api::summary).collect()));
                Ok(ExitCode::SUCCESS)
            }
            WalletCommand::History(a) => {
                let wallet = open(&a).await?;
                let got = wallet.history().await?;
                print_json(&Value::Array(got.iter().map(api::record).collect()));
                Ok(ExitCode::SUCCESS)
            }
            WalletCommand::Present(a) => present(a).await,
        }
    })
}

/// The authorization code flow on a terminal: open the URL, paste where the browser landed.
async fn authorization_code_flow(
    wallet: &Wallet<SqliteStore>,
    offer_uri: &str,
) -> anyhow::Result<Vec<kakehashi_wallet::StoredCredential>> {
    let pending = wallet
        .begin_authorization(offer_uri)
        .await
        .context("authorization request")?;
    eprintln!(
        "Open this URL and log in at the issuer:\n  {}\nThen paste the URL your browser was sent to:",
        pending.authorization_url
    );
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let query = line.trim().split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or_default();
    let parameter = |name: &str| {
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| percent_decode(v))
        })
    };
    let code = parameter("code").context("no code in that URL")?;
    let state = parameter("state").context("no state in that URL")?;
    wallet
        .finish_authorization(pending, &code, &state)
        .await
        .context("receive")
}

/// `%XX` and `+` decoding of one query component.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 3 <= bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn present(args: PresentArgs) -> anyhow::Result<ExitCode> {
    let wallet = open(&args.common).await?;
    let consent = wallet
        .prepare_presentation(&args.request_uri)
        .await
        .context("presentation request refused")?;
    eprint!("{}", summary(&consent));
    let choice = if args.yes {
        Choice::Accept
    } else if std::io::stdin().is_terminal() {
        eprint!("Share these claims? [y/N] ");
        std::io::stderr().flush().ok();
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if matches!(line.trim(), "y" | "Y" | "yes") {
            Choice::Accept
        } else {
            Choice::Decline
        }
    } else {
        bail!("consent needed: run on a terminal, or pass --yes");
    };
    let outcome = wallet.present(consent, choice).await.context("present")?;
    print_json(&serde_json::to_value(&outcome).unwrap_or(Value::Null));
    Ok(if outcome.presented {
        ExitCode::SUCCESS
    } else {
        eprintln!("declined");
        ExitCode::from(1)
    })
}

/// The consent text: who asks, and exactly which claims of which credential go there.
fn summary(consent: &ConsentRequest) -> String {
    let v = &consent.verifier;
    let mut out = format!(
        "{} ({}) asks for:\n  response goes to {}{}\n",
        v.name,
        v.client_id,
        v.response_uri,
        if v.encrypted_response {
            " (encrypted)"
        } else {
            ""
        }
    );
    for item in &consent.items {
        let name = item.display["name"]["en"]
            .as_str()
            .or_else(|| item.display["name"]["ja"].as_str())
            .unwrap_or(&item.format);
        out.push_str(&format!("  from {name} [{}]:\n", item.credential_id));
        if item.whole_credential {
            out.push_str(
                "    (this format has no selective disclosure: the WHOLE credential is shared)\n",
            );
        }
        for c in &item.claims {
            let label = c
                .label
                .get("en")
                .and_then(Value::as_str)
                .map_or_else(|| c.path.to_string(), str::to_owned);
            out.push_str(&format!("    {label}: {}\n", c.value));
        }
    }
    out
}

async fn open(args: &CommonArgs) -> anyhow::Result<Wallet<SqliteStore>> {
    let dir = match args
        .data_dir
        .clone()
        .or_else(|| std::env::var_os("KAKEHASHI_WALLET_DIR").map(PathBuf::from))
    {
        Some(d) => d,
        None => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".kakehashi").join("wallet"))
            .context("no --data-dir and no HOME")?,
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let kek = kek(&dir)?;
    let store = SqliteStore::open(dir.join("wallet.sqlite"))
        .await
        .context("cannot open the wallet database")?;
    let fetch = default_fetch_config();
    let http = match &args.tls_root {
        Some(path) => WalletHttp::with_tls_roots_only(fetch, &[read_certificate(path)?])?,
        None => WalletHttp::new(fetch)?,
    };
    let anchors = |paths: &[PathBuf]| -> anyhow::Result<Option<Vec<Vec<u8>>>> {
        if paths.is_empty() {
            return Ok(None);
        }
        paths
            .iter()
            .map(|p| read_certificate(p))
            .collect::<anyhow::Result<Vec<_>>>()
            .map(Some)
    };
    let config = WalletConfig {
        verifier_anchors: anchors(&args.verifier_anchor)?,
        issuer_anchors: anchors(&args.issuer_anchor)?,
        ..WalletConfig::default()
    };
    let context = WalletContext::new(store, kek, http, Arc::new(SystemClock), config);
    Ok(context.wallet(HolderId::new(args.holder.clone())?))
}

/// `KAKEHASHI_KEK`, else the demo key file in the data dir (created 0600 on first use).
fn kek(dir: &Path) -> anyhow::Result<KeyEncryptionKey> {
    if let Ok(text) = std::env::var("KAKEHASHI_KEK") {
        return KeyEncryptionKey::from_base64url("env", &text)
            .context("KAKEHASHI_KEK is not 32 bytes of base64url");
    }
    let path = dir.join("wallet.kek");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return KeyEncryptionKey::from_base64url("file", &text)
            .with_context(|| format!("{} is not a key-encryption key", path.display()));
    }
    let (kek, text) = KeyEncryptionKey::generate("file").context("cannot generate a KEK")?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    eprintln!(
        "note: generated the demo key file {} (set KAKEHASHI_KEK instead outside demos)",
        path.display()
    );
    Ok(kek)
}

fn read_certificate(path: &Path) -> anyhow::Result<Vec<u8>> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.starts_with(b"-----BEGIN") {
        let cert = CertificateDer::from_pem_slice(&bytes)
            .with_context(|| format!("{} is not a PEM certificate", path.display()))?;
        Ok(cert.to_vec())
    } else {
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_components_are_decoded() {
        assert_eq!(percent_decode("a%2Fb+c"), "a/b c");
        assert_eq!(percent_decode("50%"), "50%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn the_demo_key_file_is_private_and_reused() {
        if std::env::var_os("KAKEHASHI_KEK").is_some() {
            return;
        }
        let dir = std::env::temp_dir().join(format!("kakehashi-wallet-kek-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = kek(&dir).unwrap();
        let second = kek(&dir).unwrap();
        // Same key: what one seals the other opens.
        let blob = first.seal(b"secret", "ctx").unwrap();
        assert_eq!(
            second
                .open(
                    kakehashi_crypto_aws_lc::sealed::SEAL_ALGORITHM,
                    &blob,
                    "ctx"
                )
                .unwrap()
                .as_slice(),
            b"secret"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join("wallet.kek"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}

//! Path traversal and local-file reads through the inputs that name files: trusted-list
//! locations (a signed LOTL whose pointers say `file:///etc/passwd`, bare `../../` paths),
//! the registry's `/tsl/{name}` route with `..` and `%2e%2e`, and `registrar import` fed a
//! file that is not a registrar CSV.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use kakehashi_core::UnixTime;
use kakehashi_fetch::trusted_lists::{ListLoadError, load};
use kakehashi_fetch::{FetchConfig, Fetcher};

use crate::credentials::temp_dir;
use crate::support::{Context as _, SetupError, send};
use crate::{Attack, Outcome, observed, refused};

/// What `/etc/passwd` looks like: the kind of file an operator might pass by mistake.
const PASSWD: &str =
    "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n";

fn sha256(der: &[u8]) -> Result<[u8; 32], SetupError> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der)
        .as_ref()
        .try_into()
        .ctx("digest")
}

pub async fn run() -> Result<Vec<Outcome>, SetupError> {
    let mut out = Vec::new();
    let server = Fetcher::new(FetchConfig::default()).ctx("fetcher")?;
    for (name, location) in [
        (
            "Trusted-list location `file:///etc/passwd`",
            "file:///etc/passwd",
        ),
        (
            "Trusted-list location `../../` path",
            "../../../../etc/passwd",
        ),
        (
            "Trusted-list location with `%2e%2e`",
            "file:///srv/tsl/%2e%2e/%2e%2e/etc/passwd",
        ),
    ] {
        out.push(refused(
            Attack {
                name,
                threat: "path traversal / local file read (CWE-22)",
                target: "kakehashi-fetch `Fetcher::get` (server policy)",
                sent: location,
                expected: match location {
                    "file:///etc/passwd" => "FilesNotAllowed(\"file:///etc/passwd\")",
                    "../../../../etc/passwd" => "FilesNotAllowed(\"../../../../etc/passwd\")",
                    _ => "FilesNotAllowed(\"file:///srv/tsl/%2e%2e/%2e%2e/etc/passwd\")",
                },
            },
            server.get(location, "application/vnd.etsi.tsl+xml").await,
        ));
    }

    // A correctly signed LOTL whose pointers name a local file.
    let dir = temp_dir("lotl")?;
    let params = kakehashi_testpki::Params {
        list_base: "file:///etc/passwd#".into(),
        ..kakehashi_testpki::Params::fixtures()
    };
    kakehashi_testpki::generate(&dir, &params);
    let lotl = std::fs::read(dir.join("lists/eu-lotl.xml")).ctx("LOTL")?;
    let pin =
        sha256(&kakehashi_testpki::read_pem_cert(&dir.join("pki/eu-lotl-signer.pem")).ctx("pin")?)?;
    let node_lists = kakehashi_server::deployment::list_router(dir.clone());
    out.extend(
        tsl_route(
            &node_lists,
            "kakehashi-server `deployment::list_router` (node)",
        )
        .await?,
    );
    let _ = std::fs::remove_dir_all(&dir);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .ctx("bind")?;
    let base = format!("http://{}", listener.local_addr().ctx("address")?);
    let lotl = Arc::new(lotl);
    let app = axum::Router::new().route(
        "/lotl.xml",
        get(move || {
            let l = lotl.clone();
            async move { l.as_ref().clone() }
        }),
    );
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let fetcher = Fetcher::new(FetchConfig {
        dangerous_allow_http_loopback: true,
        ..FetchConfig::default()
    })
    .ctx("fetcher")?;
    let now = UnixTime::parse_rfc3339("2026-11-15T00:00:00Z").ctx("time")?;
    let loaded = load(&fetcher, &format!("{base}/lotl.xml"), &[pin], now).await;
    task.abort();
    let loaded = loaded.ctx("LOTL load")?;
    let failures: Vec<String> = loaded
        .failures
        .iter()
        .map(|f| match &f.error {
            ListLoadError::Fetch(e) => crate::support::short_debug(e),
            other => crate::support::short_debug(other),
        })
        .collect();
    out.push(observed(
        Attack {
            name: "Signed LOTL pointing at `file:///etc/passwd`",
            threat: "hostile pointer in a trusted list (CWE-22 / SSRF)",
            target: "kakehashi-fetch `trusted_lists::load` (verifier node)",
            sent: "LOTL signed by the pinned signer, BE and JP pointers `file:///etc/passwd#/…`",
            expected: "2 lists loaded: 0; FilesNotAllowed(\"file:///etc/passwd#/BE.xml\"), FilesNotAllowed(\"file:///etc/passwd#/JP.xml\")",
        },
        format!(
            "2 lists loaded: {}; {}",
            loaded.lists.len(),
            failures.join(", ")
        ),
    ));

    // `kakehashi registrar import FILE` parses FILE before anything is stored.
    out.push(refused(
        Attack {
            name: "`registrar import` given a system file",
            threat: "path confusion: a non-CSV file imported",
            target: "kakehashi-academic `csv_import::parse` (as run by `registrar import`)",
            sent: "the contents of an `/etc/passwd`-like file",
            expected: "Header(\"unknown column \\\"root:x:0:0:root:/root:/bin/bash\\\"\")",
        },
        kakehashi_academic::csv_import::parse(
            PASSWD.as_bytes(),
            &kakehashi_http_issuer::demo::awarding_body(kakehashi_http_issuer::Profile::Jp),
        ),
    ));
    Ok(out)
}

/// `..`, `%2e%2e` and an absolute path in `/tsl/{name}` of `router`, whose world directory
/// holds the lists and, next to them, the signers' private keys. The route must still serve
/// `JP.xml`, so a 404 means refused, not broken.
async fn tsl_route(
    router: &axum::Router,
    target: &'static str,
) -> Result<Vec<Outcome>, SetupError> {
    let get = |path: &str| Request::get(path).body(Body::empty()).ctx("request");
    let control = send(router, get("/tsl/JP.xml")?).await?.status().as_u16();
    if control != 200 {
        return Err(SetupError(format!("{target}: /tsl/JP.xml gives {control}")));
    }
    let mut out = Vec::new();
    for (name, path) in [
        (
            "`..` in `/tsl/{name}`",
            "/tsl/..%2Fpki%2Feu-lotl-signer.key.pem",
        ),
        (
            "`%2e%2e` in `/tsl/{name}`",
            "/tsl/%2e%2e%2fpki%2feu-lotl-signer.key.pem",
        ),
        ("Absolute path in `/tsl/{name}`", "/tsl/%2Fetc%2Fpasswd"),
    ] {
        let res = send(router, get(path)?).await?;
        out.push(observed(
            Attack {
                name,
                threat: "path traversal (CWE-22) to the list signers' keys",
                target,
                sent: path,
                expected: "HTTP 404 (JP.xml: 200)",
            },
            format!("HTTP {} (JP.xml: {control})", res.status().as_u16()),
        ));
    }
    Ok(out)
}

//! Fetching over real HTTP on loopback: conditional requests, size caps, scheme policy.
#![allow(clippy::unwrap_used)] // test code

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use kakehashi_fetch::{FetchConfig, FetchError, Fetcher};

async fn serve(hits: Arc<AtomicUsize>) -> String {
    let app = Router::new()
        .route(
            "/list.xml",
            get(move |headers: HeaderMap| {
                let hits = hits.clone();
                async move {
                    hits.fetch_add(1, Ordering::SeqCst);
                    if headers
                        .get(header::IF_NONE_MATCH)
                        .is_some_and(|v| v == "\"v1\"")
                    {
                        return StatusCode::NOT_MODIFIED.into_response();
                    }
                    (
                        [
                            (header::ETAG, "\"v1\""),
                            (header::CONTENT_TYPE, "application/vnd.etsi.tsl+xml"),
                        ],
                        "<TrustServiceStatusList/>",
                    )
                        .into_response()
                }
            }),
        )
        .route("/big", get(|| async { vec![b'x'; 4096] }))
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn loopback_config() -> FetchConfig {
    FetchConfig {
        dangerous_allow_http_loopback: true,
        max_bytes: 1024,
        timeout: Duration::from_millis(800),
        ..FetchConfig::default()
    }
}

#[tokio::test]
async fn conditional_get_reuses_the_cached_body() {
    let hits = Arc::new(AtomicUsize::new(0));
    let base = serve(hits.clone()).await;
    let f = Fetcher::new(loopback_config()).unwrap();
    let first = f
        .get(&format!("{base}/list.xml"), "application/vnd.etsi.tsl+xml")
        .await
        .unwrap();
    assert!(!first.not_modified);
    assert_eq!(first.body, b"<TrustServiceStatusList/>");
    let second = f
        .get(&format!("{base}/list.xml"), "application/vnd.etsi.tsl+xml")
        .await
        .unwrap();
    assert!(
        second.not_modified,
        "the server answered 304 and the cached body was used"
    );
    assert_eq!(second.body, first.body);
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn limits_and_errors_are_typed() {
    let base = serve(Arc::new(AtomicUsize::new(0))).await;
    let f = Fetcher::new(loopback_config()).unwrap();
    assert!(matches!(
        f.get(&format!("{base}/big"), "*/*").await,
        Err(FetchError::TooLarge { limit: 1024, .. })
    ));
    assert!(matches!(
        f.get(&format!("{base}/missing"), "*/*").await,
        Err(FetchError::Status { status: 404, .. })
    ));
    assert!(matches!(
        f.get(&format!("{base}/slow"), "*/*").await,
        Err(FetchError::Timeout(_))
    ));
}

#[tokio::test]
async fn scheme_and_file_policy_is_safe_by_default() {
    let base = serve(Arc::new(AtomicUsize::new(0))).await;
    let strict = Fetcher::new(FetchConfig::default()).unwrap();
    assert!(matches!(
        strict.get(&format!("{base}/list.xml"), "*/*").await,
        Err(FetchError::SchemeNotAllowed(_))
    ));
    assert!(matches!(
        strict.get("http://example.org/x", "*/*").await,
        Err(FetchError::SchemeNotAllowed(_))
    ));
    assert!(matches!(
        strict.get("/etc/passwd", "*/*").await,
        Err(FetchError::FilesNotAllowed(_))
    ));
    assert!(matches!(
        strict.get("file:///etc/passwd", "*/*").await,
        Err(FetchError::FilesNotAllowed(_))
    ));
    assert!(matches!(
        strict.get("ftp://example.org/x", "*/*").await,
        Err(FetchError::SchemeNotAllowed(_))
    ));
    let loopback_only = Fetcher::new(loopback_config()).unwrap();
    assert!(matches!(
        loopback_only.get("http://192.0.2.1/x", "*/*").await,
        Err(FetchError::SchemeNotAllowed(_))
    ));
    let files = Fetcher::new(FetchConfig {
        allow_files: true,
        ..FetchConfig::default()
    })
    .unwrap();
    let dir = std::env::temp_dir().join(format!("kakehashi-fetch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.xml"), b"<x/>").unwrap();
    let got = files
        .get(dir.join("a.xml").to_str().unwrap(), "*/*")
        .await
        .unwrap();
    assert_eq!(got.body, b"<x/>");
    assert!(matches!(
        files.get(dir.join("nope").to_str().unwrap(), "*/*").await,
        Err(FetchError::File { .. })
    ));
}

//! A node on SQLite over real HTTP: health, readiness, metrics.
#![allow(clippy::unwrap_used)] // test code

use std::sync::Arc;

use kakehashi_server::{AnyStore, Config, NodeState, Readiness, metrics::Metrics, node_router};

#[tokio::test]
async fn health_ready_and_metrics() {
    let dir = std::env::temp_dir().join(format!("kakehashi-node-{}", std::process::id()));
    let config = Config::test_config(&dir);
    let AnyStore::Sqlite(store) = AnyStore::open(&config).await.unwrap() else {
        panic!("SQLite is the default store")
    };
    assert!(dir.join("kakehashi.sqlite").exists());
    let state = NodeState {
        store,
        config: Arc::new(config),
        metrics: Arc::new(Metrics::new()),
        pending: Readiness::default(),
    };
    let app = node_router(state, axum::Router::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(kakehashi_server::serve_on(listener, app));
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(
        client
            .get(format!("{base}/nope"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "kakehashi_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("route=\"unmatched\",status=\"404\""),
        "{metrics}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_non_postgres_url_is_refused_without_leaking_the_password() {
    let dir = std::env::temp_dir();
    let mut config = Config::test_config(&dir);
    config.database_url = Some("mysql://root:hunter2@db/kakehashi".into());
    let err = AnyStore::open(&config).await.err().unwrap().to_string();
    assert!(err.contains("postgres://"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

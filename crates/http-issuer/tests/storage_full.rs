//! A full store (SQLite at its size quota, as on a full disk): writes answer 507, and the
//! status lists stay served, since verifiers of every credential depend on them and storing
//! the fresh publication is only a cache (found by `scripts/faults`, disk-full case).

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use common::*;
use kakehashi_http_issuer::{Approval, IssuerConfig, Profile, upsert_graduate};
use kakehashi_storage::StorageError;
use kakehashi_storage_sqlite::{SqliteSettings, SqliteStore};

#[tokio::test]
async fn a_full_store_refuses_writes_with_507_and_still_serves_fresh_status_lists() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuer.sqlite");
    let clock = Arc::new(AtomicI64::new(START));
    let config = || IssuerConfig::default().with_admin_token(ADMIN_TOKEN);
    // Set up (keys, lists) with room, then reopen under a quota barely above that size.
    let store = SqliteStore::open(&path).await.unwrap();
    let state = state_for(store, Profile::Eu, &test_kek(), clock.clone(), config()).await;
    state.store.clone().close().await;
    drop(state);
    let size = std::fs::metadata(&path).unwrap().len();
    let store = SqliteStore::open_with(
        &path,
        SqliteSettings::default().max_database_bytes(size + 64 * 1024),
    )
    .await
    .unwrap();
    let state = state_for(store, Profile::Eu, &test_kek(), clock.clone(), config()).await;
    // Fill it.
    let mut filled = false;
    for i in 0..100_000 {
        match upsert_graduate(
            &state.store,
            &format!("filler-{i}"),
            diploma(Profile::Eu, &format!("F-{i}")),
            Some(Approval::Approved),
            state.now(),
        )
        .await
        {
            Ok(_) => {}
            Err(kakehashi_http_issuer::IssuerError::Storage(StorageError::Full)) => {
                filled = true;
                break;
            }
            Err(e) => panic!("unexpected error while filling: {e:?}"),
        }
    }
    assert!(filled, "the quota was never reached");
    let h = serve(state, clock.clone()).await;
    // A day later the publication is stale: the list must be re-signed, and storing it fails.
    clock.fetch_add(2 * 24 * 3600, Ordering::SeqCst);
    let r = h.http.get(h.url("/status/tsl-1")).send().await.unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let token = r.text().await.unwrap();
    let payload: serde_json::Value = serde_json::from_slice(
        &kakehashi_core::b64::decode(token.split('.').nth(1).unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(payload["iat"], h.now().0, "freshly signed: {payload}");
    // A write is refused with 507 and an OAuth-style JSON error.
    let r = h
        .http
        .post(h.url("/admin/offers"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({"diploma": diploma(Profile::Eu, "F-new")}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 507);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "server_error", "{body}");
}

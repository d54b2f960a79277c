//! The shared story suite on a real PostgreSQL, plus what only a server shows: two nodes (two
//! pools) racing on one database, and recovery after the server drops every connection.
//!
//! Needs `KAKEHASHI_TEST_DATABASE_URL` (`eval "$(scripts/pg start)"`). Each test works in a
//! fresh schema (`test_<random>`) so tests run in parallel without seeing each other. Without
//! the variable the tests are skipped with a message, except under CI, where they fail: CI must
//! test PostgreSQL for real.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kakehashi_storage::testing::{self, T0};
use kakehashi_storage::{IssuerStore, KeyStore, StatusStore, StorageError, VerifierStore};
use kakehashi_storage_postgres::{PoolSettings, PostgresStore};

const URL_VARIABLE: &str = "KAKEHASHI_TEST_DATABASE_URL";

fn database_url() -> Option<String> {
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but {URL_VARIABLE} is not: CI must run the PostgreSQL tests \
                 (eval \"$(scripts/pg start)\")"
            );
            eprintln!("skipped: set {URL_VARIABLE} (scripts/pg start)");
            None
        }
    }
}

/// A schema name no other test (or test run) uses.
fn fresh_schema_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::hash::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    format!("test_{:016x}", hasher.finish())
}

/// A store in a fresh schema; the schema is dropped by [`TestDatabase::finish`].
struct TestDatabase {
    url: String,
    schema: String,
    store: PostgresStore,
}

impl TestDatabase {
    async fn new() -> Option<Self> {
        let url = database_url()?;
        let schema = fresh_schema_name();
        let store = PostgresStore::connect_with(&url, PoolSettings::default().schema(&schema))
            .await
            .unwrap_or_else(|e| panic!("connect to {URL_VARIABLE}: {e}"));
        Some(Self { url, schema, store })
    }

    /// A second node: its own pool on the same schema.
    async fn another_node(&self) -> PostgresStore {
        PostgresStore::connect_with(&self.url, PoolSettings::default().schema(&self.schema))
            .await
            .expect("connect a second node")
    }

    async fn finish(self) {
        self.store
            .danger_drop_schema(&self.schema)
            .await
            .expect("drop the test schema");
        self.store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stories() {
    let Some(db) = TestDatabase::new().await else {
        return;
    };
    testing::run_all(&db.store).await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_race_on_one_database() {
    let Some(db) = TestDatabase::new().await else {
        return;
    };
    let a = db.store.clone();
    let b = db.another_node().await;

    // Many rounds of one pre-authorized code and one nonce redeemed by both nodes at once,
    // each on its own tokio task: never two winners.
    for round in 0..25 {
        let code = format!("code-{round}").into_bytes();
        a.insert_credential_offer(&testing::sample_offer(&format!("o{round}"), &code, None))
            .await
            .unwrap();
        let nonce = format!("n-{round}");
        b.insert_c_nonce(&nonce, T0.saturating_add(60))
            .await
            .unwrap();

        let (a1, b1, code1, code2) = (a.clone(), b.clone(), code.clone(), code);
        let x = tokio::spawn(async move { a1.redeem_pre_authorized_code(&code1, None, T0).await });
        let y = tokio::spawn(async move { b1.redeem_pre_authorized_code(&code2, None, T0).await });
        let (x, y) = (x.await.unwrap(), y.await.unwrap());
        assert_eq!(
            usize::from(x.is_ok()) + usize::from(y.is_ok()),
            1,
            "{x:?} {y:?}"
        );

        let (a1, b1, n1, n2) = (a.clone(), b.clone(), nonce.clone(), nonce);
        let x = tokio::spawn(async move { a1.consume_c_nonce(&n1, T0).await });
        let y = tokio::spawn(async move { b1.consume_c_nonce(&n2, T0).await });
        let (x, y) = (x.await.unwrap(), y.await.unwrap());
        assert_eq!(
            usize::from(x.is_ok()) + usize::from(y.is_ok()),
            1,
            "{x:?} {y:?}"
        );
    }

    // Optimistic concurrency across nodes: both read version 0, one write lands.
    let mut list = testing::sample_status_list("cross-node", 128, 1);
    a.create_status_list(&list).await.unwrap();
    list.statuses[0] = 0x80;
    let (x, y) = tokio::join!(
        a.update_status_list("cross-node", 0, &list.allocation, &list.statuses, T0),
        b.update_status_list("cross-node", 0, &list.allocation, &list.statuses, T0),
    );
    assert_eq!(
        usize::from(x.is_ok()) + usize::from(y.is_ok()),
        1,
        "{x:?} {y:?}"
    );
    for r in [x, y].into_iter().filter(Result::is_err) {
        assert!(matches!(r, Err(StorageError::StaleVersion { .. })), "{r:?}");
    }

    // Key rotation on two nodes at once: never two current keys; a loser sees `Conflict`.
    for round in 0..10 {
        let owner = format!("rotating-{round}");
        for k in ["a", "b", "c"] {
            let key = testing::sample_signing_key(&format!("{owner}-{k}"), &owner, T0);
            a.insert_signing_key(&key).await.unwrap();
        }
        a.make_signing_key_current(&format!("{owner}-a"))
            .await
            .unwrap();
        let (kb, kc) = (format!("{owner}-b"), format!("{owner}-c"));
        let (x, y) = tokio::join!(
            a.make_signing_key_current(&kb),
            b.make_signing_key_current(&kc),
        );
        for r in [&x, &y] {
            assert!(
                matches!(r, Ok(()) | Err(StorageError::Conflict { .. })),
                "{r:?}"
            );
        }
        assert!(x.is_ok() || y.is_ok(), "{x:?} {y:?}");
        let active = a.active_signing_keys(&owner).await.unwrap();
        assert_eq!(active.iter().filter(|k| k.current).count(), 1, "{active:?}");
    }

    b.close().await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_after_the_server_drops_connections() {
    let Some(db) = TestDatabase::new().await else {
        return;
    };
    db.store
        .insert_c_nonce("before", T0.saturating_add(60))
        .await
        .unwrap();

    // What a PostgreSQL restart or failover does to a node: every open connection dies.
    // Connections are tagged with the schema as application_name, so only ours are hit.
    let killer = db.another_node().await;
    let killed = killer
        .danger_terminate_connections_of(&db.schema)
        .await
        .unwrap();
    assert!(killed >= 1, "no connection of the store was open");
    killer.close().await;

    // Each call either works or fails cleanly as Unavailable; the pool then recovers.
    let mut recovered = false;
    for _ in 0..10 {
        match db.store.consume_c_nonce("before", T0).await {
            Ok(()) => {
                recovered = true;
                break;
            }
            Err(StorageError::Unavailable { .. }) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("not a clean failure: {e:?}"),
        }
    }
    assert!(recovered, "the pool did not recover");
    assert!(db.store.verifier_session("none").await.is_err());
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_idempotent() {
    let Some(db) = TestDatabase::new().await else {
        return;
    };
    // A second node starting on a migrated database migrates nothing and works.
    let again = db.another_node().await;
    again
        .insert_c_nonce("x", T0.saturating_add(1))
        .await
        .unwrap();
    again.close().await;
    db.finish().await;
}

//! The shared story suite on SQLite, plus what only a file can show: durability across a
//! restart, and concurrent writers on one WAL file.

use kakehashi_storage::testing::{self, T0};
use kakehashi_storage::{IssuerStore, StatusStore, StorageError};
use kakehashi_storage_sqlite::{SqliteSettings, SqliteStore};

/// A fresh directory under the target dir's temp space, removed at the end of the test.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "kakehashi-sqlite-{name}-{}-{}",
            std::process::id(),
            T0.seconds()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stories_in_memory() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    testing::run_all(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stories_on_a_file() {
    let dir = TempDir::new("file");
    let store = SqliteStore::open(dir.0.join("kakehashi.db")).await.unwrap();
    testing::run_all(&store).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_restart() {
    let dir = TempDir::new("restart");
    let path = dir.0.join("kakehashi.db");
    let store = SqliteStore::open(&path).await.unwrap();
    store
        .insert_credential_offer(&testing::sample_offer("durable", b"durable-code", None))
        .await
        .unwrap();
    store
        .insert_c_nonce("durable-nonce", T0.saturating_add(60))
        .await
        .unwrap();
    store.consume_c_nonce("durable-nonce", T0).await.unwrap();
    store.close().await;
    assert!(path.exists());

    // Reopening runs the migrations again (a no-op) and sees everything committed.
    let store = SqliteStore::open(&path).await.unwrap();
    let offer = store.credential_offer("durable").await.unwrap();
    assert_eq!(offer.subject, "graduate-durable");
    // Consumption survived too: a restart is no way to replay a nonce.
    assert!(matches!(
        store.consume_c_nonce("durable-nonce", T0).await,
        Err(StorageError::AlreadyUsed { .. })
    ));
    store
        .redeem_pre_authorized_code(b"durable-code", None, T0)
        .await
        .unwrap();
    store.close().await;

    let store = SqliteStore::open(&path).await.unwrap();
    assert!(
        store
            .credential_offer("durable")
            .await
            .unwrap()
            .used_at
            .is_some()
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file_race() {
    // Two processes (here: two pools) on one file, like a CLI import next to the server.
    let dir = TempDir::new("two");
    let path = dir.0.join("kakehashi.db");
    let a = SqliteStore::open(&path).await.unwrap();
    let b = SqliteStore::open(&path).await.unwrap();
    a.insert_c_nonce("shared", T0.saturating_add(60))
        .await
        .unwrap();
    let (x, y) = tokio::join!(
        a.consume_c_nonce("shared", T0),
        b.consume_c_nonce("shared", T0)
    );
    assert_eq!(
        usize::from(x.is_ok()) + usize::from(y.is_ok()),
        1,
        "{x:?} {y:?}"
    );
    assert!(b.status_list("none").await.is_err());
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn unopenable_path_is_a_clean_error() {
    let err = SqliteStore::open("/proc/kakehashi/does/not/exist.db")
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Unavailable { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_database_is_a_clean_error() {
    // A quota behaves like a full disk: SQLITE_FULL, mapped to `Full`, nothing half-written,
    // and the store keeps serving reads.
    let dir = TempDir::new("full");
    let path = dir.0.join("kakehashi.db");
    let store =
        SqliteStore::open_with(&path, SqliteSettings::default().max_database_bytes(1 << 20))
            .await
            .unwrap();
    let big = "x".repeat(64 * 1024);
    let mut stored = 0;
    let error = loop {
        let mut credential = testing::sample_issued_credential(&format!("big-{stored}"));
        credential.credential = big.clone();
        match store.insert_issued_credential(&credential).await {
            Ok(()) => stored += 1,
            Err(e) => break e,
        }
        assert!(stored < 100, "the quota was never reached");
    };
    assert!(matches!(error, StorageError::Full), "{error:?}");
    assert!(stored > 0);
    assert!(matches!(
        store.issued_credential(&format!("big-{stored}")).await,
        Err(StorageError::NotFound { .. })
    ));
    assert_eq!(
        store
            .issued_credential("big-0")
            .await
            .unwrap()
            .credential
            .len(),
        big.len()
    );
    store.close().await;
}

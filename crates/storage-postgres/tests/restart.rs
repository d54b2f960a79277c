//! A real PostgreSQL restart: while the server is down every call fails cleanly with
//! `Unavailable`, and once it is back the same store recovers without being rebuilt.
//!
//! Its own test binary (cargo runs test binaries one at a time), so halting the server cannot
//! disturb the other PostgreSQL tests. Needs the server of `scripts/pg` (`KAKEHASHI_PG_DIR`
//! set, as `scripts/test` does); skipped otherwise, since it must stop and start the server.

use std::hash::{BuildHasher, Hasher};
use std::process::Command;
use std::time::Duration;

use kakehashi_storage::testing::T0;
use kakehashi_storage::{IssuerStore, StorageError};
use kakehashi_storage_postgres::{PoolSettings, PostgresStore};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/pg");

fn pg(command: &str) {
    let status = Command::new(SCRIPT)
        .arg(command)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run scripts/pg");
    assert!(status.success(), "scripts/pg {command} failed");
}

/// Brings the server back even when an assertion fails halfway.
struct RestartOnDrop;

impl Drop for RestartOnDrop {
    fn drop(&mut self) {
        pg("start");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_a_server_restart() {
    let (Ok(url), Some(_)) = (
        std::env::var("KAKEHASHI_TEST_DATABASE_URL"),
        std::env::var_os("KAKEHASHI_PG_DIR"),
    ) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the restart test: use scripts/test (scripts/pg start)"
        );
        eprintln!("skipped: needs the server of scripts/pg (eval \"$(scripts/pg start)\")");
        return;
    };
    let schema = format!(
        "test_restart_{:016x}",
        std::hash::RandomState::new().build_hasher().finish()
    );
    let settings = PoolSettings::default()
        .schema(&schema)
        .acquire_timeout(Duration::from_secs(2));
    let store = PostgresStore::connect_with(&url, settings).await.unwrap();
    store
        .insert_c_nonce("kept", T0.saturating_add(60))
        .await
        .unwrap();

    let guard = RestartOnDrop;
    pg("halt");
    for _ in 0..2 {
        let down = store.consume_c_nonce("kept", T0).await;
        assert!(
            matches!(down, Err(StorageError::Unavailable { .. })),
            "{down:?}"
        );
    }
    drop(guard); // starts the server again

    let mut recovered = false;
    for _ in 0..30 {
        match store.consume_c_nonce("kept", T0).await {
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
    assert!(recovered, "the store did not recover after the restart");
    // What was committed before the restart is still there, and still single use.
    assert!(matches!(
        store.consume_c_nonce("kept", T0).await,
        Err(StorageError::AlreadyUsed { .. })
    ));
    store.danger_drop_schema(&schema).await.unwrap();
    store.close().await;
}

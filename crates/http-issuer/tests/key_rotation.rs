//! Seal key rotation without downtime on two nodes over one SQLite file: a credential sealed
//! before and one after the rotation both verify (by `x5c` and by JWKS `kid`), the other node
//! picks the new key up within its reload interval, and retiring a key removes it from every
//! JWKS.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Duration;

use common::*;
use kakehashi_http_issuer::keys::{KeyRotation, spawn_key_reloader};
use kakehashi_http_issuer::{ISSUER_KEY_OWNER, IssuerConfig, Profile};
use kakehashi_sd_jwt::{IssuerKey, Limits, SdJwt, VcVerifyOptions, VerifyOptions};
use kakehashi_storage_sqlite::SqliteStore;
use serde_json::Value;

const RELOAD: Duration = Duration::from_millis(200);

async fn node(path: &std::path::Path, clock: Arc<AtomicI64>) -> Harness {
    let store = SqliteStore::open(path).await.unwrap();
    let config = IssuerConfig::default().with_admin_token(ADMIN_TOKEN);
    let state = state_for(store, Profile::Eu, &test_kek(), clock.clone(), config)
        .await
        .with_key_rotation(KeyRotation {
            kek: Arc::new(test_kek()),
            owner: ISSUER_KEY_OWNER.into(),
            certify: Arc::new(self_signed),
            reload_interval: RELOAD,
        });
    let h = serve(state, clock).await;
    // Aborted with the runtime at the end of the test.
    spawn_key_reloader(h.state.clone()).unwrap();
    h
}

async fn jwks_kids(h: &Harness) -> (Value, Vec<String>) {
    let doc: Value = h
        .http
        .get(h.url("/.well-known/jwt-vc-issuer"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids = doc["jwks"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    (doc, kids)
}

fn credential(body: &Value) -> String {
    body["credentials"][0]["credential"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn kid_of(compact: &str) -> String {
    let sd = SdJwt::parse(compact, Limits::DEFAULT).unwrap();
    sd.header().kid().unwrap().to_owned()
}

fn verify(compact: &str, key: IssuerKey<'_>, now: kakehashi_core::UnixTime) -> Result<(), String> {
    let provider = kakehashi_crypto_aws_lc::provider();
    kakehashi_sd_jwt::verify_sd_jwt_vc(
        SdJwt::parse(compact, Limits::DEFAULT).unwrap(),
        &provider,
        key,
        &VcVerifyOptions::new(VerifyOptions::new(now)),
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

async fn admin(h: &Harness, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut req = h.http.post(h.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Polls until `done` holds, for at most 10 reload intervals.
async fn within_reload<F: AsyncFn() -> bool>(done: F) -> bool {
    for _ in 0..50 {
        if done().await {
            return true;
        }
        tokio::time::sleep(RELOAD / 5).await;
    }
    false
}

#[tokio::test]
async fn rotation_keeps_old_credentials_verifying_and_reaches_every_node() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuer.db");
    let clock = Arc::new(AtomicI64::new(START));
    let a = node(&path, clock.clone()).await;
    let b = node(&path, clock.clone()).await;
    let holder = signer_key();

    let before = credential(&a.issue_one("grad-before", &holder).await);
    let old_kid = kid_of(&before);
    assert_eq!(
        jwks_kids(&b).await.1,
        vec![old_kid.clone()],
        "one key, shared"
    );

    // Rotation is an admin operation.
    assert_eq!(admin(&a, "/admin/keys/rotate", None).await.0, 401);
    assert_eq!(admin(&a, "/admin/keys/rotate", Some("wrong")).await.0, 401);
    let (status, rotated) = admin(&a, "/admin/keys/rotate", Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 200, "{rotated}");
    let new_kid = rotated["kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);

    // Node A seals with the new key at once and publishes both.
    let after = credential(&a.issue_one("grad-after", &holder).await);
    assert_eq!(kid_of(&after), new_kid);
    assert_eq!(
        jwks_kids(&a).await.1,
        vec![new_kid.clone(), old_kid.clone()]
    );

    // Node B converges without a restart, within its reload interval.
    assert!(
        within_reload(async || jwks_kids(&b).await.1.contains(&new_kid)).await,
        "node B did not publish the new key"
    );
    assert!(
        within_reload(async || b.state.signer().public_jwk().kid() == Some(new_kid.as_str())).await
    );
    let from_b = credential(&b.issue_one("grad-node-b", &holder).await);
    assert_eq!(kid_of(&from_b), new_kid);

    // Old and new credentials verify by x5c and by the JWKS kid, on either node's metadata.
    let now = a.now();
    for (h, cred) in [(&a, &before), (&b, &before), (&a, &after), (&b, &from_b)] {
        verify(cred, IssuerKey::X5c, now).unwrap();
        let (doc, _) = jwks_kids(h).await;
        verify(cred, IssuerKey::Metadata(&doc), now).unwrap();
    }

    // Retiring: never the current key, not an unknown one; the old key leaves every JWKS.
    let current = format!("/admin/keys/{new_kid}/retire");
    assert_eq!(admin(&a, &current, Some(ADMIN_TOKEN)).await.0, 400);
    assert_eq!(
        admin(&a, "/admin/keys/no-such-kid/retire", Some(ADMIN_TOKEN))
            .await
            .0,
        404
    );
    let old = format!("/admin/keys/{old_kid}/retire");
    assert_eq!(admin(&b, &old, None).await.0, 401);
    let (status, body) = admin(&b, &old, Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(jwks_kids(&b).await.1, vec![new_kid.clone()]);
    assert!(
        within_reload(async || jwks_kids(&a).await.1 == vec![new_kid.clone()]).await,
        "node A still publishes the retired key"
    );
    // The old credential no longer resolves by kid; by x5c (the CA decides) it still does.
    let (doc, _) = jwks_kids(&a).await;
    assert!(verify(&before, IssuerKey::Metadata(&doc), now).is_err());
    verify(&before, IssuerKey::X5c, now).unwrap();
    verify(&after, IssuerKey::Metadata(&doc), now).unwrap();
}

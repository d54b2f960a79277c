//! The story test suite, generic over [`Store`]: every backend runs the same stories
//! (`crates/storage-*/tests/story.rs`), so SQLite and PostgreSQL cannot drift apart.
//!
//! Each story uses its own ids, so they can share one store; [`run_all`] runs them in order.
//! Race stories start several consumers of one single-use value at once (`tokio::join!`: on a
//! pooled backend each consumer holds its own connection) and check exactly one wins.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kakehashi_core::UnixTime;
use serde_json::json;

use crate::{
    AccessToken, AuditEntry, AuthorizationCode, CredentialOffer, DeferredState,
    DeferredTransaction, EncryptedKey, Graduate, HolderAccount, HolderKey, ImportJob,
    IssuedCredential, NotificationEvent, PendingInteraction, PortalSession, PresentationRecord,
    PublishedStatusList, PushedAuthorizationRequest, RegistrarUser, SessionStatus, SigningKey,
    StatusList, StatusReference, StorageError, Store, StoredCredential, VerifierSession,
};

/// The fixed "now" of the stories: 2027-01-15T08:00:00Z.
pub const T0: UnixTime = UnixTime(1_800_000_000);

/// Runs every story against `store`.
pub async fn run_all<S: Store>(store: &S) {
    signing_key_rotation(store).await;
    pre_authorized_code_flow(store).await;
    pre_authorized_code_race(store).await;
    transaction_code_attempts(store).await;
    pushed_request_and_authorization_code(store).await;
    access_tokens(store).await;
    c_nonce_single_use(store).await;
    c_nonce_race(store).await;
    jti_replay_cache(store).await;
    deferred_issuance(store).await;
    issued_credentials_are_idempotent(store).await;
    notifications(store).await;
    status_list_optimistic_concurrency(store).await;
    status_list_concurrent_writers(store).await;
    verifier_session_flow(store).await;
    verifier_response_race(store).await;
    wallet(store).await;
    pending_interactions(store).await;
    pending_interaction_race(store).await;
    portal_users_and_sessions(store).await;
    holder_accounts_and_sessions(store).await;
    graduates(store).await;
    audit_trail(store).await;
    resumable_import(store).await;
    purges(store).await;
}

#[track_caller]
fn assert_err<T: std::fmt::Debug>(
    result: Result<T, StorageError>,
    expected: impl Fn(&StorageError) -> bool,
) {
    match result {
        Err(e) if expected(&e) => {}
        other => panic!("unexpected result: {other:?}"),
    }
}

fn encrypted(tag: &str) -> EncryptedKey {
    EncryptedKey {
        kek_id: "kek-1".into(),
        algorithm: "A256GCM".into(),
        ciphertext: format!("sealed:{tag}").into_bytes(),
    }
}

/// A signing key record for tests.
pub fn sample_signing_key(id: &str, owner: &str, created_at: UnixTime) -> SigningKey {
    SigningKey {
        id: id.into(),
        owner: owner.into(),
        algorithm: "ES256".into(),
        public_jwk: format!(r#"{{"kty":"EC","crv":"P-256","kid":"{id}"}}"#),
        private_key: encrypted(id),
        certificate_chain: vec![vec![0x30, 0x82, 1, 2], vec![0x30, 0x03]],
        created_at,
        current: false,
        retired_at: None,
    }
}

/// A pre-authorized offer for tests, valid for ten minutes from [`T0`].
pub fn sample_offer(id: &str, code_hash: &[u8], tx_code_hash: Option<&[u8]>) -> CredentialOffer {
    CredentialOffer {
        id: id.into(),
        issuer: "https://issuer.example.ac.jp".into(),
        subject: format!("graduate-{id}"),
        configuration_ids: vec!["diploma_sd_jwt".into(), "diploma_vc_jwt".into()],
        pre_authorized_code_hash: Some(code_hash.to_vec()),
        tx_code_hash: tx_code_hash.map(<[u8]>::to_vec),
        tx_code_attempts_left: 3,
        issuer_state: None,
        reference_id: Some(format!("ref-{id}")),
        created_at: T0,
        expires_at: T0.saturating_add(600),
        used_at: None,
    }
}

/// Keys: insert, one current per owner, rotation, retirement.
pub async fn signing_key_rotation<S: Store>(store: &S) {
    let k1 = sample_signing_key("issuer-k1", "issuer", T0);
    let k2 = sample_signing_key("issuer-k2", "issuer", T0.saturating_add(10));
    store.insert_signing_key(&k1).await.unwrap();
    store.insert_signing_key(&k2).await.unwrap();
    assert_err(store.insert_signing_key(&k1).await, |e| {
        matches!(e, StorageError::Conflict { .. })
    });
    assert_eq!(store.signing_key("issuer-k1").await.unwrap(), k1);
    assert_err(store.current_signing_key("issuer").await, |e| {
        matches!(e, StorageError::NotFound { .. })
    });

    store.make_signing_key_current("issuer-k1").await.unwrap();
    assert_eq!(
        store.current_signing_key("issuer").await.unwrap().id,
        "issuer-k1"
    );
    // Rotation: k2 becomes current, k1 stays active (its signatures still verify).
    store.make_signing_key_current("issuer-k2").await.unwrap();
    let active = store.active_signing_keys("issuer").await.unwrap();
    let ids: Vec<_> = active.iter().map(|k| (k.id.as_str(), k.current)).collect();
    assert_eq!(ids, [("issuer-k2", true), ("issuer-k1", false)]);

    store
        .retire_signing_key("issuer-k1", T0.saturating_add(20))
        .await
        .unwrap();
    let active = store.active_signing_keys("issuer").await.unwrap();
    assert_eq!(active.len(), 1);
    let retired = store.signing_key("issuer-k1").await.unwrap();
    assert_eq!(retired.retired_at, Some(T0.saturating_add(20)));
    assert_err(store.make_signing_key_current("issuer-k1").await, |e| {
        matches!(e, StorageError::WrongState { .. })
    });
    // The current key is untouched by the failed attempt.
    assert_eq!(
        store.current_signing_key("issuer").await.unwrap().id,
        "issuer-k2"
    );
    assert_err(store.make_signing_key_current("nope").await, |e| {
        matches!(e, StorageError::NotFound { .. })
    });
    // Other owners are independent.
    store
        .insert_signing_key(&sample_signing_key("status-k1", "status", T0))
        .await
        .unwrap();
    store.make_signing_key_current("status-k1").await.unwrap();
    assert_eq!(
        store.current_signing_key("issuer").await.unwrap().id,
        "issuer-k2"
    );
}

/// Pre-authorized code: by-reference lookup, single redemption, expiry.
pub async fn pre_authorized_code_flow<S: Store>(store: &S) {
    let offer = sample_offer("offer-1", b"code-hash-1", None);
    store.insert_credential_offer(&offer).await.unwrap();
    assert_err(store.insert_credential_offer(&offer).await, |e| {
        matches!(e, StorageError::Conflict { .. })
    });
    assert_eq!(
        store
            .credential_offer_by_reference("ref-offer-1", T0)
            .await
            .unwrap(),
        offer
    );
    let redeemed = store
        .redeem_pre_authorized_code(b"code-hash-1", None, T0.saturating_add(5))
        .await
        .unwrap();
    assert_eq!(redeemed.used_at, Some(T0.saturating_add(5)));
    assert_eq!(redeemed.configuration_ids, offer.configuration_ids);
    assert_err(
        store
            .redeem_pre_authorized_code(b"code-hash-1", None, T0.saturating_add(6))
            .await,
        |e| matches!(e, StorageError::AlreadyUsed { .. }),
    );
    assert_err(
        store.credential_offer_by_reference("ref-offer-1", T0).await,
        |e| matches!(e, StorageError::AlreadyUsed { .. }),
    );
    assert_err(
        store.redeem_pre_authorized_code(b"unknown", None, T0).await,
        |e| matches!(e, StorageError::NotFound { .. }),
    );

    let late = sample_offer("offer-2", b"code-hash-2", None);
    store.insert_credential_offer(&late).await.unwrap();
    // Expiry is exclusive: at `expires_at` the code is dead.
    assert_err(
        store
            .redeem_pre_authorized_code(b"code-hash-2", None, late.expires_at)
            .await,
        |e| matches!(e, StorageError::Expired { .. }),
    );
    assert_err(
        store
            .credential_offer_by_reference("ref-offer-2", late.expires_at)
            .await,
        |e| matches!(e, StorageError::Expired { .. }),
    );
    assert!(
        store
            .credential_offer("offer-2")
            .await
            .unwrap()
            .used_at
            .is_none()
    );
    // The portal lists a subject's offers, used or not, oldest first.
    let mut second = sample_offer("offer-1b", b"code-hash-1b", None);
    second.subject = offer.subject.clone();
    second.created_at = T0.saturating_add(1);
    store.insert_credential_offer(&second).await.unwrap();
    let listed = store
        .credential_offers_for_subject(&offer.subject)
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
        ["offer-1", "offer-1b"]
    );
    assert_eq!(listed[0].used_at, Some(T0.saturating_add(5)));
    assert!(
        store
            .credential_offers_for_subject("graduate-nobody")
            .await
            .unwrap()
            .is_empty()
    );
}

/// Four nodes redeem one pre-authorized code at once: exactly one gets the offer.
pub async fn pre_authorized_code_race<S: Store>(store: &S) {
    store
        .insert_credential_offer(&sample_offer("offer-race", b"race-code", None))
        .await
        .unwrap();
    let redeem = || store.redeem_pre_authorized_code(b"race-code", None, T0);
    let (a, b, c, d) = tokio::join!(redeem(), redeem(), redeem(), redeem());
    let results = [a, b, c, d];
    let winners = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(winners, 1, "{results:?}");
    for r in results.into_iter().filter(Result::is_err) {
        assert_err(r, |e| matches!(e, StorageError::AlreadyUsed { .. }));
    }
}

/// A wrong transaction code burns attempts; at zero the offer is dead even with the right code.
pub async fn transaction_code_attempts<S: Store>(store: &S) {
    let mut offer = sample_offer("offer-tx", b"tx-code-offer", Some(b"tx-hash"));
    offer.tx_code_attempts_left = 2;
    store.insert_credential_offer(&offer).await.unwrap();
    assert_err(
        store
            .redeem_pre_authorized_code(b"tx-code-offer", Some(b"wrong"), T0)
            .await,
        |e| matches!(e, StorageError::WrongTxCode { attempts_left: 1 }),
    );
    // Missing code counts as wrong too.
    assert_err(
        store
            .redeem_pre_authorized_code(b"tx-code-offer", None, T0)
            .await,
        |e| matches!(e, StorageError::WrongTxCode { attempts_left: 0 }),
    );
    assert_err(
        store
            .redeem_pre_authorized_code(b"tx-code-offer", Some(b"tx-hash"), T0)
            .await,
        |e| matches!(e, StorageError::AttemptsExhausted),
    );

    let offer = sample_offer("offer-tx-ok", b"tx-code-ok", Some(b"tx-hash-ok"));
    store.insert_credential_offer(&offer).await.unwrap();
    assert_err(
        store
            .redeem_pre_authorized_code(b"tx-code-ok", Some(b"wrong"), T0)
            .await,
        |e| matches!(e, StorageError::WrongTxCode { attempts_left: 2 }),
    );
    let redeemed = store
        .redeem_pre_authorized_code(b"tx-code-ok", Some(b"tx-hash-ok"), T0)
        .await
        .unwrap();
    assert_eq!(redeemed.tx_code_attempts_left, 2);
}

/// PAR `request_uri` and authorization codes are single use.
pub async fn pushed_request_and_authorization_code<S: Store>(store: &S) {
    let par = PushedAuthorizationRequest {
        request_uri: "urn:ietf:params:oauth:request_uri:abc".into(),
        client_id: "wallet-1".into(),
        parameters: json!({"response_type": "code", "code_challenge": "xyz"}),
        expires_at: T0.saturating_add(60),
        used_at: None,
    };
    store
        .insert_pushed_authorization_request(&par)
        .await
        .unwrap();
    let used = store
        .consume_pushed_authorization_request(&par.request_uri, T0)
        .await
        .unwrap();
    assert_eq!(used.parameters, par.parameters);
    assert_eq!(used.used_at, Some(T0));
    assert_err(
        store
            .consume_pushed_authorization_request(&par.request_uri, T0)
            .await,
        |e| matches!(e, StorageError::AlreadyUsed { .. }),
    );
    let old = PushedAuthorizationRequest {
        request_uri: "urn:ietf:params:oauth:request_uri:old".into(),
        ..par.clone()
    };
    store
        .insert_pushed_authorization_request(&old)
        .await
        .unwrap();
    assert_err(
        store
            .consume_pushed_authorization_request(&old.request_uri, T0.saturating_add(60))
            .await,
        |e| matches!(e, StorageError::Expired { .. }),
    );
    assert_err(
        store
            .consume_pushed_authorization_request("urn:x", T0)
            .await,
        |e| matches!(e, StorageError::NotFound { .. }),
    );

    let code = AuthorizationCode {
        code_hash: b"auth-code-1".to_vec(),
        client_id: "wallet-1".into(),
        redirect_uri: Some("https://wallet.example/cb".into()),
        pkce_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        pkce_method: "S256".into(),
        subject: "graduate-42".into(),
        authorization_details: json!([{"type": "openid_credential"}]),
        expires_at: T0.saturating_add(60),
        used_at: None,
    };
    store.insert_authorization_code(&code).await.unwrap();
    let redeem = || store.redeem_authorization_code(b"auth-code-1", T0);
    let (a, b) = tokio::join!(redeem(), redeem());
    assert_eq!(usize::from(a.is_ok()) + usize::from(b.is_ok()), 1);
    let won = a.or(b).unwrap();
    assert_eq!(won.pkce_challenge, code.pkce_challenge);
    assert_eq!(won.authorization_details, code.authorization_details);
}

/// Access tokens: lookup by hash, DPoP binding kept, expiry enforced.
pub async fn access_tokens<S: Store>(store: &S) {
    let token = AccessToken {
        token_hash: b"token-hash".to_vec(),
        subject: "graduate-42".into(),
        offer_id: Some("offer-1".into()),
        dpop_jkt: Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I".into()),
        authorization_details: json!([]),
        expires_at: T0.saturating_add(300),
    };
    store.insert_access_token(&token).await.unwrap();
    assert_eq!(store.access_token(b"token-hash", T0).await.unwrap(), token);
    assert_err(
        store.access_token(b"token-hash", token.expires_at).await,
        |e| matches!(e, StorageError::Expired { .. }),
    );
    assert_err(store.access_token(b"other", T0).await, |e| {
        matches!(e, StorageError::NotFound { .. })
    });
}

/// A `c_nonce` is accepted once and not after expiry.
pub async fn c_nonce_single_use<S: Store>(store: &S) {
    store
        .insert_c_nonce("nonce-1", T0.saturating_add(30))
        .await
        .unwrap();
    assert_err(store.insert_c_nonce("nonce-1", T0).await, |e| {
        matches!(e, StorageError::Conflict { .. })
    });
    store.consume_c_nonce("nonce-1", T0).await.unwrap();
    assert_err(store.consume_c_nonce("nonce-1", T0).await, |e| {
        matches!(e, StorageError::AlreadyUsed { .. })
    });
    store
        .insert_c_nonce("nonce-2", T0.saturating_add(30))
        .await
        .unwrap();
    assert_err(
        store
            .consume_c_nonce("nonce-2", T0.saturating_add(30))
            .await,
        |e| matches!(e, StorageError::Expired { .. }),
    );
    assert_err(store.consume_c_nonce("nonce-x", T0).await, |e| {
        matches!(e, StorageError::NotFound { .. })
    });
}

/// Four key proofs carrying one `c_nonce` at once: exactly one is accepted.
pub async fn c_nonce_race<S: Store>(store: &S) {
    store
        .insert_c_nonce("nonce-race", T0.saturating_add(30))
        .await
        .unwrap();
    let consume = || store.consume_c_nonce("nonce-race", T0);
    let (a, b, c, d) = tokio::join!(consume(), consume(), consume(), consume());
    let results = [a, b, c, d];
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
}

/// DPoP / key-proof `jti`s: remembered until expiry, then reusable; scopes are separate.
pub async fn jti_replay_cache<S: Store>(store: &S) {
    let until = T0.saturating_add(60);
    store
        .remember_jti("dpop", "jti-1", until, T0)
        .await
        .unwrap();
    assert_err(store.remember_jti("dpop", "jti-1", until, T0).await, |e| {
        matches!(e, StorageError::AlreadyUsed { .. })
    });
    store
        .remember_jti("key-proof", "jti-1", until, T0)
        .await
        .unwrap();
    // After expiry the entry may be taken over (the proof's own `iat` window has closed).
    store
        .remember_jti("dpop", "jti-1", until.saturating_add(60), until)
        .await
        .unwrap();
    assert_err(
        store.remember_jti("dpop", "jti-1", until, until).await,
        |e| matches!(e, StorageError::AlreadyUsed { .. }),
    );
    let remember = || store.remember_jti("dpop", "jti-race", until, T0);
    let (a, b, c) = tokio::join!(remember(), remember(), remember());
    assert_eq!(
        [a.is_ok(), b.is_ok(), c.is_ok()]
            .iter()
            .filter(|ok| **ok)
            .count(),
        1
    );
}

/// Deferred issuance: pending → ready → issued once; failures; expiry.
pub async fn deferred_issuance<S: Store>(store: &S) {
    let tx = DeferredTransaction {
        transaction_id: "deferred-1".into(),
        subject: "graduate-7".into(),
        configuration_id: "diploma_sd_jwt".into(),
        state: DeferredState::Pending,
        credentials: vec![],
        created_at: T0,
        expires_at: T0.saturating_add(86_400),
    };
    store.insert_deferred_transaction(&tx).await.unwrap();
    assert_err(
        store.take_deferred_credentials("deferred-1", T0).await,
        |e| matches!(e, StorageError::WrongState { .. }),
    );
    let creds = vec!["eyJ...~disclosure~".to_string()];
    store
        .complete_deferred_transaction("deferred-1", DeferredState::Ready, &creds)
        .await
        .unwrap();
    assert_err(
        store
            .complete_deferred_transaction("deferred-1", DeferredState::Ready, &creds)
            .await,
        |e| matches!(e, StorageError::WrongState { .. }),
    );
    let take = || store.take_deferred_credentials("deferred-1", T0);
    let (a, b) = tokio::join!(take(), take());
    assert_eq!(usize::from(a.is_ok()) + usize::from(b.is_ok()), 1);
    assert_eq!(a.or(b).unwrap(), creds);
    assert_eq!(
        store
            .deferred_transaction("deferred-1")
            .await
            .unwrap()
            .state,
        DeferredState::Issued
    );
    assert_err(
        store.take_deferred_credentials("deferred-1", T0).await,
        |e| matches!(e, StorageError::AlreadyUsed { .. }),
    );

    let failed = DeferredTransaction {
        transaction_id: "deferred-2".into(),
        ..tx.clone()
    };
    store.insert_deferred_transaction(&failed).await.unwrap();
    store
        .complete_deferred_transaction("deferred-2", DeferredState::Failed, &[])
        .await
        .unwrap();
    assert_err(
        store.take_deferred_credentials("deferred-2", T0).await,
        |e| matches!(e, StorageError::WrongState { .. }),
    );
    let late = DeferredTransaction {
        transaction_id: "deferred-3".into(),
        ..tx
    };
    store.insert_deferred_transaction(&late).await.unwrap();
    store
        .complete_deferred_transaction("deferred-3", DeferredState::Ready, &creds)
        .await
        .unwrap();
    assert_err(
        store
            .take_deferred_credentials("deferred-3", late.expires_at)
            .await,
        |e| matches!(e, StorageError::Expired { .. }),
    );
    assert_err(
        store
            .complete_deferred_transaction("nope", DeferredState::Ready, &creds)
            .await,
        |e| matches!(e, StorageError::NotFound { .. }),
    );
    assert_err(
        store
            .complete_deferred_transaction("deferred-3", DeferredState::Issued, &creds)
            .await,
        |e| matches!(e, StorageError::Invalid { .. }),
    );
}

/// An issued credential without status or idempotency key, for tests.
pub fn sample_issued_credential(id: &str) -> IssuedCredential {
    IssuedCredential {
        status: None,
        idempotency_key: None,
        ..issued(id, None, 0)
    }
}

fn issued(id: &str, key: Option<&str>, index: u32) -> IssuedCredential {
    IssuedCredential {
        id: id.into(),
        format: "dc+sd-jwt".into(),
        credential_type: "urn:eu.europa.ec.eudi:diploma:1".into(),
        subject: "graduate-9".into(),
        holder_key_thumbprint: Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs".into()),
        status: Some(StatusReference {
            list_id: "list-issued".into(),
            index,
        }),
        issued_at: T0.saturating_add(i64::from(index)),
        credential: format!("eyJhbGciOiJFUzI1NiJ9.{id}.sig~"),
        idempotency_key: key.map(str::to_string),
    }
}

/// Nothing issued twice: the idempotency key and the status index are unique.
pub async fn issued_credentials_are_idempotent<S: Store>(store: &S) {
    let first = issued("cred-1", Some("import:abc:row:1"), 1);
    store.insert_issued_credential(&first).await.unwrap();
    assert_eq!(store.issued_credential("cred-1").await.unwrap(), first);
    assert_eq!(
        store
            .issued_credential_by_idempotency_key("import:abc:row:1")
            .await
            .unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store
            .issued_credential_by_idempotency_key("import:abc:row:2")
            .await
            .unwrap(),
        None
    );
    // A re-run of the same row is refused.
    assert_err(
        store
            .insert_issued_credential(&issued("cred-1b", Some("import:abc:row:1"), 2))
            .await,
        |e| matches!(e, StorageError::Conflict { .. }),
    );
    // A status list entry belongs to one credential.
    assert_err(
        store
            .insert_issued_credential(&issued("cred-1c", None, 1))
            .await,
        |e| matches!(e, StorageError::Conflict { .. }),
    );
    let mut second = issued("cred-2", None, 3);
    second.status = None;
    store.insert_issued_credential(&second).await.unwrap();
    let all = store
        .issued_credentials_for_subject("graduate-9")
        .await
        .unwrap();
    assert_eq!(all, [first, second]);
}

/// Notification events: first report wins, repeats are idempotent.
pub async fn notifications<S: Store>(store: &S) {
    store
        .insert_notification("notif-1", "cred-1")
        .await
        .unwrap();
    assert_err(
        store
            .insert_notification("notif-x", "no-such-credential")
            .await,
        |e| matches!(e, StorageError::Invalid { .. }),
    );
    let n = store
        .record_notification_event("notif-1", NotificationEvent::CredentialAccepted, None, T0)
        .await
        .unwrap();
    assert_eq!(n.event, Some(NotificationEvent::CredentialAccepted));
    assert_eq!(n.reported_at, Some(T0));
    store
        .record_notification_event("notif-1", NotificationEvent::CredentialAccepted, None, T0)
        .await
        .unwrap();
    assert_err(
        store
            .record_notification_event(
                "notif-1",
                NotificationEvent::CredentialDeleted,
                Some("gone"),
                T0,
            )
            .await,
        |e| matches!(e, StorageError::Conflict { .. }),
    );
    assert_err(
        store
            .record_notification_event("notif-9", NotificationEvent::CredentialFailure, None, T0)
            .await,
        |e| matches!(e, StorageError::NotFound { .. }),
    );
}

/// An empty status list (nothing allocated, every status 0) for tests.
pub fn sample_status_list(list_id: &str, size: u32, bits: u8) -> StatusList {
    let allocation = vec![0; usize::try_from(size.div_ceil(8)).unwrap()];
    let statuses = vec![0; usize::try_from((size * u32::from(bits)).div_ceil(8)).unwrap()];
    StatusList {
        list_id: list_id.into(),
        purpose: "revocation".into(),
        bits,
        size,
        allocation,
        statuses,
        version: 0,
        published: None,
        updated_at: T0,
    }
}

/// Status lists: compare-and-set on the version, fixed shape, publication never goes back.
pub async fn status_list_optimistic_concurrency<S: Store>(store: &S) {
    let list = sample_status_list("list-1", 1024, 2);
    store.create_status_list(&list).await.unwrap();
    assert_err(store.create_status_list(&list).await, |e| {
        matches!(e, StorageError::Conflict { .. })
    });
    let mut wrong = sample_status_list("list-bad", 16, 1);
    wrong.statuses.push(0);
    assert_err(store.create_status_list(&wrong).await, |e| {
        matches!(e, StorageError::Invalid { .. })
    });
    assert_eq!(store.status_list("list-1").await.unwrap(), list);

    // Node A and node B both read version 0.
    let mut a = list.clone();
    a.allocation[0] = 0b1000_0000;
    a.statuses[0] = 0b0100_0000;
    let mut b = list.clone();
    b.allocation[1] = 0b1000_0000;
    let v1 = store
        .update_status_list("list-1", 0, &a.allocation, &a.statuses, T0)
        .await
        .unwrap();
    assert_eq!(v1, 1);
    // B's write is refused, not lost silently.
    assert_err(
        store
            .update_status_list("list-1", 0, &b.allocation, &b.statuses, T0)
            .await,
        |e| {
            matches!(
                e,
                StorageError::StaleVersion {
                    expected: 0,
                    found: 1,
                    ..
                }
            )
        },
    );
    // B re-reads, re-applies, retries.
    let mut fresh = store.status_list("list-1").await.unwrap();
    fresh.allocation[1] |= 0b1000_0000;
    let v2 = store
        .update_status_list(
            "list-1",
            fresh.version,
            &fresh.allocation,
            &fresh.statuses,
            T0,
        )
        .await
        .unwrap();
    assert_eq!(v2, 2);
    let stored = store.status_list("list-1").await.unwrap();
    assert_eq!(stored.allocation[0], 0b1000_0000);
    assert_eq!(stored.allocation[1], 0b1000_0000);
    assert_eq!(stored.statuses[0], 0b0100_0000);
    // The shape is fixed.
    assert_err(
        store
            .update_status_list("list-1", 2, &stored.allocation[1..], &stored.statuses, T0)
            .await,
        |e| matches!(e, StorageError::Invalid { .. }),
    );
    assert_err(
        store.update_status_list("nope", 0, &[], &[], T0).await,
        |e| matches!(e, StorageError::NotFound { .. }),
    );

    let newer = PublishedStatusList {
        token: "eyJ.v2.sig".into(),
        issued_at: T0.saturating_add(10),
        version: 2,
    };
    let older = PublishedStatusList {
        token: "eyJ.v1.sig".into(),
        issued_at: T0.saturating_add(11),
        version: 1,
    };
    store.publish_status_list("list-1", &newer).await.unwrap();
    // A slow node that built from version 1 cannot overwrite it.
    assert_err(store.publish_status_list("list-1", &older).await, |e| {
        matches!(e, StorageError::StaleVersion { .. })
    });
    assert_err(
        store
            .publish_status_list(
                "list-1",
                &PublishedStatusList {
                    version: 3,
                    ..newer.clone()
                },
            )
            .await,
        |e| matches!(e, StorageError::Invalid { .. }),
    );
    assert_eq!(
        store.status_list("list-1").await.unwrap().published,
        Some(newer)
    );
    assert!(
        store
            .status_list_ids()
            .await
            .unwrap()
            .contains(&"list-1".to_string())
    );
}

/// Four nodes revoke different entries of one list at once, each retrying on `StaleVersion`:
/// every revocation lands.
pub async fn status_list_concurrent_writers<S: Store>(store: &S) {
    store
        .create_status_list(&sample_status_list("list-race", 64, 1))
        .await
        .unwrap();
    let revoke = |index: usize| async move {
        for _ in 0..50 {
            let mut list = store.status_list("list-race").await.unwrap();
            list.statuses[index / 8] |= 0x80 >> (index % 8);
            match store
                .update_status_list(
                    "list-race",
                    list.version,
                    &list.allocation,
                    &list.statuses,
                    T0,
                )
                .await
            {
                Ok(_) => return,
                Err(StorageError::StaleVersion { .. } | StorageError::Unavailable { .. }) => {}
                Err(e) => panic!("{e:?}"),
            }
            tokio::task::yield_now().await;
        }
        panic!("revocation of {index} never landed");
    };
    tokio::join!(revoke(1), revoke(10), revoke(20), revoke(63));
    let list = store.status_list("list-race").await.unwrap();
    assert_eq!(list.version, 4);
    assert_eq!(list.statuses, [0x40, 0x20, 0x08, 0, 0, 0, 0, 0x01]);
}

fn session(id: &str) -> VerifierSession {
    VerifierSession {
        id: id.into(),
        state: format!("state-{id}"),
        nonce: format!("nonce-{id}"),
        dcql_query: json!({"credentials": [{"id": "diploma", "format": "dc+sd-jwt"}]}),
        request_object: Some("eyJhbGciOiJFUzI1NiJ9.request.sig".into()),
        request_uri: Some(format!("request-{id}")),
        response_mode: "direct_post.jwt".into(),
        encryption_key: Some(encrypted(id)),
        status: SessionStatus::Created,
        response: None,
        result: None,
        webhook_url: Some("https://rp.example/hook".into()),
        created_at: T0,
        expires_at: T0.saturating_add(300),
    }
}

/// Verifier sessions: request fetched once, response accepted once, outcome stored once.
pub async fn verifier_session_flow<S: Store>(store: &S) {
    let s = session("vs-1");
    store.insert_verifier_session(&s).await.unwrap();
    assert_eq!(store.verifier_session("vs-1").await.unwrap(), s);
    let fetched = store
        .fetch_request_object("request-vs-1", T0)
        .await
        .unwrap();
    assert_eq!(fetched.status, SessionStatus::RequestFetched);
    assert_err(store.fetch_request_object("request-vs-1", T0).await, |e| {
        matches!(e, StorageError::AlreadyUsed { .. })
    });
    assert_err(
        store.finish_verification("vs-1", true, &json!({})).await,
        |e| matches!(e, StorageError::WrongState { .. }),
    );
    let received = store
        .accept_response("state-vs-1", "eyJ.jwe", T0)
        .await
        .unwrap();
    assert_eq!(received.status, SessionStatus::ResponseReceived);
    assert_eq!(received.response.as_deref(), Some("eyJ.jwe"));
    assert_err(
        store.accept_response("state-vs-1", "replay", T0).await,
        |e| matches!(e, StorageError::AlreadyUsed { .. }),
    );
    let result = json!({"valid": true, "claims": {"degree": "BSc"}});
    let done = store
        .finish_verification("vs-1", true, &result)
        .await
        .unwrap();
    assert_eq!(done.status, SessionStatus::Verified);
    assert_eq!(done.result, Some(result.clone()));
    assert_err(
        store.finish_verification("vs-1", false, &result).await,
        |e| matches!(e, StorageError::WrongState { .. }),
    );
    assert_err(
        store.finish_verification("vs-x", false, &result).await,
        |e| matches!(e, StorageError::NotFound { .. }),
    );

    let late = session("vs-2");
    store.insert_verifier_session(&late).await.unwrap();
    assert_err(
        store
            .accept_response("state-vs-2", "r", late.expires_at)
            .await,
        |e| matches!(e, StorageError::Expired { .. }),
    );
    assert_err(
        store
            .fetch_request_object("request-vs-2", late.expires_at)
            .await,
        |e| matches!(e, StorageError::Expired { .. }),
    );
    assert_err(store.accept_response("state-unknown", "r", T0).await, |e| {
        matches!(e, StorageError::NotFound { .. })
    });
    // A failed verification is stored as such.
    let mut direct = session("vs-3");
    direct.request_uri = None;
    direct.encryption_key = None;
    store.insert_verifier_session(&direct).await.unwrap();
    store.accept_response("state-vs-3", "vp", T0).await.unwrap();
    let failed = store
        .finish_verification("vs-3", false, &json!({"error": "bad signature"}))
        .await
        .unwrap();
    assert_eq!(failed.status, SessionStatus::Failed);
    assert_eq!(failed.encryption_key, None);
}

/// Two responses for one session at once (a replay racing the original): one is accepted.
pub async fn verifier_response_race<S: Store>(store: &S) {
    store
        .insert_verifier_session(&session("vs-race"))
        .await
        .unwrap();
    let (a, b, c) = tokio::join!(
        store.accept_response("state-vs-race", "first", T0),
        store.accept_response("state-vs-race", "second", T0),
        store.accept_response("state-vs-race", "third", T0),
    );
    let results = [a, b, c];
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let winner = results.iter().find_map(|r| r.as_ref().ok()).unwrap();
    let stored = store.verifier_session("vs-race").await.unwrap();
    assert_eq!(stored.response, winner.response);
}

/// Wallet: keys, credentials, history.
pub async fn wallet<S: Store>(store: &S) {
    let key = HolderKey {
        id: "hk-1".into(),
        algorithm: "ES256".into(),
        public_jwk: r#"{"kty":"EC"}"#.into(),
        private_key: encrypted("hk-1"),
        created_at: T0,
    };
    store.insert_holder_key(&key).await.unwrap();
    assert_eq!(store.holder_key("hk-1").await.unwrap(), key);
    let cred = |id: &str, at: i64| StoredCredential {
        id: id.into(),
        format: "dc+sd-jwt".into(),
        raw: format!("eyJ.{id}.sig~d1~d2~"),
        issuer: "https://issuer.example.ac.jp".into(),
        display: json!({"name": {"en": "Diploma", "ja": "学位記"}}),
        holder_key_id: Some("hk-1".into()),
        received_at: T0.saturating_add(at),
    };
    store
        .insert_stored_credential(&cred("wc-1", 1))
        .await
        .unwrap();
    store
        .insert_stored_credential(&cred("wc-2", 2))
        .await
        .unwrap();
    assert_err(
        store.insert_stored_credential(&cred("wc-1", 1)).await,
        |e| matches!(e, StorageError::Conflict { .. }),
    );
    let mut orphan = cred("wc-3", 3);
    orphan.holder_key_id = Some("missing".into());
    assert_err(store.insert_stored_credential(&orphan).await, |e| {
        matches!(e, StorageError::Invalid { .. })
    });
    assert_eq!(
        store.stored_credential("wc-2").await.unwrap(),
        cred("wc-2", 2)
    );
    assert_eq!(store.stored_credentials().await.unwrap().len(), 2);
    for (id, at) in [("p-1", 10), ("p-2", 20)] {
        store
            .insert_presentation(&PresentationRecord {
                id: id.into(),
                verifier: "x509_san_dns:verifier.example.eu".into(),
                credential_ids: vec!["wc-1".into()],
                disclosed: json!({"wc-1": ["degree"]}),
                presented_at: T0.saturating_add(at),
            })
            .await
            .unwrap();
    }
    store.delete_stored_credential("wc-1").await.unwrap();
    assert_err(store.delete_stored_credential("wc-1").await, |e| {
        matches!(e, StorageError::NotFound { .. })
    });
    let history = store.presentations().await.unwrap();
    let ids: Vec<_> = history.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["p-2", "p-1"]);
    assert_eq!(history[0].credential_ids, ["wc-1"]);
}

fn pending(id: &str, kind: &str, holder: &str, ttl: i64) -> PendingInteraction {
    PendingInteraction {
        id: id.into(),
        kind: kind.into(),
        holder: holder.into(),
        sealed: encrypted(id),
        created_at: T0,
        expires_at: T0.saturating_add(ttl),
    }
}

/// Pending wallet interactions: taken once, only as their kind, only by their holder, never
/// after their expiry; purged when expired.
pub async fn pending_interactions<S: Store>(store: &S) {
    let consent = pending("pi-consent", "consent", "holder-a/", 300);
    store.insert_pending_interaction(&consent).await.unwrap();
    assert_err(store.insert_pending_interaction(&consent).await, |e| {
        matches!(e, StorageError::Conflict { .. })
    });
    // Another holder, another kind: not found, and the interaction stays.
    for (kind, holder) in [("consent", "holder-b/"), ("authorization", "holder-a/")] {
        assert_err(
            store
                .take_pending_interaction(kind, "pi-consent", holder, T0)
                .await,
            |e| matches!(e, StorageError::NotFound { .. }),
        );
    }
    assert_eq!(
        store
            .take_pending_interaction("consent", "pi-consent", "holder-a/", T0.saturating_add(299))
            .await
            .unwrap(),
        consent
    );
    // Once only.
    assert_err(
        store
            .take_pending_interaction("consent", "pi-consent", "holder-a/", T0)
            .await,
        |e| matches!(e, StorageError::NotFound { .. }),
    );
    // Expired: refused, and gone.
    store
        .insert_pending_interaction(&pending("pi-late", "authorization", "holder-a/", 60))
        .await
        .unwrap();
    assert_err(
        store
            .take_pending_interaction(
                "authorization",
                "pi-late",
                "holder-a/",
                T0.saturating_add(60),
            )
            .await,
        |e| matches!(e, StorageError::Expired { .. }),
    );
    assert_err(
        store
            .take_pending_interaction("authorization", "pi-late", "holder-a/", T0)
            .await,
        |e| matches!(e, StorageError::NotFound { .. }),
    );
    // Purge: only the expired ones.
    for (id, ttl) in [("pi-old", 10), ("pi-live", 1000)] {
        store
            .insert_pending_interaction(&pending(id, "consent", "holder-a/", ttl))
            .await
            .unwrap();
    }
    assert!(
        store
            .purge_expired_pending_interactions(T0.saturating_add(10))
            .await
            .unwrap()
            >= 1
    );
    assert_err(
        store
            .take_pending_interaction("consent", "pi-old", "holder-a/", T0)
            .await,
        |e| matches!(e, StorageError::NotFound { .. }),
    );
    assert!(
        store
            .take_pending_interaction("consent", "pi-live", "holder-a/", T0)
            .await
            .is_ok()
    );
}

/// Two nodes answering the same consent at once: exactly one takes it.
pub async fn pending_interaction_race<S: Store>(store: &S) {
    store
        .insert_pending_interaction(&pending("pi-race", "consent", "holder-r/", 300))
        .await
        .unwrap();
    let take = || store.take_pending_interaction("consent", "pi-race", "holder-r/", T0);
    let (a, b, c) = tokio::join!(take(), take(), take());
    let won = [&a, &b, &c].iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{a:?} {b:?} {c:?}");
    for r in [a, b, c] {
        if let Err(e) = r {
            assert!(matches!(e, StorageError::NotFound { .. }), "{e:?}");
        }
    }
}

/// Registrar users and sessions.
pub async fn portal_users_and_sessions<S: Store>(store: &S) {
    let user = RegistrarUser {
        username: "registrar".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        display_name: "学務課 Registrar".into(),
        disabled: false,
        created_at: T0,
    };
    store.insert_registrar_user(&user).await.unwrap();
    assert_err(store.insert_registrar_user(&user).await, |e| {
        matches!(e, StorageError::Conflict { .. })
    });
    assert!(!format!("{user:?}").contains("argon2"));
    store
        .set_registrar_password_hash("registrar", "$argon2id$new")
        .await
        .unwrap();
    store
        .set_registrar_disabled("registrar", true)
        .await
        .unwrap();
    let stored = store.registrar_user("registrar").await.unwrap();
    assert_eq!(stored.password_hash, "$argon2id$new");
    assert!(stored.disabled);
    assert_err(store.set_registrar_disabled("ghost", true).await, |e| {
        matches!(e, StorageError::NotFound { .. })
    });

    let session = PortalSession {
        id_hash: b"session-hash".to_vec(),
        username: "registrar".into(),
        csrf_token: "csrf-123".into(),
        created_at: T0,
        expires_at: T0.saturating_add(3600),
    };
    store.insert_portal_session(&session).await.unwrap();
    assert_eq!(
        store.portal_session(b"session-hash", T0).await.unwrap(),
        session
    );
    assert_err(
        store
            .portal_session(b"session-hash", session.expires_at)
            .await,
        |e| matches!(e, StorageError::Expired { .. }),
    );
    store.delete_portal_session(b"session-hash").await.unwrap();
    store.delete_portal_session(b"session-hash").await.unwrap();
    assert_err(store.portal_session(b"session-hash", T0).await, |e| {
        matches!(e, StorageError::NotFound { .. })
    });
    assert_err(
        store
            .insert_portal_session(&PortalSession {
                username: "ghost".into(),
                ..session
            })
            .await,
        |e| matches!(e, StorageError::Invalid { .. }),
    );
}

/// Web-wallet student accounts and their sessions, apart from the registrar's.
pub async fn holder_accounts_and_sessions<S: Store>(store: &S) {
    let account = HolderAccount {
        username: "hana@student.example".into(),
        holder_id: "hana".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        display_name: "山田 花子".into(),
        disabled: false,
        created_at: T0,
    };
    store.insert_holder_account(&account).await.unwrap();
    assert_err(store.insert_holder_account(&account).await, |e| {
        matches!(e, StorageError::Conflict { .. })
    });
    assert_err(
        store
            .insert_holder_account(&HolderAccount {
                username: "other@student.example".into(),
                ..account.clone()
            })
            .await,
        |e| matches!(e, StorageError::Conflict { .. }),
    );
    assert!(!format!("{account:?}").contains("argon2"));
    assert_eq!(
        store.holder_account("hana@student.example").await.unwrap(),
        account
    );
    assert_err(store.holder_account("ghost").await, |e| {
        matches!(e, StorageError::NotFound { .. })
    });

    let session = PortalSession {
        id_hash: b"holder-session-hash".to_vec(),
        username: "hana@student.example".into(),
        csrf_token: "csrf-h".into(),
        created_at: T0,
        expires_at: T0.saturating_add(3600),
    };
    store.insert_holder_session(&session).await.unwrap();
    assert_eq!(
        store
            .holder_session(b"holder-session-hash", T0)
            .await
            .unwrap(),
        session
    );
    // A holder session is not a registrar session.
    assert_err(
        store.portal_session(b"holder-session-hash", T0).await,
        |e| matches!(e, StorageError::NotFound { .. }),
    );
    assert_err(
        store
            .holder_session(b"holder-session-hash", session.expires_at)
            .await,
        |e| matches!(e, StorageError::Expired { .. }),
    );
    assert_err(
        store
            .insert_holder_session(&PortalSession {
                id_hash: b"h2".to_vec(),
                username: "ghost".into(),
                ..session.clone()
            })
            .await,
        |e| matches!(e, StorageError::Invalid { .. }),
    );
    assert_eq!(
        store
            .purge_expired_holder_sessions(session.expires_at)
            .await
            .unwrap(),
        1
    );
    store
        .delete_holder_session(b"holder-session-hash")
        .await
        .unwrap();
    assert_err(
        store.holder_session(b"holder-session-hash", T0).await,
        |e| matches!(e, StorageError::NotFound { .. }),
    );
}

/// Graduates: upsert and keyset pagination.
pub async fn graduates<S: Store>(store: &S) {
    for i in 0..5 {
        store
            .upsert_graduate(&Graduate {
                id: format!("g-{i}"),
                record: json!({"name": format!("Student {i}")}),
                updated_at: T0,
            })
            .await
            .unwrap();
    }
    let changed = Graduate {
        id: "g-2".into(),
        record: json!({"name": "山田 花子", "degree": "MSc"}),
        updated_at: T0.saturating_add(5),
    };
    store.upsert_graduate(&changed).await.unwrap();
    assert_eq!(store.graduate("g-2").await.unwrap(), changed);
    let page1 = store.graduates(None, 2).await.unwrap();
    let page2 = store.graduates(Some(&page1[1].id), 10).await.unwrap();
    let ids: Vec<_> = page1.iter().chain(&page2).map(|g| g.id.as_str()).collect();
    assert_eq!(ids, ["g-0", "g-1", "g-2", "g-3", "g-4"]);
}

/// The audit trail is append-only and ordered.
pub async fn audit_trail<S: Store>(store: &S) {
    let entry = |action: &str| AuditEntry {
        sequence: 0,
        at: T0,
        actor: "registrar".into(),
        action: action.into(),
        target: "cred-1".into(),
        details: json!({"reason": "test"}),
    };
    let s1 = store
        .append_audit(&entry("credential.issue"))
        .await
        .unwrap();
    let s2 = store
        .append_audit(&entry("credential.revoke"))
        .await
        .unwrap();
    assert!(s2 > s1);
    let entries = store.audit_entries(s1 - 1, 10).await.unwrap();
    let actions: Vec<_> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["credential.issue", "credential.revoke"]);
    assert_eq!(entries[1].sequence, s2);
    assert_eq!(store.audit_entries(s2, 10).await.unwrap(), []);
}

/// A CSV import advances by compare-and-set and can be resumed.
pub async fn resumable_import<S: Store>(store: &S) {
    let job = ImportJob {
        id: "import-1".into(),
        file_hash: b"sha256-of-file".to_vec(),
        username: "registrar".into(),
        rows_total: 3,
        rows_done: 0,
        created_at: T0,
        finished_at: None,
    };
    store.insert_import_job(&job).await.unwrap();
    assert_err(
        store
            .insert_import_job(&ImportJob {
                id: "import-2".into(),
                ..job.clone()
            })
            .await,
        |e| matches!(e, StorageError::Conflict { .. }),
    );
    let progressed = store
        .advance_import_job("import-1", 0, 2, T0)
        .await
        .unwrap();
    assert_eq!(progressed.rows_done, 2);
    assert_eq!(progressed.finished_at, None);
    // A second importer that still thinks 0 rows are done is stopped.
    assert_err(store.advance_import_job("import-1", 0, 1, T0).await, |e| {
        matches!(
            e,
            StorageError::StaleVersion {
                expected: 0,
                found: 2,
                ..
            }
        )
    });
    // Resume after a restart: find the job by file hash, continue from rows_done.
    let resumed = store
        .import_job_by_file_hash(b"sha256-of-file")
        .await
        .unwrap()
        .unwrap();
    let done = store
        .advance_import_job("import-1", resumed.rows_done, 3, T0.saturating_add(9))
        .await
        .unwrap();
    assert_eq!(done.finished_at, Some(T0.saturating_add(9)));
    assert_err(store.advance_import_job("import-1", 3, 4, T0).await, |e| {
        matches!(e, StorageError::Invalid { .. })
    });
    assert_err(store.advance_import_job("import-1", 3, 2, T0).await, |e| {
        matches!(e, StorageError::Invalid { .. })
    });
    assert_eq!(store.import_job_by_file_hash(b"other").await.unwrap(), None);
}

/// Purges remove what expired and keep what is live.
pub async fn purges<S: Store>(store: &S) {
    let far = T0.saturating_add(1_000_000);
    store
        .insert_c_nonce("nonce-live", far.saturating_add(10))
        .await
        .unwrap();
    store
        .remember_jti("dpop", "jti-live", far.saturating_add(10), T0)
        .await
        .unwrap();
    let removed = store.purge_expired_issuer_state(far).await.unwrap();
    assert!(removed > 0);
    assert_eq!(store.purge_expired_issuer_state(far).await.unwrap(), 0);
    store.consume_c_nonce("nonce-live", far).await.unwrap();
    assert_err(
        store.remember_jti("dpop", "jti-live", far, far).await,
        |e| matches!(e, StorageError::AlreadyUsed { .. }),
    );
    assert!(store.purge_expired_verifier_sessions(far).await.unwrap() >= 4);
    assert_err(store.verifier_session("vs-1").await, |e| {
        matches!(e, StorageError::NotFound { .. })
    });
    store
        .insert_portal_session(&PortalSession {
            id_hash: b"old".to_vec(),
            username: "registrar".into(),
            csrf_token: "c".into(),
            created_at: T0,
            expires_at: T0.saturating_add(1),
        })
        .await
        .unwrap();
    assert_eq!(store.purge_expired_portal_sessions(far).await.unwrap(), 1);
}

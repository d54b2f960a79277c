//! The store traits over sqlx, for both backends: `kakehashi-storage-postgres` compiles this same
//! file (`#[path]`) against its own driver types. Queries use
//! `$N` parameters, `RETURNING`, `ON CONFLICT` and `TRUE`/`FALSE`, which both databases accept,
//! and the crate root names the driver as `Db` / `DbRow` and the store as `Backend`.
//!
//! Pattern for single-use values: one conditional `UPDATE … RETURNING` does the work; only when
//! it matches nothing does a second, read-only query find out why (for the error variant). The
//! decision itself never depends on that second read, so races stay safe.

use kakehashi_core::UnixTime;
use kakehashi_storage::{
    AccessToken, AuditEntry, AuthorizationCode, CredentialOffer, DeferredState,
    DeferredTransaction, EncryptedKey, Graduate, HolderAccount, HolderAccountStore, HolderKey,
    ImportJob, IssuedCredential, IssuerStore, KeyStore, Notification, NotificationEvent,
    PendingInteraction, PortalSession, PortalStore, PresentationRecord, PublishedStatusList,
    PushedAuthorizationRequest, RegistrarUser, SessionStatus, SigningKey, StatusList,
    StatusReference, StatusStore, StorageError, StoredCredential, VerifierSession, VerifierStore,
    WalletStore, check_status_list_shape, codec,
};
use sqlx::Row;

use crate::{Backend, Db, DbRow, db_error};

fn col<'r, T>(row: &'r DbRow, name: &'static str) -> Result<T, StorageError>
where
    T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
{
    row.try_get(name)
        .map_err(|e| StorageError::corrupt(name, e))
}

fn time(row: &DbRow, name: &'static str) -> Result<UnixTime, StorageError> {
    col::<i64>(row, name).map(UnixTime)
}

fn time_opt(row: &DbRow, name: &'static str) -> Result<Option<UnixTime>, StorageError> {
    col::<Option<i64>>(row, name).map(codec::to_time_opt)
}

fn json(row: &DbRow, name: &'static str) -> Result<serde_json::Value, StorageError> {
    codec::decode_json(name, &col::<String>(row, name)?)
}

/// Why a single-use value could not be consumed, from its `used_at` and `expires_at`.
fn why_not_usable(
    what: &'static str,
    found: Option<(Option<i64>, i64)>,
    now: UnixTime,
) -> StorageError {
    match found {
        None => StorageError::NotFound { what },
        Some((Some(_), _)) => StorageError::AlreadyUsed { what },
        Some((None, expires_at)) if expires_at <= now.seconds() => StorageError::Expired { what },
        // Matched nothing yet looks usable: another writer consumed it in between.
        Some((None, _)) => StorageError::AlreadyUsed { what },
    }
}

/// Reads `used_at, expires_at` of one row for [`why_not_usable`].
async fn usage(
    pool: &sqlx::Pool<Db>,
    what: &'static str,
    sql: &'static str,
    key: &[u8],
) -> Result<Option<(Option<i64>, i64)>, StorageError> {
    let row = sqlx::query(sql)
        .bind(key)
        .fetch_optional(pool)
        .await
        .map_err(|e| db_error(what, e))?;
    row.map(|r| Ok((col(&r, "used_at")?, col(&r, "expires_at")?)))
        .transpose()
}

fn encrypted_key(row: &DbRow) -> Result<EncryptedKey, StorageError> {
    Ok(EncryptedKey {
        kek_id: col(row, "kek_id")?,
        algorithm: col(row, "key_algorithm")?,
        ciphertext: col(row, "ciphertext")?,
    })
}

// ---------------------------------------------------------------------------------------------
// Signing keys

macro_rules! signing_key_columns {
    () => {
        "id, owner, algorithm, public_jwk, kek_id, key_algorithm, \
     ciphertext, certificate_chain, created_at, is_current, retired_at"
    };
}

fn signing_key(row: &DbRow) -> Result<SigningKey, StorageError> {
    Ok(SigningKey {
        id: col(row, "id")?,
        owner: col(row, "owner")?,
        algorithm: col(row, "algorithm")?,
        public_jwk: col(row, "public_jwk")?,
        private_key: encrypted_key(row)?,
        certificate_chain: codec::decode_certificate_chain(&col::<Vec<u8>>(
            row,
            "certificate_chain",
        )?)?,
        created_at: time(row, "created_at")?,
        current: col(row, "is_current")?,
        retired_at: time_opt(row, "retired_at")?,
    })
}

impl KeyStore for Backend {
    async fn insert_signing_key(&self, key: &SigningKey) -> Result<(), StorageError> {
        let chain = codec::encode_certificate_chain(&key.certificate_chain)?;
        sqlx::query(
            "INSERT INTO signing_keys (id, owner, algorithm, public_jwk, kek_id, key_algorithm, \
             ciphertext, certificate_chain, created_at, is_current, retired_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&key.id)
        .bind(&key.owner)
        .bind(&key.algorithm)
        .bind(&key.public_jwk)
        .bind(&key.private_key.kek_id)
        .bind(&key.private_key.algorithm)
        .bind(&key.private_key.ciphertext)
        .bind(chain)
        .bind(key.created_at.seconds())
        .bind(key.current)
        .bind(key.retired_at.map(UnixTime::seconds))
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("signing key", e))?;
        Ok(())
    }

    async fn signing_key(&self, id: &str) -> Result<SigningKey, StorageError> {
        let sql = concat!(
            "SELECT ",
            signing_key_columns!(),
            " FROM signing_keys WHERE id = $1"
        );
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error("signing key", e))?
            .ok_or(StorageError::NotFound {
                what: "signing key",
            })?;
        signing_key(&row)
    }

    async fn active_signing_keys(&self, owner: &str) -> Result<Vec<SigningKey>, StorageError> {
        let sql = concat!(
            "SELECT ",
            signing_key_columns!(),
            " FROM signing_keys WHERE owner = $1 \
             AND retired_at IS NULL ORDER BY is_current DESC, created_at DESC, id"
        );
        sqlx::query(sql)
            .bind(owner)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| db_error("signing key", e))?
            .iter()
            .map(signing_key)
            .collect()
    }

    async fn current_signing_key(&self, owner: &str) -> Result<SigningKey, StorageError> {
        let sql = concat!(
            "SELECT ",
            signing_key_columns!(),
            " FROM signing_keys WHERE owner = $1 AND is_current"
        );
        let row = sqlx::query(sql)
            .bind(owner)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error("signing key", e))?
            .ok_or(StorageError::NotFound {
                what: "current signing key",
            })?;
        signing_key(&row)
    }

    async fn make_signing_key_current(&self, id: &str) -> Result<(), StorageError> {
        let what = "signing key";
        let mut tx = self.pool.begin().await.map_err(|e| db_error(what, e))?;
        // Write first, so SQLite takes its write lock (with the busy timeout) up front.
        sqlx::query(
            "UPDATE signing_keys SET is_current = FALSE WHERE is_current AND id <> $1 \
             AND owner = (SELECT owner FROM signing_keys WHERE id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error(what, e))?;
        let done = sqlx::query(
            "UPDATE signing_keys SET is_current = TRUE WHERE id = $1 AND retired_at IS NULL",
        )
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error(what, e))?
        .rows_affected();
        if done == 0 {
            let exists = sqlx::query("SELECT 1 FROM signing_keys WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| db_error(what, e))?
                .is_some();
            // Dropping `tx` rolls back the first update.
            return Err(if exists {
                StorageError::WrongState {
                    what,
                    action: "making a retired key current",
                }
            } else {
                StorageError::NotFound { what }
            });
        }
        tx.commit().await.map_err(|e| db_error(what, e))
    }

    async fn retire_signing_key(&self, id: &str, now: UnixTime) -> Result<(), StorageError> {
        let done = sqlx::query(
            "UPDATE signing_keys SET retired_at = COALESCE(retired_at, $2), is_current = FALSE \
             WHERE id = $1",
        )
        .bind(id)
        .bind(now.seconds())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("signing key", e))?
        .rows_affected();
        if done == 0 {
            return Err(StorageError::NotFound {
                what: "signing key",
            });
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// OpenID4VCI issuer

macro_rules! offer_columns {
    () => {
        "id, issuer, subject, configuration_ids, pre_authorized_code_hash, \
     tx_code_hash, tx_code_attempts_left, issuer_state, reference_id, created_at, expires_at, \
     used_at"
    };
}

fn credential_offer(row: &DbRow) -> Result<CredentialOffer, StorageError> {
    Ok(CredentialOffer {
        id: col(row, "id")?,
        issuer: col(row, "issuer")?,
        subject: col(row, "subject")?,
        configuration_ids: codec::decode_strings(
            "configuration_ids",
            &col::<String>(row, "configuration_ids")?,
        )?,
        pre_authorized_code_hash: col(row, "pre_authorized_code_hash")?,
        tx_code_hash: col(row, "tx_code_hash")?,
        tx_code_attempts_left: codec::to_u32(
            "tx_code_attempts_left",
            col(row, "tx_code_attempts_left")?,
        )?,
        issuer_state: col(row, "issuer_state")?,
        reference_id: col(row, "reference_id")?,
        created_at: time(row, "created_at")?,
        expires_at: time(row, "expires_at")?,
        used_at: time_opt(row, "used_at")?,
    })
}

macro_rules! par_columns {
    () => {
        "request_uri, client_id, parameters, expires_at, used_at"
    };
}

fn pushed_request(row: &DbRow) -> Result<PushedAuthorizationRequest, StorageError> {
    Ok(PushedAuthorizationRequest {
        request_uri: col(row, "request_uri")?,
        client_id: col(row, "client_id")?,
        parameters: json(row, "parameters")?,
        expires_at: time(row, "expires_at")?,
        used_at: time_opt(row, "used_at")?,
    })
}

macro_rules! code_columns {
    () => {
        "code_hash, client_id, redirect_uri, pkce_challenge, pkce_method, \
     subject, authorization_details, expires_at, used_at"
    };
}

fn authorization_code(row: &DbRow) -> Result<AuthorizationCode, StorageError> {
    Ok(AuthorizationCode {
        code_hash: col(row, "code_hash")?,
        client_id: col(row, "client_id")?,
        redirect_uri: col(row, "redirect_uri")?,
        pkce_challenge: col(row, "pkce_challenge")?,
        pkce_method: col(row, "pkce_method")?,
        subject: col(row, "subject")?,
        authorization_details: json(row, "authorization_details")?,
        expires_at: time(row, "expires_at")?,
        used_at: time_opt(row, "used_at")?,
    })
}

macro_rules! deferred_columns {
    () => {
        "transaction_id, subject, configuration_id, state, credentials, created_at, expires_at"
    };
}

fn deferred(row: &DbRow) -> Result<DeferredTransaction, StorageError> {
    Ok(DeferredTransaction {
        transaction_id: col(row, "transaction_id")?,
        subject: col(row, "subject")?,
        configuration_id: col(row, "configuration_id")?,
        state: DeferredState::parse(&col::<String>(row, "state")?)?,
        credentials: codec::decode_strings("credentials", &col::<String>(row, "credentials")?)?,
        created_at: time(row, "created_at")?,
        expires_at: time(row, "expires_at")?,
    })
}

macro_rules! notification_columns {
    () => {
        "notification_id, credential_id, event, description, reported_at"
    };
}

fn notification(row: &DbRow) -> Result<Notification, StorageError> {
    Ok(Notification {
        notification_id: col(row, "notification_id")?,
        credential_id: col(row, "credential_id")?,
        event: col::<Option<String>>(row, "event")?
            .map(|e| NotificationEvent::parse(&e))
            .transpose()?,
        description: col(row, "description")?,
        reported_at: time_opt(row, "reported_at")?,
    })
}

macro_rules! issued_columns {
    () => {
        "id, format, credential_type, subject, holder_key_thumbprint, \
     status_list_id, status_index, issued_at, credential, idempotency_key"
    };
}

fn issued_credential(row: &DbRow) -> Result<IssuedCredential, StorageError> {
    let list_id: Option<String> = col(row, "status_list_id")?;
    let index: Option<i64> = col(row, "status_index")?;
    let status = match (list_id, index) {
        (Some(list_id), Some(index)) => Some(StatusReference {
            list_id,
            index: codec::to_u32("status_index", index)?,
        }),
        (None, None) => None,
        _ => {
            return Err(StorageError::corrupt(
                "issued credential status",
                "list id and index must both be set or both be empty",
            ));
        }
    };
    Ok(IssuedCredential {
        id: col(row, "id")?,
        format: col(row, "format")?,
        credential_type: col(row, "credential_type")?,
        subject: col(row, "subject")?,
        holder_key_thumbprint: col(row, "holder_key_thumbprint")?,
        status,
        issued_at: time(row, "issued_at")?,
        credential: col(row, "credential")?,
        idempotency_key: col(row, "idempotency_key")?,
    })
}

impl IssuerStore for Backend {
    async fn insert_credential_offer(&self, offer: &CredentialOffer) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO credential_offers (id, issuer, subject, configuration_ids, \
             pre_authorized_code_hash, tx_code_hash, tx_code_attempts_left, issuer_state, \
             reference_id, created_at, expires_at, used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&offer.id)
        .bind(&offer.issuer)
        .bind(&offer.subject)
        .bind(codec::encode_strings(&offer.configuration_ids))
        .bind(offer.pre_authorized_code_hash.as_deref())
        .bind(offer.tx_code_hash.as_deref())
        .bind(i64::from(offer.tx_code_attempts_left))
        .bind(offer.issuer_state.as_deref())
        .bind(offer.reference_id.as_deref())
        .bind(offer.created_at.seconds())
        .bind(offer.expires_at.seconds())
        .bind(offer.used_at.map(UnixTime::seconds))
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("credential offer", e))?;
        Ok(())
    }

    async fn credential_offer(&self, id: &str) -> Result<CredentialOffer, StorageError> {
        let sql = concat!(
            "SELECT ",
            offer_columns!(),
            " FROM credential_offers WHERE id = $1"
        );
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error("credential offer", e))?
            .ok_or(StorageError::NotFound {
                what: "credential offer",
            })?;
        credential_offer(&row)
    }

    async fn credential_offers_for_subject(
        &self,
        subject: &str,
    ) -> Result<Vec<CredentialOffer>, StorageError> {
        let sql = concat!(
            "SELECT ",
            offer_columns!(),
            " FROM credential_offers WHERE subject = $1 ORDER BY created_at, id"
        );
        sqlx::query(sql)
            .bind(subject)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| db_error("credential offer", e))?
            .iter()
            .map(credential_offer)
            .collect()
    }

    async fn credential_offer_by_reference(
        &self,
        reference_id: &str,
        now: UnixTime,
    ) -> Result<CredentialOffer, StorageError> {
        let what = "credential offer";
        let sql = concat!(
            "SELECT ",
            offer_columns!(),
            " FROM credential_offers WHERE reference_id = $1"
        );
        let row = sqlx::query(sql)
            .bind(reference_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?
            .ok_or(StorageError::NotFound { what })?;
        let offer = credential_offer(&row)?;
        if offer.used_at.is_some() {
            return Err(StorageError::AlreadyUsed { what });
        }
        if offer.expires_at <= now {
            return Err(StorageError::Expired { what });
        }
        Ok(offer)
    }

    async fn redeem_pre_authorized_code(
        &self,
        code_hash: &[u8],
        tx_code_hash: Option<&[u8]>,
        now: UnixTime,
    ) -> Result<CredentialOffer, StorageError> {
        let what = "pre-authorized code";
        let sql = concat!(
            "UPDATE credential_offers SET used_at = $3 \
             WHERE pre_authorized_code_hash = $1 AND used_at IS NULL AND expires_at > $3 \
             AND (tx_code_hash IS NULL OR (tx_code_hash = $2 AND tx_code_attempts_left > 0)) \
             RETURNING ",
            offer_columns!()
        );
        let redeemed = sqlx::query(sql)
            .bind(code_hash)
            .bind(tx_code_hash)
            .bind(now.seconds())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?;
        if let Some(row) = redeemed {
            return credential_offer(&row);
        }
        // A wrong transaction code burns one attempt (a brute-force limit shared by all nodes).
        let burned = sqlx::query(
            "UPDATE credential_offers SET tx_code_attempts_left = tx_code_attempts_left - 1 \
             WHERE pre_authorized_code_hash = $1 AND used_at IS NULL AND expires_at > $3 \
             AND tx_code_hash IS NOT NULL AND ($2 IS NULL OR tx_code_hash <> $2) \
             AND tx_code_attempts_left > 0 \
             RETURNING tx_code_attempts_left",
        )
        .bind(code_hash)
        .bind(tx_code_hash)
        .bind(now.seconds())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| db_error(what, e))?;
        if let Some(row) = burned {
            let attempts_left =
                codec::to_u32("tx_code_attempts_left", col(&row, "tx_code_attempts_left")?)?;
            return Err(StorageError::WrongTxCode { attempts_left });
        }
        let row = sqlx::query(
            "SELECT used_at, expires_at, tx_code_hash, tx_code_attempts_left \
             FROM credential_offers WHERE pre_authorized_code_hash = $1",
        )
        .bind(code_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| db_error(what, e))?;
        let Some(row) = row else {
            return Err(StorageError::NotFound { what });
        };
        let used_at: Option<i64> = col(&row, "used_at")?;
        let expires_at: i64 = col(&row, "expires_at")?;
        let tx_required = col::<Option<Vec<u8>>>(&row, "tx_code_hash")?.is_some();
        let attempts_left: i64 = col(&row, "tx_code_attempts_left")?;
        if used_at.is_none() && expires_at > now.seconds() && tx_required && attempts_left <= 0 {
            return Err(StorageError::AttemptsExhausted);
        }
        Err(why_not_usable(what, Some((used_at, expires_at)), now))
    }

    async fn insert_pushed_authorization_request(
        &self,
        request: &PushedAuthorizationRequest,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO pushed_authorization_requests \
             (request_uri, client_id, parameters, expires_at, used_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&request.request_uri)
        .bind(&request.client_id)
        .bind(codec::encode_json(&request.parameters))
        .bind(request.expires_at.seconds())
        .bind(request.used_at.map(UnixTime::seconds))
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("pushed authorization request", e))?;
        Ok(())
    }

    async fn consume_pushed_authorization_request(
        &self,
        request_uri: &str,
        now: UnixTime,
    ) -> Result<PushedAuthorizationRequest, StorageError> {
        let what = "pushed authorization request";
        let sql = concat!(
            "UPDATE pushed_authorization_requests SET used_at = $2 \
             WHERE request_uri = $1 AND used_at IS NULL AND expires_at > $2 \
             RETURNING ",
            par_columns!()
        );
        let row = sqlx::query(sql)
            .bind(request_uri)
            .bind(now.seconds())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?;
        if let Some(row) = row {
            return pushed_request(&row);
        }
        let row = sqlx::query(
            "SELECT used_at, expires_at FROM pushed_authorization_requests WHERE request_uri = $1",
        )
        .bind(request_uri)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| db_error(what, e))?;
        let found = row
            .map(|r| Ok::<_, StorageError>((col(&r, "used_at")?, col(&r, "expires_at")?)))
            .transpose()?;
        Err(why_not_usable(what, found, now))
    }

    async fn insert_authorization_code(
        &self,
        code: &AuthorizationCode,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO authorization_codes (code_hash, client_id, redirect_uri, \
             pkce_challenge, pkce_method, subject, authorization_details, expires_at, used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&code.code_hash)
        .bind(&code.client_id)
        .bind(code.redirect_uri.as_deref())
        .bind(&code.pkce_challenge)
        .bind(&code.pkce_method)
        .bind(&code.subject)
        .bind(codec::encode_json(&code.authorization_details))
        .bind(code.expires_at.seconds())
        .bind(code.used_at.map(UnixTime::seconds))
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("authorization code", e))?;
        Ok(())
    }

    async fn redeem_authorization_code(
        &self,
        code_hash: &[u8],
        now: UnixTime,
    ) -> Result<AuthorizationCode, StorageError> {
        let what = "authorization code";
        let sql = concat!(
            "UPDATE authorization_codes SET used_at = $2 \
             WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 \
             RETURNING ",
            code_columns!()
        );
        let row = sqlx::query(sql)
            .bind(code_hash)
            .bind(now.seconds())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?;
        if let Some(row) = row {
            return authorization_code(&row);
        }
        let found = usage(
            &self.pool,
            what,
            "SELECT used_at, expires_at FROM authorization_codes WHERE code_hash = $1",
            code_hash,
        )
        .await?;
        Err(why_not_usable(what, found, now))
    }

    async fn insert_access_token(&self, token: &AccessToken) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO access_tokens (token_hash, subject, offer_id, dpop_jkt, \
             authorization_details, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&token.token_hash)
        .bind(&token.subject)
        .bind(token.offer_id.as_deref())
        .bind(token.dpop_jkt.as_deref())
        .bind(codec::encode_json(&token.authorization_details))
        .bind(token.expires_at.seconds())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("access token", e))?;
        Ok(())
    }

    async fn access_token(
        &self,
        token_hash: &[u8],
        now: UnixTime,
    ) -> Result<AccessToken, StorageError> {
        let what = "access token";
        let row = sqlx::query(
            "SELECT token_hash, subject, offer_id, dpop_jkt, authorization_details, expires_at \
             FROM access_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| db_error(what, e))?
        .ok_or(StorageError::NotFound { what })?;
        let token = AccessToken {
            token_hash: col(&row, "token_hash")?,
            subject: col(&row, "subject")?,
            offer_id: col(&row, "offer_id")?,
            dpop_jkt: col(&row, "dpop_jkt")?,
            authorization_details: json(&row, "authorization_details")?,
            expires_at: time(&row, "expires_at")?,
        };
        if token.expires_at <= now {
            return Err(StorageError::Expired { what });
        }
        Ok(token)
    }

    async fn insert_c_nonce(&self, nonce: &str, expires_at: UnixTime) -> Result<(), StorageError> {
        sqlx::query("INSERT INTO c_nonces (nonce, expires_at) VALUES ($1, $2)")
            .bind(nonce)
            .bind(expires_at.seconds())
            .execute(&self.pool)
            .await
            .map_err(|e| db_error("c_nonce", e))?;
        Ok(())
    }

    async fn consume_c_nonce(&self, nonce: &str, now: UnixTime) -> Result<(), StorageError> {
        let what = "c_nonce";
        let done = sqlx::query(
            "UPDATE c_nonces SET used_at = $2 \
             WHERE nonce = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(nonce)
        .bind(now.seconds())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error(what, e))?
        .rows_affected();
        if done == 1 {
            return Ok(());
        }
        let row = sqlx::query("SELECT used_at, expires_at FROM c_nonces WHERE nonce = $1")
            .bind(nonce)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?;
        let found = row
            .map(|r| Ok::<_, StorageError>((col(&r, "used_at")?, col(&r, "expires_at")?)))
            .transpose()?;
        Err(why_not_usable(what, found, now))
    }

    async fn remember_jti(
        &self,
        scope: &str,
        jti: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), StorageError> {
        // Insert, or take over an entry that has expired; a live entry is left alone and
        // nothing is written, which is how a replay shows.
        let done = sqlx::query(
            "INSERT INTO replay_cache (scope, jti, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (scope, jti) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE replay_cache.expires_at <= $4",
        )
        .bind(scope)
        .bind(jti)
        .bind(expires_at.seconds())
        .bind(now.seconds())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("jti", e))?
        .rows_affected();
        if done == 0 {
            return Err(StorageError::AlreadyUsed { what: "jti" });
        }
        Ok(())
    }

    async fn purge_expired_issuer_state(&self, now: UnixTime) -> Result<u64, StorageError> {
        let mut removed = 0;
        for sql in [
            "DELETE FROM replay_cache WHERE expires_at <= $1",
            "DELETE FROM c_nonces WHERE expires_at <= $1",
            "DELETE FROM pushed_authorization_requests WHERE expires_at <= $1",
            "DELETE FROM authorization_codes WHERE expires_at <= $1",
            "DELETE FROM access_tokens WHERE expires_at <= $1",
        ] {
            removed += sqlx::query(sql)
                .bind(now.seconds())
                .execute(&self.pool)
                .await
                .map_err(|e| db_error("expired issuer state", e))?
                .rows_affected();
        }
        Ok(removed)
    }

    async fn insert_deferred_transaction(
        &self,
        transaction: &DeferredTransaction,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO deferred_transactions (transaction_id, subject, configuration_id, \
             state, credentials, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&transaction.transaction_id)
        .bind(&transaction.subject)
        .bind(&transaction.configuration_id)
        .bind(transaction.state.as_str())
        .bind(codec::encode_strings(&transaction.credentials))
        .bind(transaction.created_at.seconds())
        .bind(transaction.expires_at.seconds())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("deferred transaction", e))?;
        Ok(())
    }

    async fn deferred_transaction(
        &self,
        transaction_id: &str,
    ) -> Result<DeferredTransaction, StorageError> {
        let what = "deferred transaction";
        let sql = concat!(
            "SELECT ",
            deferred_columns!(),
            " FROM deferred_transactions WHERE transaction_id = $1"
        );
        let row = sqlx::query(sql)
            .bind(transaction_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?
            .ok_or(StorageError::NotFound { what })?;
        deferred(&row)
    }

    async fn complete_deferred_transaction(
        &self,
        transaction_id: &str,
        outcome: DeferredState,
        credentials: &[String],
    ) -> Result<(), StorageError> {
        let what = "deferred transaction";
        if !matches!(outcome, DeferredState::Ready | DeferredState::Failed) {
            return Err(StorageError::invalid(
                "deferred outcome",
                "must be ready or failed",
            ));
        }
        let done = sqlx::query(
            "UPDATE deferred_transactions SET state = $2, credentials = $3 \
             WHERE transaction_id = $1 AND state = 'pending'",
        )
        .bind(transaction_id)
        .bind(outcome.as_str())
        .bind(codec::encode_strings(credentials))
        .execute(&self.pool)
        .await
        .map_err(|e| db_error(what, e))?
        .rows_affected();
        if done == 0 {
            // Distinguish unknown from already completed.
            self.deferred_transaction(transaction_id).await?;
            return Err(StorageError::WrongState {
                what,
                action: "completing",
            });
        }
        Ok(())
    }

    async fn take_deferred_credentials(
        &self,
        transaction_id: &str,
        now: UnixTime,
    ) -> Result<Vec<String>, StorageError> {
        let what = "deferred transaction";
        let row = sqlx::query(
            "UPDATE deferred_transactions SET state = 'issued' \
             WHERE transaction_id = $1 AND state = 'ready' AND expires_at > $2 \
             RETURNING credentials",
        )
        .bind(transaction_id)
        .bind(now.seconds())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| db_error(what, e))?;
        if let Some(row) = row {
            return codec::decode_strings("credentials", &col::<String>(&row, "credentials")?);
        }
        let current = self.deferred_transaction(transaction_id).await?;
        Err(match current.state {
            DeferredState::Issued => StorageError::AlreadyUsed { what },
            _ if current.expires_at <= now => StorageError::Expired { what },
            DeferredState::Ready => StorageError::AlreadyUsed { what },
            _ => StorageError::WrongState {
                what,
                action: "taking credentials",
            },
        })
    }

    async fn insert_notification(
        &self,
        notification_id: &str,
        credential_id: &str,
    ) -> Result<(), StorageError> {
        sqlx::query("INSERT INTO notifications (notification_id, credential_id) VALUES ($1, $2)")
            .bind(notification_id)
            .bind(credential_id)
            .execute(&self.pool)
            .await
            .map_err(|e| db_error("notification", e))?;
        Ok(())
    }

    async fn record_notification_event(
        &self,
        notification_id: &str,
        event: NotificationEvent,
        description: Option<&str>,
        now: UnixTime,
    ) -> Result<Notification, StorageError> {
        let what = "notification";
        let sql = concat!(
            "UPDATE notifications SET event = $2, description = $3, reported_at = $4 \
             WHERE notification_id = $1 AND event IS NULL RETURNING ",
            notification_columns!()
        );
        let row = sqlx::query(sql)
            .bind(notification_id)
            .bind(event.as_str())
            .bind(description)
            .bind(now.seconds())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?;
        if let Some(row) = row {
            return notification(&row);
        }
        let sql = concat!(
            "SELECT ",
            notification_columns!(),
            " FROM notifications WHERE notification_id = $1"
        );
        let row = sqlx::query(sql)
            .bind(notification_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?
            .ok_or(StorageError::NotFound { what })?;
        let existing = notification(&row)?;
        if existing.event == Some(event) {
            return Ok(existing);
        }
        Err(StorageError::Conflict { what })
    }

    async fn insert_issued_credential(
        &self,
        credential: &IssuedCredential,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO issued_credentials (id, format, credential_type, subject, \
             holder_key_thumbprint, status_list_id, status_index, issued_at, credential, \
             idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&credential.id)
        .bind(&credential.format)
        .bind(&credential.credential_type)
        .bind(&credential.subject)
        .bind(credential.holder_key_thumbprint.as_deref())
        .bind(credential.status.as_ref().map(|s| s.list_id.as_str()))
        .bind(credential.status.as_ref().map(|s| i64::from(s.index)))
        .bind(credential.issued_at.seconds())
        .bind(&credential.credential)
        .bind(credential.idempotency_key.as_deref())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("issued credential", e))?;
        Ok(())
    }

    async fn issued_credential(&self, id: &str) -> Result<IssuedCredential, StorageError> {
        let what = "issued credential";
        let sql = concat!(
            "SELECT ",
            issued_columns!(),
            " FROM issued_credentials WHERE id = $1"
        );
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?
            .ok_or(StorageError::NotFound { what })?;
        issued_credential(&row)
    }

    async fn issued_credential_by_idempotency_key(
        &self,
        idempotency_key: &str,
    ) -> Result<Option<IssuedCredential>, StorageError> {
        let sql = concat!(
            "SELECT ",
            issued_columns!(),
            " FROM issued_credentials WHERE idempotency_key = $1"
        );
        sqlx::query(sql)
            .bind(idempotency_key)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error("issued credential", e))?
            .map(|row| issued_credential(&row))
            .transpose()
    }

    async fn issued_credentials_for_subject(
        &self,
        subject: &str,
    ) -> Result<Vec<IssuedCredential>, StorageError> {
        let sql = concat!(
            "SELECT ",
            issued_columns!(),
            " FROM issued_credentials WHERE subject = $1 \
             ORDER BY issued_at, id"
        );
        sqlx::query(sql)
            .bind(subject)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| db_error("issued credential", e))?
            .iter()
            .map(issued_credential)
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Status lists

macro_rules! status_list_columns {
    () => {
        "list_id, purpose, bits, size, allocation, statuses, version, \
     published_token, published_iat, published_version, updated_at"
    };
}

fn status_list(row: &DbRow) -> Result<StatusList, StorageError> {
    let token: Option<String> = col(row, "published_token")?;
    let iat: Option<i64> = col(row, "published_iat")?;
    let published_version: Option<i64> = col(row, "published_version")?;
    let published = match (token, iat, published_version) {
        (Some(token), Some(iat), Some(version)) => Some(PublishedStatusList {
            token,
            issued_at: UnixTime(iat),
            version,
        }),
        (None, None, None) => None,
        _ => {
            return Err(StorageError::corrupt(
                "published status list",
                "token, iat and version must be set together",
            ));
        }
    };
    Ok(StatusList {
        list_id: col(row, "list_id")?,
        purpose: col(row, "purpose")?,
        bits: codec::to_u8("bits", col(row, "bits")?)?,
        size: codec::to_u32("size", col(row, "size")?)?,
        allocation: col(row, "allocation")?,
        statuses: col(row, "statuses")?,
        version: col(row, "version")?,
        published,
        updated_at: time(row, "updated_at")?,
    })
}

impl StatusStore for Backend {
    async fn create_status_list(&self, list: &StatusList) -> Result<(), StorageError> {
        check_status_list_shape(list.bits, list.size, &list.allocation, &list.statuses)?;
        sqlx::query(
            "INSERT INTO status_lists (list_id, purpose, bits, size, allocation, statuses, \
             version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
        )
        .bind(&list.list_id)
        .bind(&list.purpose)
        .bind(i64::from(list.bits))
        .bind(i64::from(list.size))
        .bind(&list.allocation)
        .bind(&list.statuses)
        .bind(list.updated_at.seconds())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("status list", e))?;
        Ok(())
    }

    async fn status_list(&self, list_id: &str) -> Result<StatusList, StorageError> {
        let what = "status list";
        let sql = concat!(
            "SELECT ",
            status_list_columns!(),
            " FROM status_lists WHERE list_id = $1"
        );
        let row = sqlx::query(sql)
            .bind(list_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?
            .ok_or(StorageError::NotFound { what })?;
        status_list(&row)
    }

    async fn status_list_ids(&self) -> Result<Vec<String>, StorageError> {
        sqlx::query("SELECT list_id FROM status_lists ORDER BY list_id")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| db_error("status list", e))?
            .iter()
            .map(|row| col(row, "list_id"))
            .collect()
    }

    async fn update_status_list(
        &self,
        list_id: &str,
        expected_version: i64,
        allocation: &[u8],
        statuses: &[u8],
        now: UnixTime,
    ) -> Result<i64, StorageError> {
        let what = "status list";
        // Compare-and-set on the version; the length checks keep the shape fixed.
        let row = sqlx::query(
            "UPDATE status_lists SET allocation = $3, statuses = $4, version = version + 1, \
             updated_at = $5 \
             WHERE list_id = $1 AND version = $2 \
             AND length(allocation) = length($3) AND length(statuses) = length($4) \
             RETURNING version",
        )
        .bind(list_id)
        .bind(expected_version)
        .bind(allocation)
        .bind(statuses)
        .bind(now.seconds())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| db_error(what, e))?;
        if let Some(row) = row {
            return col(&row, "version");
        }
        let current = self.status_list(list_id).await?;
        if current.version != expected_version {
            return Err(StorageError::StaleVersion {
                what,
                expected: expected_version,
                found: current.version,
            });
        }
        check_status_list_shape(current.bits, current.size, allocation, statuses)?;
        // Shape fine and version matched on re-read: the version moved and back cannot
        // happen (it only grows), so this was a concurrent write that we lost.
        Err(StorageError::StaleVersion {
            what,
            expected: expected_version,
            found: current.version,
        })
    }

    async fn publish_status_list(
        &self,
        list_id: &str,
        published: &PublishedStatusList,
    ) -> Result<(), StorageError> {
        let what = "status list";
        let done = sqlx::query(
            "UPDATE status_lists SET published_token = $2, published_iat = $3, \
             published_version = $4 \
             WHERE list_id = $1 AND $4 <= version \
             AND (published_version IS NULL OR published_version <= $4)",
        )
        .bind(list_id)
        .bind(&published.token)
        .bind(published.issued_at.seconds())
        .bind(published.version)
        .execute(&self.pool)
        .await
        .map_err(|e| db_error(what, e))?
        .rows_affected();
        if done == 1 {
            return Ok(());
        }
        let current = self.status_list(list_id).await?;
        if published.version > current.version {
            return Err(StorageError::invalid(
                "published status list version",
                format!(
                    "{} is newer than the list ({})",
                    published.version, current.version
                ),
            ));
        }
        Err(StorageError::StaleVersion {
            what: "published status list",
            expected: published.version,
            found: current.published.map_or(current.version, |p| p.version),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// OpenID4VP verifier

macro_rules! session_columns {
    () => {
        "id, state, nonce, dcql_query, request_object, request_uri, \
     response_mode, kek_id, key_algorithm, ciphertext, status, response, result, webhook_url, \
     created_at, expires_at"
    };
}

fn verifier_session(row: &DbRow) -> Result<VerifierSession, StorageError> {
    let kek_id: Option<String> = col(row, "kek_id")?;
    let key_algorithm: Option<String> = col(row, "key_algorithm")?;
    let ciphertext: Option<Vec<u8>> = col(row, "ciphertext")?;
    let encryption_key = match (kek_id, key_algorithm, ciphertext) {
        (Some(kek_id), Some(algorithm), Some(ciphertext)) => Some(EncryptedKey {
            kek_id,
            algorithm,
            ciphertext,
        }),
        (None, None, None) => None,
        _ => {
            return Err(StorageError::corrupt(
                "session encryption key",
                "partially stored",
            ));
        }
    };
    Ok(VerifierSession {
        id: col(row, "id")?,
        state: col(row, "state")?,
        nonce: col(row, "nonce")?,
        dcql_query: json(row, "dcql_query")?,
        request_object: col(row, "request_object")?,
        request_uri: col(row, "request_uri")?,
        response_mode: col(row, "response_mode")?,
        encryption_key,
        status: SessionStatus::parse(&col::<String>(row, "status")?)?,
        response: col(row, "response")?,
        result: codec::decode_json_opt("result", col(row, "result")?)?,
        webhook_url: col(row, "webhook_url")?,
        created_at: time(row, "created_at")?,
        expires_at: time(row, "expires_at")?,
    })
}

impl Backend {
    /// Why a session transition matched nothing: unknown, expired, or already past that step.
    async fn why_session_refused(
        &self,
        sql: &'static str,
        key: &str,
        now: UnixTime,
    ) -> Result<StorageError, StorageError> {
        let what = "verifier session";
        let row = sqlx::query(sql)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?;
        let Some(row) = row else {
            return Ok(StorageError::NotFound { what });
        };
        let session = verifier_session(&row)?;
        Ok(if session.expires_at <= now {
            StorageError::Expired { what }
        } else {
            StorageError::AlreadyUsed { what }
        })
    }
}

impl VerifierStore for Backend {
    async fn insert_verifier_session(&self, session: &VerifierSession) -> Result<(), StorageError> {
        let key = session.encryption_key.as_ref();
        sqlx::query(
            "INSERT INTO verifier_sessions (id, state, nonce, dcql_query, request_object, \
             request_uri, response_mode, kek_id, key_algorithm, ciphertext, status, response, \
             result, webhook_url, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(&session.id)
        .bind(&session.state)
        .bind(&session.nonce)
        .bind(codec::encode_json(&session.dcql_query))
        .bind(session.request_object.as_deref())
        .bind(session.request_uri.as_deref())
        .bind(&session.response_mode)
        .bind(key.map(|k| k.kek_id.as_str()))
        .bind(key.map(|k| k.algorithm.as_str()))
        .bind(key.map(|k| k.ciphertext.as_slice()))
        .bind(session.status.as_str())
        .bind(session.response.as_deref())
        .bind(session.result.as_ref().map(codec::encode_json))
        .bind(session.webhook_url.as_deref())
        .bind(session.created_at.seconds())
        .bind(session.expires_at.seconds())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("verifier session", e))?;
        Ok(())
    }

    async fn verifier_session(&self, id: &str) -> Result<VerifierSession, StorageError> {
        let what = "verifier session";
        let sql = concat!(
            "SELECT ",
            session_columns!(),
            " FROM verifier_sessions WHERE id = $1"
        );
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?
            .ok_or(StorageError::NotFound { what })?;
        verifier_session(&row)
    }

    async fn fetch_request_object(
        &self,
        request_uri: &str,
        now: UnixTime,
    ) -> Result<VerifierSession, StorageError> {
        let sql = concat!(
            "UPDATE verifier_sessions SET status = 'request_fetched' \
             WHERE request_uri = $1 AND status = 'created' AND expires_at > $2 \
             RETURNING ",
            session_columns!()
        );
        let row = sqlx::query(sql)
            .bind(request_uri)
            .bind(now.seconds())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error("verifier session", e))?;
        match row {
            Some(row) => verifier_session(&row),
            None => Err(self
                .why_session_refused(
                    concat!(
                        "SELECT ",
                        session_columns!(),
                        " FROM verifier_sessions WHERE request_uri = $1"
                    ),
                    request_uri,
                    now,
                )
                .await?),
        }
    }

    async fn accept_response(
        &self,
        state: &str,
        response: &str,
        now: UnixTime,
    ) -> Result<VerifierSession, StorageError> {
        let sql = concat!(
            "UPDATE verifier_sessions SET status = 'response_received', response = $2 \
             WHERE state = $1 AND status IN ('created', 'request_fetched') AND expires_at > $3 \
             RETURNING ",
            session_columns!()
        );
        let row = sqlx::query(sql)
            .bind(state)
            .bind(response)
            .bind(now.seconds())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error("verifier session", e))?;
        match row {
            Some(row) => verifier_session(&row),
            None => Err(self
                .why_session_refused(
                    concat!(
                        "SELECT ",
                        session_columns!(),
                        " FROM verifier_sessions WHERE state = $1"
                    ),
                    state,
                    now,
                )
                .await?),
        }
    }

    async fn finish_verification(
        &self,
        id: &str,
        verified: bool,
        result: &serde_json::Value,
    ) -> Result<VerifierSession, StorageError> {
        let what = "verifier session";
        let status = if verified {
            SessionStatus::Verified
        } else {
            SessionStatus::Failed
        };
        let sql = concat!(
            "UPDATE verifier_sessions SET status = $2, result = $3 \
             WHERE id = $1 AND status = 'response_received' RETURNING ",
            session_columns!()
        );
        let row = sqlx::query(sql)
            .bind(id)
            .bind(status.as_str())
            .bind(codec::encode_json(result))
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?;
        match row {
            Some(row) => verifier_session(&row),
            None => {
                self.verifier_session(id).await?;
                Err(StorageError::WrongState {
                    what,
                    action: "finishing verification",
                })
            }
        }
    }

    async fn purge_expired_verifier_sessions(&self, now: UnixTime) -> Result<u64, StorageError> {
        Ok(
            sqlx::query("DELETE FROM verifier_sessions WHERE expires_at <= $1")
                .bind(now.seconds())
                .execute(&self.pool)
                .await
                .map_err(|e| db_error("verifier session", e))?
                .rows_affected(),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Wallet

macro_rules! stored_credential_columns {
    () => {
        "id, format, raw, issuer, display, holder_key_id, received_at"
    };
}

fn stored_credential(row: &DbRow) -> Result<StoredCredential, StorageError> {
    Ok(StoredCredential {
        id: col(row, "id")?,
        format: col(row, "format")?,
        raw: col(row, "raw")?,
        issuer: col(row, "issuer")?,
        display: json(row, "display")?,
        holder_key_id: col(row, "holder_key_id")?,
        received_at: time(row, "received_at")?,
    })
}

impl WalletStore for Backend {
    async fn insert_holder_key(&self, key: &HolderKey) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO holder_keys (id, algorithm, public_jwk, kek_id, key_algorithm, \
             ciphertext, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&key.id)
        .bind(&key.algorithm)
        .bind(&key.public_jwk)
        .bind(&key.private_key.kek_id)
        .bind(&key.private_key.algorithm)
        .bind(&key.private_key.ciphertext)
        .bind(key.created_at.seconds())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("holder key", e))?;
        Ok(())
    }

    async fn holder_key(&self, id: &str) -> Result<HolderKey, StorageError> {
        let what = "holder key";
        let row = sqlx::query(
            "SELECT id, algorithm, public_jwk, kek_id, key_algorithm, ciphertext, created_at \
             FROM holder_keys WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| db_error(what, e))?
        .ok_or(StorageError::NotFound { what })?;
        Ok(HolderKey {
            id: col(&row, "id")?,
            algorithm: col(&row, "algorithm")?,
            public_jwk: col(&row, "public_jwk")?,
            private_key: encrypted_key(&row)?,
            created_at: time(&row, "created_at")?,
        })
    }

    async fn insert_stored_credential(
        &self,
        credential: &StoredCredential,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO stored_credentials (id, format, raw, issuer, display, holder_key_id, \
             received_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&credential.id)
        .bind(&credential.format)
        .bind(&credential.raw)
        .bind(&credential.issuer)
        .bind(codec::encode_json(&credential.display))
        .bind(credential.holder_key_id.as_deref())
        .bind(credential.received_at.seconds())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("stored credential", e))?;
        Ok(())
    }

    async fn stored_credential(&self, id: &str) -> Result<StoredCredential, StorageError> {
        let what = "stored credential";
        let sql = concat!(
            "SELECT ",
            stored_credential_columns!(),
            " FROM stored_credentials WHERE id = $1"
        );
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?
            .ok_or(StorageError::NotFound { what })?;
        stored_credential(&row)
    }

    async fn stored_credentials(&self) -> Result<Vec<StoredCredential>, StorageError> {
        let sql = concat!(
            "SELECT ",
            stored_credential_columns!(),
            " FROM stored_credentials ORDER BY received_at, id"
        );
        sqlx::query(sql)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| db_error("stored credential", e))?
            .iter()
            .map(stored_credential)
            .collect()
    }

    async fn delete_stored_credential(&self, id: &str) -> Result<(), StorageError> {
        let what = "stored credential";
        let done = sqlx::query("DELETE FROM stored_credentials WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?
            .rows_affected();
        if done == 0 {
            return Err(StorageError::NotFound { what });
        }
        Ok(())
    }

    async fn insert_presentation(&self, record: &PresentationRecord) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO presentations (id, verifier, credential_ids, disclosed, presented_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&record.id)
        .bind(&record.verifier)
        .bind(codec::encode_strings(&record.credential_ids))
        .bind(codec::encode_json(&record.disclosed))
        .bind(record.presented_at.seconds())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("presentation", e))?;
        Ok(())
    }

    async fn presentations(&self) -> Result<Vec<PresentationRecord>, StorageError> {
        sqlx::query(
            "SELECT id, verifier, credential_ids, disclosed, presented_at FROM presentations \
             ORDER BY presented_at DESC, id DESC",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| db_error("presentation", e))?
        .iter()
        .map(|row| {
            Ok(PresentationRecord {
                id: col(row, "id")?,
                verifier: col(row, "verifier")?,
                credential_ids: codec::decode_strings(
                    "credential_ids",
                    &col::<String>(row, "credential_ids")?,
                )?,
                disclosed: json(row, "disclosed")?,
                presented_at: time(row, "presented_at")?,
            })
        })
        .collect()
    }

    async fn insert_pending_interaction(
        &self,
        pending: &PendingInteraction,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO wallet_pending (id, kind, holder, kek_id, algorithm, ciphertext, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&pending.id)
        .bind(&pending.kind)
        .bind(&pending.holder)
        .bind(&pending.sealed.kek_id)
        .bind(&pending.sealed.algorithm)
        .bind(&pending.sealed.ciphertext)
        .bind(pending.created_at.seconds())
        .bind(pending.expires_at.seconds())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("pending wallet interaction", e))?;
        Ok(())
    }

    async fn take_pending_interaction(
        &self,
        kind: &str,
        id: &str,
        holder: &str,
        now: UnixTime,
    ) -> Result<PendingInteraction, StorageError> {
        let what = "pending wallet interaction";
        // One DELETE … RETURNING: of two racing takers exactly one gets the row.
        let row = sqlx::query(
            "DELETE FROM wallet_pending WHERE id = $1 AND kind = $2 AND holder = $3 \
             RETURNING id, kind, holder, kek_id, algorithm, ciphertext, created_at, expires_at",
        )
        .bind(id)
        .bind(kind)
        .bind(holder)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| db_error(what, e))?
        .ok_or(StorageError::NotFound { what })?;
        let pending = PendingInteraction {
            id: col(&row, "id")?,
            kind: col(&row, "kind")?,
            holder: col(&row, "holder")?,
            sealed: EncryptedKey {
                kek_id: col(&row, "kek_id")?,
                algorithm: col(&row, "algorithm")?,
                ciphertext: col(&row, "ciphertext")?,
            },
            created_at: time(&row, "created_at")?,
            expires_at: time(&row, "expires_at")?,
        };
        if pending.expires_at <= now {
            return Err(StorageError::Expired { what });
        }
        Ok(pending)
    }

    async fn purge_expired_pending_interactions(&self, now: UnixTime) -> Result<u64, StorageError> {
        Ok(
            sqlx::query("DELETE FROM wallet_pending WHERE expires_at <= $1")
                .bind(now.seconds())
                .execute(&self.pool)
                .await
                .map_err(|e| db_error("pending wallet interaction", e))?
                .rows_affected(),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Registrar portal

macro_rules! import_columns {
    () => {
        "id, file_hash, username, rows_total, rows_done, created_at, finished_at"
    };
}

fn import_job(row: &DbRow) -> Result<ImportJob, StorageError> {
    Ok(ImportJob {
        id: col(row, "id")?,
        file_hash: col(row, "file_hash")?,
        username: col(row, "username")?,
        rows_total: codec::to_u32("rows_total", col(row, "rows_total")?)?,
        rows_done: codec::to_u32("rows_done", col(row, "rows_done")?)?,
        created_at: time(row, "created_at")?,
        finished_at: time_opt(row, "finished_at")?,
    })
}

impl PortalStore for Backend {
    async fn insert_registrar_user(&self, user: &RegistrarUser) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO registrar_users (username, password_hash, display_name, disabled, \
             created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&user.username)
        .bind(&user.password_hash)
        .bind(&user.display_name)
        .bind(user.disabled)
        .bind(user.created_at.seconds())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("registrar user", e))?;
        Ok(())
    }

    async fn registrar_user(&self, username: &str) -> Result<RegistrarUser, StorageError> {
        let what = "registrar user";
        let row = sqlx::query(
            "SELECT username, password_hash, display_name, disabled, created_at \
             FROM registrar_users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| db_error(what, e))?
        .ok_or(StorageError::NotFound { what })?;
        Ok(RegistrarUser {
            username: col(&row, "username")?,
            password_hash: col(&row, "password_hash")?,
            display_name: col(&row, "display_name")?,
            disabled: col(&row, "disabled")?,
            created_at: time(&row, "created_at")?,
        })
    }

    async fn set_registrar_password_hash(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<(), StorageError> {
        let what = "registrar user";
        let done = sqlx::query("UPDATE registrar_users SET password_hash = $2 WHERE username = $1")
            .bind(username)
            .bind(password_hash)
            .execute(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?
            .rows_affected();
        if done == 0 {
            return Err(StorageError::NotFound { what });
        }
        Ok(())
    }

    async fn set_registrar_disabled(
        &self,
        username: &str,
        disabled: bool,
    ) -> Result<(), StorageError> {
        let what = "registrar user";
        let done = sqlx::query("UPDATE registrar_users SET disabled = $2 WHERE username = $1")
            .bind(username)
            .bind(disabled)
            .execute(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?
            .rows_affected();
        if done == 0 {
            return Err(StorageError::NotFound { what });
        }
        Ok(())
    }

    async fn insert_portal_session(&self, session: &PortalSession) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO portal_sessions (id_hash, username, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&session.id_hash)
        .bind(&session.username)
        .bind(&session.csrf_token)
        .bind(session.created_at.seconds())
        .bind(session.expires_at.seconds())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("portal session", e))?;
        Ok(())
    }

    async fn portal_session(
        &self,
        id_hash: &[u8],
        now: UnixTime,
    ) -> Result<PortalSession, StorageError> {
        let what = "portal session";
        let row = sqlx::query(
            "SELECT id_hash, username, csrf_token, created_at, expires_at \
             FROM portal_sessions WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| db_error(what, e))?
        .ok_or(StorageError::NotFound { what })?;
        let session = PortalSession {
            id_hash: col(&row, "id_hash")?,
            username: col(&row, "username")?,
            csrf_token: col(&row, "csrf_token")?,
            created_at: time(&row, "created_at")?,
            expires_at: time(&row, "expires_at")?,
        };
        if session.expires_at <= now {
            return Err(StorageError::Expired { what });
        }
        Ok(session)
    }

    async fn delete_portal_session(&self, id_hash: &[u8]) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM portal_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await
            .map_err(|e| db_error("portal session", e))?;
        Ok(())
    }

    async fn purge_expired_portal_sessions(&self, now: UnixTime) -> Result<u64, StorageError> {
        Ok(
            sqlx::query("DELETE FROM portal_sessions WHERE expires_at <= $1")
                .bind(now.seconds())
                .execute(&self.pool)
                .await
                .map_err(|e| db_error("portal session", e))?
                .rows_affected(),
        )
    }

    async fn upsert_graduate(&self, graduate: &Graduate) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO graduates (id, record, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET record = excluded.record, \
             updated_at = excluded.updated_at",
        )
        .bind(&graduate.id)
        .bind(codec::encode_json(&graduate.record))
        .bind(graduate.updated_at.seconds())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("graduate", e))?;
        Ok(())
    }

    async fn graduate(&self, id: &str) -> Result<Graduate, StorageError> {
        let what = "graduate";
        let row = sqlx::query("SELECT id, record, updated_at FROM graduates WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?
            .ok_or(StorageError::NotFound { what })?;
        Ok(Graduate {
            id: col(&row, "id")?,
            record: json(&row, "record")?,
            updated_at: time(&row, "updated_at")?,
        })
    }

    async fn graduates(
        &self,
        after_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Graduate>, StorageError> {
        sqlx::query(
            "SELECT id, record, updated_at FROM graduates \
             WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2",
        )
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| db_error("graduate", e))?
        .iter()
        .map(|row| {
            Ok(Graduate {
                id: col(row, "id")?,
                record: json(row, "record")?,
                updated_at: time(row, "updated_at")?,
            })
        })
        .collect()
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<i64, StorageError> {
        let row = sqlx::query(
            "INSERT INTO audit_trail (at, actor, action, target, details) \
             VALUES ($1, $2, $3, $4, $5) RETURNING sequence",
        )
        .bind(entry.at.seconds())
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(codec::encode_json(&entry.details))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| db_error("audit entry", e))?;
        col(&row, "sequence")
    }

    async fn audit_entries(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>, StorageError> {
        sqlx::query(
            "SELECT sequence, at, actor, action, target, details FROM audit_trail \
             WHERE sequence > $1 ORDER BY sequence LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| db_error("audit entry", e))?
        .iter()
        .map(|row| {
            Ok(AuditEntry {
                sequence: col(row, "sequence")?,
                at: time(row, "at")?,
                actor: col(row, "actor")?,
                action: col(row, "action")?,
                target: col(row, "target")?,
                details: json(row, "details")?,
            })
        })
        .collect()
    }

    async fn insert_import_job(&self, job: &ImportJob) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO import_jobs (id, file_hash, username, rows_total, rows_done, \
             created_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&job.id)
        .bind(&job.file_hash)
        .bind(&job.username)
        .bind(i64::from(job.rows_total))
        .bind(i64::from(job.rows_done))
        .bind(job.created_at.seconds())
        .bind(job.finished_at.map(UnixTime::seconds))
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("import job", e))?;
        Ok(())
    }

    async fn import_job_by_file_hash(
        &self,
        file_hash: &[u8],
    ) -> Result<Option<ImportJob>, StorageError> {
        let sql = concat!(
            "SELECT ",
            import_columns!(),
            " FROM import_jobs WHERE file_hash = $1"
        );
        sqlx::query(sql)
            .bind(file_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error("import job", e))?
            .map(|row| import_job(&row))
            .transpose()
    }

    async fn advance_import_job(
        &self,
        id: &str,
        expected_done: u32,
        rows_done: u32,
        now: UnixTime,
    ) -> Result<ImportJob, StorageError> {
        let what = "import job";
        if rows_done < expected_done {
            return Err(StorageError::invalid(
                "import rows_done",
                "an import never moves backwards",
            ));
        }
        let sql = concat!(
            "UPDATE import_jobs SET rows_done = $3, \
             finished_at = CASE WHEN $3 = rows_total THEN $4 ELSE finished_at END \
             WHERE id = $1 AND rows_done = $2 RETURNING ",
            import_columns!()
        );
        let row = sqlx::query(sql)
            .bind(id)
            .bind(i64::from(expected_done))
            .bind(i64::from(rows_done))
            .bind(now.seconds())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?;
        if let Some(row) = row {
            return import_job(&row);
        }
        let row = sqlx::query("SELECT rows_done FROM import_jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| db_error(what, e))?
            .ok_or(StorageError::NotFound { what })?;
        Err(StorageError::StaleVersion {
            what,
            expected: i64::from(expected_done),
            found: col(&row, "rows_done")?,
        })
    }
}

impl HolderAccountStore for Backend {
    async fn insert_holder_account(&self, account: &HolderAccount) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO holder_accounts (username, holder_id, password_hash, display_name, \
             disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&account.username)
        .bind(&account.holder_id)
        .bind(&account.password_hash)
        .bind(&account.display_name)
        .bind(account.disabled)
        .bind(account.created_at.seconds())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("holder account", e))?;
        Ok(())
    }

    async fn holder_account(&self, username: &str) -> Result<HolderAccount, StorageError> {
        let what = "holder account";
        let row = sqlx::query(
            "SELECT username, holder_id, password_hash, display_name, disabled, created_at \
             FROM holder_accounts WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| db_error(what, e))?
        .ok_or(StorageError::NotFound { what })?;
        Ok(HolderAccount {
            username: col(&row, "username")?,
            holder_id: col(&row, "holder_id")?,
            password_hash: col(&row, "password_hash")?,
            display_name: col(&row, "display_name")?,
            disabled: col(&row, "disabled")?,
            created_at: time(&row, "created_at")?,
        })
    }

    async fn insert_holder_session(&self, session: &PortalSession) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO holder_sessions (id_hash, username, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&session.id_hash)
        .bind(&session.username)
        .bind(&session.csrf_token)
        .bind(session.created_at.seconds())
        .bind(session.expires_at.seconds())
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("holder session", e))?;
        Ok(())
    }

    async fn holder_session(
        &self,
        id_hash: &[u8],
        now: UnixTime,
    ) -> Result<PortalSession, StorageError> {
        let what = "holder session";
        let row = sqlx::query(
            "SELECT id_hash, username, csrf_token, created_at, expires_at \
             FROM holder_sessions WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| db_error(what, e))?
        .ok_or(StorageError::NotFound { what })?;
        let session = PortalSession {
            id_hash: col(&row, "id_hash")?,
            username: col(&row, "username")?,
            csrf_token: col(&row, "csrf_token")?,
            created_at: time(&row, "created_at")?,
            expires_at: time(&row, "expires_at")?,
        };
        if session.expires_at <= now {
            return Err(StorageError::Expired { what });
        }
        Ok(session)
    }

    async fn delete_holder_session(&self, id_hash: &[u8]) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM holder_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await
            .map_err(|e| db_error("holder session", e))?;
        Ok(())
    }

    async fn purge_expired_holder_sessions(&self, now: UnixTime) -> Result<u64, StorageError> {
        Ok(
            sqlx::query("DELETE FROM holder_sessions WHERE expires_at <= $1")
                .bind(now.seconds())
                .execute(&self.pool)
                .await
                .map_err(|e| db_error("holder session", e))?
                .rows_affected(),
        )
    }
}

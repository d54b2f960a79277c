//! [`StorageError`]: what went wrong, in terms a caller can act on.

/// Every failure a store reports.
///
/// Callers map these to protocol answers in one place (`http/`): `NotFound` / `Expired` /
/// `AlreadyUsed` become `invalid_grant`-style errors, `Unavailable` becomes 503 so a load balancer
/// retries on another node, `Full` and `Corrupt` page an operator.
///
/// No variant carries a secret: messages from drivers pass through [`redact_database_url`] before
/// they are stored here, and values (codes, tokens, keys) are never echoed back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// No record with that key.
    #[error("{what} not found")]
    NotFound {
        /// The kind of record, e.g. `"credential offer"`.
        what: &'static str,
    },
    /// A record with that unique key already exists (id, idempotency key, username, …).
    #[error("{what} already exists")]
    Conflict {
        /// The kind of record.
        what: &'static str,
    },
    /// A single-use value (pre-authorized code, authorization code, nonce, `jti`, OpenID4VP
    /// response) was already consumed: a replay, or the loser of a race between two nodes.
    #[error("{what} was already used")]
    AlreadyUsed {
        /// The kind of value.
        what: &'static str,
    },
    /// The record exists but its expiry is at or before the `now` the caller passed.
    #[error("{what} has expired")]
    Expired {
        /// The kind of record.
        what: &'static str,
    },
    /// Optimistic concurrency: the record changed since the caller read it (another node wrote
    /// first). Re-read, re-apply, retry.
    #[error("{what} changed concurrently (expected version {expected}, found {found})")]
    StaleVersion {
        /// The kind of record.
        what: &'static str,
        /// The version the caller read.
        expected: i64,
        /// The version in the store now.
        found: i64,
    },
    /// The transaction code (`tx_code`) of a pre-authorized offer did not match; the offer
    /// stays usable while attempts are left.
    #[error("wrong transaction code ({attempts_left} attempts left)")]
    WrongTxCode {
        /// Attempts left after this one.
        attempts_left: u32,
    },
    /// The transaction code was wrong too often; the offer is dead.
    #[error("transaction code attempts exhausted")]
    AttemptsExhausted,
    /// The record is not in a state that allows this transition (e.g. a verifier session that
    /// has no response yet cannot be marked verified).
    #[error("{what} is not in a state that allows {action}")]
    WrongState {
        /// The kind of record.
        what: &'static str,
        /// The attempted transition.
        action: &'static str,
    },
    /// The caller passed a value the store cannot keep (negative size, bitmap of the wrong
    /// length, …). A bug in the caller, not in the data.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// The argument.
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// The database cannot be reached right now (connection refused or lost, pool timed out,
    /// database busy past the timeout, server shutting down). Retryable: answer 503; the pool
    /// reconnects once the database is back.
    #[error("storage unavailable: {reason}")]
    Unavailable {
        /// Driver message, redacted.
        reason: String,
    },
    /// The disk (or the PostgreSQL tablespace) is full; nothing was written.
    #[error("storage full: nothing was written")]
    Full,
    /// A stored value could not be decoded (unknown enum text, invalid JSON, out-of-range
    /// integer). Never a panic: the record is reported and skipped by the caller.
    #[error("corrupt {what} in storage: {reason}")]
    Corrupt {
        /// The field or record.
        what: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// Any other database failure (syntax error, migration failure, …), redacted.
    #[error("storage backend error: {reason}")]
    Backend {
        /// Driver message, redacted.
        reason: String,
    },
}

impl StorageError {
    /// Whether retrying later (or on another node) may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::StaleVersion { .. })
    }

    /// A [`StorageError::Corrupt`] for `what`.
    pub fn corrupt(what: &'static str, reason: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            what,
            reason: reason.to_string(),
        }
    }

    /// A [`StorageError::Invalid`] for `what`.
    pub fn invalid(what: &'static str, reason: impl std::fmt::Display) -> Self {
        Self::Invalid {
            what,
            reason: reason.to_string(),
        }
    }
}

/// Replaces the password in every `scheme://user:password@host` found in `text` with `***`.
///
/// Drivers sometimes echo the connection string in errors; this runs over every driver message
/// before it is kept in a [`StorageError`], and over the URL in `Debug` output of stores.
pub fn redact_database_url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let (head, tail) = rest.split_at(scheme_end + 3);
        out.push_str(head);
        // The authority ends at the first '/', '?', '#' or whitespace.
        let authority_end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(tail.len());
        let (authority, after) = tail.split_at(authority_end);
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..colon]);
                        out.push_str(":***");
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = after;
    }
    out.push_str(rest);
    // Also hide `password=...` key-value forms (libpq style connection strings).
    redact_key_value_password(&out)
}

fn redact_key_value_password(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.to_ascii_lowercase().find("password=") {
        let (head, tail) = rest.split_at(pos + "password=".len());
        out.push_str(head);
        out.push_str("***");
        let end = tail
            .find(|c: char| c == '&' || c.is_whitespace())
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_url_password() {
        assert_eq!(
            redact_database_url("error connecting to postgres://kake:s3cr3t@db:5432/k?sslmode=x"),
            "error connecting to postgres://kake:***@db:5432/k?sslmode=x"
        );
        assert_eq!(
            redact_database_url("postgres://kake@db/k"),
            "postgres://kake@db/k"
        );
        assert_eq!(
            redact_database_url("host=db password=hunter2 user=k"),
            "host=db password=*** user=k"
        );
        assert_eq!(
            redact_database_url("postgresql://u:p%40ss@h/db?password=x&a=b"),
            "postgresql://u:***@h/db?password=***&a=b"
        );
    }

    #[test]
    fn display_has_no_secrets() {
        let e = StorageError::Unavailable {
            reason: redact_database_url("postgres://u:topsecret@h/db refused"),
        };
        assert!(!e.to_string().contains("topsecret"));
        assert!(!format!("{e:?}").contains("topsecret"));
    }
}

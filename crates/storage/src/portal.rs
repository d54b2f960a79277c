//! Registrar portal: users, sessions, graduates, audit trail, CSV import jobs.

use std::future::Future;

use kakehashi_core::UnixTime;

use crate::StorageError;

/// A registrar who signs in to the portal.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistrarUser {
    /// Login name. Primary key.
    pub username: String,
    /// PHC-format argon2 hash, computed by the caller.
    pub password_hash: String,
    /// Name shown in the portal and the audit trail.
    pub display_name: String,
    /// Disabled users cannot sign in; they are never deleted (the audit trail names them).
    pub disabled: bool,
    /// When the account was created.
    pub created_at: UnixTime,
}

impl std::fmt::Debug for RegistrarUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrarUser")
            .field("username", &self.username)
            .field("password_hash", &"<redacted>")
            .field("display_name", &self.display_name)
            .field("disabled", &self.disabled)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A signed-in portal session. The cookie value is kept only as a hash.
#[derive(Clone, PartialEq, Eq)]
pub struct PortalSession {
    /// Hash of the session cookie value. Primary key.
    pub id_hash: Vec<u8>,
    /// The user.
    pub username: String,
    /// The CSRF token bound to the session.
    pub csrf_token: String,
    /// When it was created.
    pub created_at: UnixTime,
    /// Valid while `now < expires_at`.
    pub expires_at: UnixTime,
}

impl std::fmt::Debug for PortalSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalSession")
            .field("username", &self.username)
            .field("csrf_token", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A graduate as the registrar keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Graduate {
    /// The registrar's id for the graduate. Primary key.
    pub id: String,
    /// The record (JSON: names, degree, dates, …), shaped by the academic crate.
    pub record: serde_json::Value,
    /// When it was last written.
    pub updated_at: UnixTime,
}

/// One audit trail entry. Append-only: the store has no update or delete for these.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Position in the trail, assigned by the store (increasing).
    pub sequence: i64,
    /// When it happened.
    pub at: UnixTime,
    /// Who did it (username, or a system role).
    pub actor: String,
    /// What was done, e.g. `"credential.revoke"`.
    pub action: String,
    /// What it was done to, e.g. a credential id.
    pub target: String,
    /// Details (JSON).
    pub details: serde_json::Value,
}

/// A CSV import of graduates, resumable: rows are processed in order and `rows_done` advances
/// only with a compare-and-set, so a restarted or concurrent import continues where the last one
/// stopped and (with per-row idempotency keys) issues nothing twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJob {
    /// Job id. Primary key.
    pub id: String,
    /// SHA-256 of the uploaded file. Unique: the same file maps to the same job.
    pub file_hash: Vec<u8>,
    /// Who uploaded it.
    pub username: String,
    /// Number of data rows in the file.
    pub rows_total: u32,
    /// Rows fully processed.
    pub rows_done: u32,
    /// When it was started.
    pub created_at: UnixTime,
    /// When the last row was done.
    pub finished_at: Option<UnixTime>,
}

/// Registrar portal state.
pub trait PortalStore: Send + Sync {
    /// Creates a user. `Conflict` if the username exists.
    fn insert_registrar_user(
        &self,
        user: &RegistrarUser,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// One user.
    fn registrar_user(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<RegistrarUser, StorageError>> + Send;

    /// Replaces a user's password hash (rehash on login or password change).
    fn set_registrar_password_hash(
        &self,
        username: &str,
        password_hash: &str,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Enables or disables a user.
    fn set_registrar_disabled(
        &self,
        username: &str,
        disabled: bool,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Stores a new session.
    fn insert_portal_session(
        &self,
        session: &PortalSession,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// A live session: `NotFound`, or `Expired` at or after its expiry.
    fn portal_session(
        &self,
        id_hash: &[u8],
        now: UnixTime,
    ) -> impl Future<Output = Result<PortalSession, StorageError>> + Send;

    /// Signs out: deletes the session (idempotent).
    fn delete_portal_session(
        &self,
        id_hash: &[u8],
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Deletes sessions that expired at or before `now`; returns how many.
    fn purge_expired_portal_sessions(
        &self,
        now: UnixTime,
    ) -> impl Future<Output = Result<u64, StorageError>> + Send;

    /// Inserts or replaces a graduate record.
    fn upsert_graduate(
        &self,
        graduate: &Graduate,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// One graduate.
    fn graduate(&self, id: &str) -> impl Future<Output = Result<Graduate, StorageError>> + Send;

    /// Graduates sorted by id, at most `limit` after `after_id` (keyset pagination).
    fn graduates(
        &self,
        after_id: Option<&str>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Graduate>, StorageError>> + Send;

    /// Appends an audit entry (its `sequence` is ignored); returns the assigned sequence.
    fn append_audit(
        &self,
        entry: &AuditEntry,
    ) -> impl Future<Output = Result<i64, StorageError>> + Send;

    /// Audit entries with a sequence greater than `after`, oldest first, at most `limit`.
    fn audit_entries(
        &self,
        after: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AuditEntry>, StorageError>> + Send;

    /// Starts an import job (with `rows_done` as given, normally 0). `Conflict` if the id or
    /// the file hash exists: look the job up with [`PortalStore::import_job_by_file_hash`] and
    /// resume it.
    fn insert_import_job(
        &self,
        job: &ImportJob,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// The job for a file, if it was imported before.
    fn import_job_by_file_hash(
        &self,
        file_hash: &[u8],
    ) -> impl Future<Output = Result<Option<ImportJob>, StorageError>> + Send;

    /// Advances `rows_done` from `expected_done` to `rows_done` (compare-and-set); sets
    /// `finished_at` when all rows are done. `StaleVersion` if another importer moved it.
    fn advance_import_job(
        &self,
        id: &str,
        expected_done: u32,
        rows_done: u32,
        now: UnixTime,
    ) -> impl Future<Output = Result<ImportJob, StorageError>> + Send;
}

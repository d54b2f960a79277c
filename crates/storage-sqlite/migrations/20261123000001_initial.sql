-- Kakehashi storage, initial schema (SQLite). Add migrations; never edit this file.
-- Times are Unix seconds (INTEGER). Hashes and ciphertext are BLOBs. JSON is TEXT.

CREATE TABLE signing_keys (
    id TEXT PRIMARY KEY NOT NULL,
    owner TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    kek_id TEXT NOT NULL,
    key_algorithm TEXT NOT NULL,
    ciphertext BLOB NOT NULL,
    certificate_chain BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    is_current INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1)),
    retired_at INTEGER,
    CHECK (NOT (is_current = 1 AND retired_at IS NOT NULL))
) STRICT;
-- At most one current key per owner.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (owner) WHERE is_current = 1;

CREATE TABLE credential_offers (
    id TEXT PRIMARY KEY NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    configuration_ids TEXT NOT NULL,
    pre_authorized_code_hash BLOB UNIQUE,
    tx_code_hash BLOB,
    tx_code_attempts_left INTEGER NOT NULL CHECK (tx_code_attempts_left >= 0),
    issuer_state TEXT,
    reference_id TEXT UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
) STRICT;

CREATE TABLE pushed_authorization_requests (
    request_uri TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    parameters TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
) STRICT;

CREATE TABLE authorization_codes (
    code_hash BLOB PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    redirect_uri TEXT,
    pkce_challenge TEXT NOT NULL,
    pkce_method TEXT NOT NULL,
    subject TEXT NOT NULL,
    authorization_details TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
) STRICT;

CREATE TABLE access_tokens (
    token_hash BLOB PRIMARY KEY NOT NULL,
    subject TEXT NOT NULL,
    offer_id TEXT,
    dpop_jkt TEXT,
    authorization_details TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE TABLE c_nonces (
    nonce TEXT PRIMARY KEY NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
) STRICT;

CREATE TABLE replay_cache (
    scope TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (scope, jti)
) STRICT;
CREATE INDEX replay_cache_expiry ON replay_cache (expires_at);

CREATE TABLE deferred_transactions (
    transaction_id TEXT PRIMARY KEY NOT NULL,
    subject TEXT NOT NULL,
    configuration_id TEXT NOT NULL,
    state TEXT NOT NULL,
    credentials TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE TABLE issued_credentials (
    id TEXT PRIMARY KEY NOT NULL,
    format TEXT NOT NULL,
    credential_type TEXT NOT NULL,
    subject TEXT NOT NULL,
    holder_key_thumbprint TEXT,
    status_list_id TEXT,
    status_index INTEGER,
    issued_at INTEGER NOT NULL,
    credential TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    CHECK ((status_list_id IS NULL) = (status_index IS NULL))
) STRICT;
CREATE INDEX issued_credentials_subject ON issued_credentials (subject, issued_at);
-- One credential per status list entry.
CREATE UNIQUE INDEX issued_credentials_status ON issued_credentials (status_list_id, status_index)
    WHERE status_list_id IS NOT NULL;

CREATE TABLE notifications (
    notification_id TEXT PRIMARY KEY NOT NULL,
    credential_id TEXT NOT NULL REFERENCES issued_credentials (id),
    event TEXT,
    description TEXT,
    reported_at INTEGER
) STRICT;

CREATE TABLE status_lists (
    list_id TEXT PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL,
    bits INTEGER NOT NULL CHECK (bits IN (1, 2, 4, 8)),
    size INTEGER NOT NULL CHECK (size >= 0),
    allocation BLOB NOT NULL,
    statuses BLOB NOT NULL,
    version INTEGER NOT NULL,
    published_token TEXT,
    published_iat INTEGER,
    published_version INTEGER,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE verifier_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    state TEXT NOT NULL UNIQUE,
    nonce TEXT NOT NULL,
    dcql_query TEXT NOT NULL,
    request_object TEXT,
    request_uri TEXT UNIQUE,
    response_mode TEXT NOT NULL,
    kek_id TEXT,
    key_algorithm TEXT,
    ciphertext BLOB,
    status TEXT NOT NULL,
    response TEXT,
    result TEXT,
    webhook_url TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX verifier_sessions_expiry ON verifier_sessions (expires_at);

CREATE TABLE holder_keys (
    id TEXT PRIMARY KEY NOT NULL,
    algorithm TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    kek_id TEXT NOT NULL,
    key_algorithm TEXT NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE stored_credentials (
    id TEXT PRIMARY KEY NOT NULL,
    format TEXT NOT NULL,
    raw TEXT NOT NULL,
    issuer TEXT NOT NULL,
    display TEXT NOT NULL,
    holder_key_id TEXT REFERENCES holder_keys (id),
    received_at INTEGER NOT NULL
) STRICT;

CREATE TABLE presentations (
    id TEXT PRIMARY KEY NOT NULL,
    verifier TEXT NOT NULL,
    credential_ids TEXT NOT NULL,
    disclosed TEXT NOT NULL,
    presented_at INTEGER NOT NULL
) STRICT;

CREATE TABLE registrar_users (
    username TEXT PRIMARY KEY NOT NULL,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE portal_sessions (
    id_hash BLOB PRIMARY KEY NOT NULL,
    username TEXT NOT NULL REFERENCES registrar_users (username),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE TABLE graduates (
    id TEXT PRIMARY KEY NOT NULL,
    record TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE audit_trail (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL
) STRICT;
-- Append-only: refuse updates and deletes at the database level too.
CREATE TRIGGER audit_trail_no_update BEFORE UPDATE ON audit_trail
BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
CREATE TRIGGER audit_trail_no_delete BEFORE DELETE ON audit_trail
BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;

CREATE TABLE import_jobs (
    id TEXT PRIMARY KEY NOT NULL,
    file_hash BLOB NOT NULL UNIQUE,
    username TEXT NOT NULL,
    rows_total INTEGER NOT NULL CHECK (rows_total >= 0),
    rows_done INTEGER NOT NULL CHECK (rows_done >= 0 AND rows_done <= rows_total),
    created_at INTEGER NOT NULL,
    finished_at INTEGER
) STRICT;

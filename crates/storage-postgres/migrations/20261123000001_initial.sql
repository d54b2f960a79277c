-- Kakehashi storage, initial schema (PostgreSQL). Add migrations; never edit this file.
-- Times are Unix seconds (BIGINT). Hashes and ciphertext are BYTEAs. JSON is TEXT.

CREATE TABLE signing_keys (
    id TEXT PRIMARY KEY NOT NULL,
    owner TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    kek_id TEXT NOT NULL,
    key_algorithm TEXT NOT NULL,
    ciphertext BYTEA NOT NULL,
    certificate_chain BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    is_current BOOLEAN NOT NULL DEFAULT FALSE,
    retired_at BIGINT,
    CHECK (NOT (is_current AND retired_at IS NOT NULL))
);
-- At most one current key per owner.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (owner) WHERE is_current;

CREATE TABLE credential_offers (
    id TEXT PRIMARY KEY NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    configuration_ids TEXT NOT NULL,
    pre_authorized_code_hash BYTEA UNIQUE,
    tx_code_hash BYTEA,
    tx_code_attempts_left BIGINT NOT NULL CHECK (tx_code_attempts_left >= 0),
    issuer_state TEXT,
    reference_id TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE pushed_authorization_requests (
    request_uri TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    parameters TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE authorization_codes (
    code_hash BYTEA PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    redirect_uri TEXT,
    pkce_challenge TEXT NOT NULL,
    pkce_method TEXT NOT NULL,
    subject TEXT NOT NULL,
    authorization_details TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE access_tokens (
    token_hash BYTEA PRIMARY KEY NOT NULL,
    subject TEXT NOT NULL,
    offer_id TEXT,
    dpop_jkt TEXT,
    authorization_details TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE c_nonces (
    nonce TEXT PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE replay_cache (
    scope TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (scope, jti)
);
CREATE INDEX replay_cache_expiry ON replay_cache (expires_at);

CREATE TABLE deferred_transactions (
    transaction_id TEXT PRIMARY KEY NOT NULL,
    subject TEXT NOT NULL,
    configuration_id TEXT NOT NULL,
    state TEXT NOT NULL,
    credentials TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE issued_credentials (
    id TEXT PRIMARY KEY NOT NULL,
    format TEXT NOT NULL,
    credential_type TEXT NOT NULL,
    subject TEXT NOT NULL,
    holder_key_thumbprint TEXT,
    status_list_id TEXT,
    status_index BIGINT,
    issued_at BIGINT NOT NULL,
    credential TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    CHECK ((status_list_id IS NULL) = (status_index IS NULL))
);
CREATE INDEX issued_credentials_subject ON issued_credentials (subject, issued_at);
-- One credential per status list entry.
CREATE UNIQUE INDEX issued_credentials_status ON issued_credentials (status_list_id, status_index)
    WHERE status_list_id IS NOT NULL;

CREATE TABLE notifications (
    notification_id TEXT PRIMARY KEY NOT NULL,
    credential_id TEXT NOT NULL REFERENCES issued_credentials (id),
    event TEXT,
    description TEXT,
    reported_at BIGINT
);

CREATE TABLE status_lists (
    list_id TEXT PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL,
    bits BIGINT NOT NULL CHECK (bits IN (1, 2, 4, 8)),
    size BIGINT NOT NULL CHECK (size >= 0),
    allocation BYTEA NOT NULL,
    statuses BYTEA NOT NULL,
    version BIGINT NOT NULL,
    published_token TEXT,
    published_iat BIGINT,
    published_version BIGINT,
    updated_at BIGINT NOT NULL
);

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
    ciphertext BYTEA,
    status TEXT NOT NULL,
    response TEXT,
    result TEXT,
    webhook_url TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX verifier_sessions_expiry ON verifier_sessions (expires_at);

CREATE TABLE holder_keys (
    id TEXT PRIMARY KEY NOT NULL,
    algorithm TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    kek_id TEXT NOT NULL,
    key_algorithm TEXT NOT NULL,
    ciphertext BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE stored_credentials (
    id TEXT PRIMARY KEY NOT NULL,
    format TEXT NOT NULL,
    raw TEXT NOT NULL,
    issuer TEXT NOT NULL,
    display TEXT NOT NULL,
    holder_key_id TEXT REFERENCES holder_keys (id),
    received_at BIGINT NOT NULL
);

CREATE TABLE presentations (
    id TEXT PRIMARY KEY NOT NULL,
    verifier TEXT NOT NULL,
    credential_ids TEXT NOT NULL,
    disclosed TEXT NOT NULL,
    presented_at BIGINT NOT NULL
);

CREATE TABLE registrar_users (
    username TEXT PRIMARY KEY NOT NULL,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

CREATE TABLE portal_sessions (
    id_hash BYTEA PRIMARY KEY NOT NULL,
    username TEXT NOT NULL REFERENCES registrar_users (username),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE graduates (
    id TEXT PRIMARY KEY NOT NULL,
    record TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE audit_trail (
    sequence BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL
);
-- Append-only: refuse updates and deletes at the database level too.
CREATE FUNCTION audit_trail_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit trail is append-only';
END;
$$;
CREATE TRIGGER audit_trail_no_change BEFORE UPDATE OR DELETE ON audit_trail
FOR EACH ROW EXECUTE FUNCTION audit_trail_append_only();

CREATE TABLE import_jobs (
    id TEXT PRIMARY KEY NOT NULL,
    file_hash BYTEA NOT NULL UNIQUE,
    username TEXT NOT NULL,
    rows_total BIGINT NOT NULL CHECK (rows_total >= 0),
    rows_done BIGINT NOT NULL CHECK (rows_done >= 0 AND rows_done <= rows_total),
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);

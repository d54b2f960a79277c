-- Web-wallet student accounts and their sessions (additive; apart from the registrar tables so
-- a session of one portal is never read as one of the other).
CREATE TABLE holder_accounts (
    username TEXT PRIMARY KEY NOT NULL,
    holder_id TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE holder_sessions (
    id_hash BLOB PRIMARY KEY NOT NULL,
    username TEXT NOT NULL REFERENCES holder_accounts (username),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX holder_sessions_expiry ON holder_sessions (expires_at);

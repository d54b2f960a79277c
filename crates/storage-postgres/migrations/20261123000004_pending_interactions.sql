-- Wallet interactions waiting for the holder (consents, authorization-code flows), shared by
-- every node over the store (additive). The body is sealed by the wallet (KEK).
CREATE TABLE wallet_pending (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    holder TEXT NOT NULL,
    kek_id TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    ciphertext BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX wallet_pending_expiry ON wallet_pending (expires_at);

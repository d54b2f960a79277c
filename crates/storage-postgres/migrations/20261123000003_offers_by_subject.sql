-- The registrar portal lists a graduate's credential offers (additive).
CREATE INDEX credential_offers_subject ON credential_offers (subject, created_at);

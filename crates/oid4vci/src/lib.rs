//! OpenID4VCI 1.0 messages, metadata, key proofs and issuer/wallet state machines (pure)

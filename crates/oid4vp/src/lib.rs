//! OpenID4VP 1.0 messages, DCQL, request objects and verifier/wallet state machines (pure)

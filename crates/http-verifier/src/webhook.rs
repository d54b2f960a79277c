//! Result webhook: POSTs the result JSON to the configured URL with a bounded number of
//! attempts (exponential backoff) and an HMAC-SHA256 signature over the exact body:
//! `X-Kakehashi-Signature: sha256=<hex>`.

use std::time::Duration;

use aws_lc_rs::hmac;
use serde_json::Value;

use crate::state::VerifierState;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-kakehashi-signature";

/// `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Delivers `result` in the background; failures are logged, never retried beyond the bound.
pub(crate) fn spawn_delivery<S>(state: &VerifierState<S>, url: String, result: Value) {
    let client = state.http.clone();
    let attempts = state.config.webhook_attempts.clamp(1, 10);
    let backoff = state.config.webhook_backoff_ms;
    let secret = state.config.webhook_secret.clone();
    tokio::spawn(async move {
        let body = result.to_string().into_bytes();
        let mut delay = Duration::from_millis(backoff);
        for attempt in 1..=attempts {
            let mut request = client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
            if let Some(secret) = &secret {
                request = request.header(SIGNATURE_HEADER, signature(secret, &body));
            }
            match request.send().await {
                Ok(r) if r.status().is_success() => return,
                Ok(r) => tracing::warn!(%url, attempt, status = %r.status(), "webhook refused"),
                Err(e) => tracing::warn!(%url, attempt, error = %e, "webhook failed"),
            }
            if attempt < attempts {
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
            }
        }
        tracing::error!(%url, attempts, "webhook given up");
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        // RFC 4231 test case 2 (key "Jefe").
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

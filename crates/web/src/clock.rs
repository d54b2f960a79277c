//! The time source of the pages: the system clock in a node, a fixed or moving time in tests
//! (session expiry, list freshness).

use std::sync::Arc;

use kakehashi_core::UnixTime;

/// A source of "now".
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> UnixTime + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(|| {
            #[allow(clippy::disallowed_methods)] // an edge crate: sessions expire in real time
            let now = std::time::SystemTime::now();
            let seconds = now
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            UnixTime(seconds)
        }))
    }

    /// A clock driven by `f` (tests).
    pub fn from_fn(f: impl Fn() -> UnixTime + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Now.
    pub fn now(&self) -> UnixTime {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

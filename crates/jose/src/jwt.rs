use kakehashi_core::UnixTime;
use serde_json::{Map, Value};

use crate::JoseError;

/// How JWT time claims are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeChecks {
    /// The time to check against.
    pub now: UnixTime,
    /// Tolerated clock difference between issuer and verifier, in seconds.
    pub skew_seconds: i64,
    /// Require `exp` to be present.
    pub require_exp: bool,
    /// Require `iat` to be present.
    pub require_iat: bool,
}

impl TimeChecks {
    /// Checks at `now` with the default skew of 60 seconds and no required claims.
    pub fn at(now: UnixTime) -> Self {
        Self {
            now,
            skew_seconds: 60,
            require_exp: false,
            require_iat: false,
        }
    }
}

/// Reads a NumericDate claim (RFC 7519 section 2): a JSON number of seconds. Fractions are
/// truncated; non-numbers are a typed error.
pub fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<UnixTime>, JoseError> {
    numeric_date_value(claims.get(name), name)
}

/// [`numeric_date`] on a member already looked up, for claims parsed into typed structs.
pub fn numeric_date_value(
    value: Option<&Value>,
    name: &'static str,
) -> Result<Option<UnixTime>, JoseError> {
    match value {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(UnixTime(i)))
            } else if let Some(f) = n.as_f64().filter(|f| f.is_finite() && f.abs() < 1e15) {
                // Truncation is the intended rounding for fractional NumericDates; the bound
                // above keeps the conversion exact.
                #[allow(clippy::as_conversions)]
                Ok(Some(UnixTime(f.trunc() as i64)))
            } else {
                Err(JoseError::ClaimType(name))
            }
        }
        Some(_) => Err(JoseError::ClaimType(name)),
    }
}

/// The time claims of a JWT, borrowed from wherever they were parsed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct JwtTimes<'a> {
    /// `exp`.
    pub exp: Option<&'a Value>,
    /// `nbf`.
    pub nbf: Option<&'a Value>,
    /// `iat`.
    pub iat: Option<&'a Value>,
}

/// Checks `exp`, `nbf` and `iat` of a claims set.
pub fn check_jwt_times(claims: &Map<String, Value>, checks: TimeChecks) -> Result<(), JoseError> {
    check_time_values(
        JwtTimes {
            exp: claims.get("exp"),
            nbf: claims.get("nbf"),
            iat: claims.get("iat"),
        },
        checks,
    )
}

/// [`check_jwt_times`] on time claims already looked up (typed claim structs).
pub fn check_time_values(times: JwtTimes<'_>, checks: TimeChecks) -> Result<(), JoseError> {
    let now = checks.now;
    let skew = checks.skew_seconds;
    match numeric_date_value(times.exp, "exp")? {
        Some(exp) if now.saturating_sub(skew) >= exp => {
            return Err(JoseError::Expired { exp, now });
        }
        None if checks.require_exp => return Err(JoseError::MissingClaim("exp")),
        _ => {}
    }
    if let Some(nbf) = numeric_date_value(times.nbf, "nbf")?
        && now.saturating_add(skew) < nbf
    {
        return Err(JoseError::NotYetValid { nbf, now });
    }
    match numeric_date_value(times.iat, "iat")? {
        Some(iat) if now.saturating_add(skew) < iat => Err(JoseError::IssuedInFuture { iat, now }),
        None if checks.require_iat => Err(JoseError::MissingClaim("iat")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn times() {
        let c = TimeChecks::at(UnixTime(1000));
        assert!(check_jwt_times(&claims(json!({"exp":2000,"nbf":900,"iat":900})), c).is_ok());
        assert!(matches!(
            check_jwt_times(&claims(json!({"exp":900})), c),
            Err(JoseError::Expired { .. })
        ));
        assert!(check_jwt_times(&claims(json!({"exp":1001})), c).is_ok());
        assert!(matches!(
            check_jwt_times(&claims(json!({"nbf":1100})), c),
            Err(JoseError::NotYetValid { .. })
        ));
        assert!(
            check_jwt_times(&claims(json!({"nbf":1050})), c).is_ok(),
            "within skew"
        );
        assert!(matches!(
            check_jwt_times(&claims(json!({"iat":2000})), c),
            Err(JoseError::IssuedInFuture { .. })
        ));
        assert!(matches!(
            check_jwt_times(&claims(json!({"exp":"2000"})), c),
            Err(JoseError::ClaimType("exp"))
        ));
        let strict = TimeChecks {
            require_exp: true,
            ..c
        };
        assert!(matches!(
            check_jwt_times(&claims(json!({})), strict),
            Err(JoseError::MissingClaim("exp"))
        ));
        assert!(check_jwt_times(&claims(json!({"exp":1500.7})), c).is_ok());
    }
}

//! JSON Web Signatures (RFC 7515) and JWT claim checks (RFC 7519), the envelope of every
//! credential, key proof, request object and status list Kakehashi handles.
//!
//! Parsing gives an [`UnverifiedJws`]; only [`UnverifiedJws::verify`] yields a [`VerifiedJws`],
//! so code holding a payload it can trust has proof that the signature was checked. The
//! header's `alg` must be in the allow-list (no `none`, no HMAC) and must fit the key, so an
//! attacker cannot choose how the signature is checked. `crit` members are refused unless the
//! caller understands them.
//!
//! Why not a JOSE crate: the candidates either bind OpenSSL or BoringSSL, hide the header
//! checks SD-JWT and OpenID4VCI need (`typ`, `crit`, `x5c`, `jwk`), or cost more than the
//! ES256 check itself; see ARCHITECTURE.md.

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

mod error;
mod jws;
mod jwt;
mod unencoded;

pub use error::JoseError;
pub use jws::{
    JwsHeader, JwsJson, JwsJsonSignature, UnverifiedJws, VerifiedJws, parse_json_bounded,
    sign_compact, sign_compact_with, signing_input,
};
pub use jwt::{
    JwtTimes, TimeChecks, check_jwt_times, check_time_values, numeric_date, numeric_date_value,
};
pub use unencoded::{UnverifiedUnencodedJws, VerifiedUnencodedJws, sign_unencoded_json};

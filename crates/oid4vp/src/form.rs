//! Form and query encoding for authorization request URIs and `direct_post` bodies.
//! The encoding rules live in [`kakehashi_core::form`]; this module maps its errors to this
//! crate's wire errors.

use crate::Oid4vpError;

pub use kakehashi_core::form::{
    MAX_PARAMETERS, encode, encode_component, get, https_host, split_query,
};

fn wire(e: kakehashi_core::form::FormError) -> Oid4vpError {
    Oid4vpError::param("form", e.to_string())
}

/// Decodes one component (`+` is a space; `%XX` must be valid and the result UTF-8).
pub fn decode_component(text: &str) -> Result<String, Oid4vpError> {
    kakehashi_core::form::decode_component(text).map_err(wire)
}

/// Decodes a body or query into pairs; a repeated name is refused (RFC 6749 section 3.1).
pub fn decode(text: &str) -> Result<Vec<(String, String)>, Oid4vpError> {
    kakehashi_core::form::decode(text).map_err(wire)
}

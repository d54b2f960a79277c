//! `application/x-www-form-urlencoded` and URI query handling (WHATWG URL "urlencoded"),
//! enough for OAuth token and PAR requests, credential offer and authorization request URIs and
//! `direct_post` bodies without a URL crate. Shared by the OpenID4VCI and OpenID4VP crates,
//! which map [`FormError`] to their own wire errors.

/// Why a body or query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormError {
    /// Invalid `%XX` escape or not UTF-8.
    #[error("malformed percent-encoding")]
    Malformed,
    /// A parameter appears twice (RFC 6749 section 3.1).
    #[error("repeated parameter {0:?}")]
    Repeated(String),
    /// More than [`MAX_PARAMETERS`] parameters.
    #[error("too many parameters")]
    TooMany,
}

/// Caps the number of parameters in one body or query.
pub const MAX_PARAMETERS: usize = 64;

/// Percent-encodes a component (everything but unreserved characters).
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Encodes name/value pairs.
pub fn encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Decodes one component (`+` is a space; `%XX` must be valid and the result UTF-8).
pub fn decode_component(text: &str) -> Result<String, FormError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = |j: usize| bytes.get(j).and_then(|c| char::from(*c).to_digit(16));
                match (hex(i + 1), hex(i + 2)) {
                    (Some(h), Some(l)) => {
                        out.push(u8::try_from(h * 16 + l).map_err(|_| bad())?);
                        i += 2;
                    }
                    _ => return Err(bad()),
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| bad())
}

fn bad() -> FormError {
    FormError::Malformed
}

/// Decodes a body or query into pairs; a repeated name is refused (RFC 6749 section 3.1).
pub fn decode(text: &str) -> Result<Vec<(String, String)>, FormError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let k = decode_component(k.trim())?;
        let v = decode_component(v.trim())?;
        if out.iter().any(|(n, _)| *n == k) {
            return Err(FormError::Repeated(k));
        }
        if out.len() >= MAX_PARAMETERS {
            return Err(FormError::TooMany);
        }
        out.push((k, v));
    }
    Ok(out)
}

/// The value of `name` in decoded pairs.
pub fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Splits a URI into the part before `?` and the query (fragment dropped).
pub fn split_query(uri: &str) -> (&str, &str) {
    let uri = uri.split_once('#').map_or(uri, |(u, _)| u);
    uri.split_once('?').unwrap_or((uri, ""))
}

/// The host of an `https` URL, lower-cased; `None` for other schemes or no host.
pub fn https_host(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.contains('@') {
        return None;
    }
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    };
    if host.is_empty() {
        None
    } else {
        Some(host.to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let text = encode(&[("a b", "x&y=z/é"), ("c", "")]);
        assert_eq!(text, "a%20b=x%26y%3Dz%2F%C3%A9&c=");
        let pairs = decode(&text).unwrap();
        assert_eq!(get(&pairs, "a b"), Some("x&y=z/é"));
        assert_eq!(get(&pairs, "c"), Some(""));
        assert_eq!(decode("a=1+2").unwrap()[0].1, "1 2");
    }

    #[test]
    fn refusals() {
        assert!(decode("a=%zz").is_err());
        assert!(decode("a=%4").is_err());
        assert!(decode("a=%ff").is_err(), "not UTF-8");
        assert!(decode("a=1&a=2").is_err());
        let many: Vec<String> = (0..=MAX_PARAMETERS).map(|i| format!("p{i}=1")).collect();
        assert!(decode(&many.join("&")).is_err());
    }

    #[test]
    fn hosts() {
        assert_eq!(
            https_host("https://Verifier.example.org:8443/post?x#y").as_deref(),
            Some("verifier.example.org")
        );
        assert_eq!(https_host("http://verifier.example.org/"), None);
        assert_eq!(https_host("https://user@evil.example/"), None);
        assert_eq!(split_query("openid4vp://?a=1#f"), ("openid4vp://", "a=1"));
    }
}

//! Shared vocabulary for every Kakehashi crate.
//!
//! Pure: no clock, no randomness, no I/O. Time is a [`UnixTime`] value handed in by the caller,
//! untrusted JSON goes through [`json::parse_limited`] so size and nesting are capped before any
//! protocol logic sees it.

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

pub mod b64;
pub mod form;
pub mod jp;
pub mod json;
pub mod lang;
pub mod time;

pub use json::{JsonError, JsonLimits};
pub use lang::{LangMap, LanguageTag};
pub use time::UnixTime;

//! Academic credentials across two frameworks.
//!
//! The EU has the European Qualifications Framework; Japan has no national qualifications
//! framework. Both map to UNESCO's ISCED 2011. This crate holds:
//!
//! - [`model`]: the canonical bilingual diploma ([`model::Diploma`]) that both credential
//!   profiles carry, with validated identifiers (Corporate Number 法人番号, MEXT school code);
//! - [`frameworks`]: the tables (Japanese degrees → ISCED → advisory EQF, EQF → Japanese display
//!   equivalents, ISCED-F fields, credit systems, legal bases), each row with its source, loaded
//!   from `data/*.toml` and validated;
//! - [`recognition`]: the mapping shown to a verifier, which states its sources and what a person
//!   still has to decide. It never decides recognition itself.
//!
//! Pure: no I/O, no clock.

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

pub mod csv_import;
pub mod frameworks;
pub mod model;
pub mod profiles;
pub mod recognition;
pub mod report;

mod error;

pub use error::AcademicError;

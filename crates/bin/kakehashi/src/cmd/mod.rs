//! One module per subcommand family; each exposes a clap enum and `run`.

pub mod common;
pub mod edc;
pub mod pilot;
pub mod registrar;
pub mod sd_jwt;
pub mod serve;
pub mod trust;
pub mod vc;
pub mod wallet;

//! Helpers shared by subcommands: reading inputs, the clock, printing JSON.

use std::io::Read as _;
use std::path::Path;

use anyhow::Context as _;
use kakehashi_core::UnixTime;

/// Reads a file, or standard input for `-` / no path.
pub fn read_input(path: Option<&Path>) -> anyhow::Result<Vec<u8>> {
    match path {
        Some(p) if p != Path::new("-") => {
            std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
        }
        _ => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("cannot read standard input")?;
            Ok(buf)
        }
    }
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> anyhow::Result<serde_json::Value> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{} is not JSON", path.display()))
}

/// The time to check against: `--now` when given, else the system clock. The clock is read
/// here, at the edge, and passed into the pure crates.
pub fn now_or(fixed: Option<i64>) -> UnixTime {
    fixed.map(UnixTime).unwrap_or_else(system_now)
}

/// The system clock as [`UnixTime`].
#[allow(clippy::disallowed_methods)] // the binary is an edge: this is where "now" comes from
pub fn system_now() -> UnixTime {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    UnixTime(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// Prints a JSON value, pretty, on stdout.
pub fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

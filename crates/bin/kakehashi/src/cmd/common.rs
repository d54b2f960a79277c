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

/// The certificates of a PEM file (DER, in file order; a chain is leaf first). A file with no
/// `CERTIFICATE` block is an error.
pub fn pem_certificates(path: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let chain: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(&bytes)
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} is not a PEM certificate chain", path.display()))?;
    if chain.is_empty() {
        anyhow::bail!("{} contains no CERTIFICATE block", path.display());
    }
    Ok(chain)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_parsing() {
        let dir = std::env::temp_dir().join(format!("kakehashi-pem-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("c.pem");
        std::fs::write(
            &f,
            "-----BEGIN CERTIFICATE-----\nAQID\nBA==\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert_eq!(pem_certificates(&f).unwrap(), vec![vec![1, 2, 3, 4]]);
        std::fs::write(&f, "nothing").unwrap();
        assert!(pem_certificates(&f).is_err());
    }
}

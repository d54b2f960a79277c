//! Shared machinery of the vector runners: walking a suite, the exceptions file, and the
//! pass / exception / failure summary (the shape of webpki's x509-limbo runner).
//!
//! Each runner turns every case of a suite into an [`Outcome`]. A case listed in the suite's
//! `exceptions.toml` is still run (it must not panic) and its actual result is printed; an
//! exception whose case now passes in full is reported as stale, so the file stays honest.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kakehashi_core::UnixTime;
use kakehashi_crypto::PublicJwk;
use kakehashi_crypto_aws_lc::SoftwareSigner;
use serde_json::Value;

/// The result of running one case against its expected outcome.
#[derive(Debug)]
pub enum Outcome {
    /// The case met its expectation.
    Pass,
    /// The case did not (with what happened).
    Fail(String),
    /// Only part of the case can be checked here and that part passed.
    Partial(String),
}

/// One entry of `exceptions.toml`.
#[derive(Debug)]
pub struct Exception {
    pub reason: String,
    /// Checks the runner leaves out for this case (`partial` exceptions).
    pub skip_checks: Vec<String>,
    /// `unsupported`: the case is not expected to pass; `partial`: the checkable part must pass.
    pub status: String,
}

/// Collects outcomes for one suite.
pub struct Runner {
    suite: &'static str,
    exceptions: BTreeMap<String, Exception>,
    seen: BTreeSet<String>,
    passed: usize,
    excepted: Vec<String>,
    failures: Vec<String>,
}

impl Runner {
    /// Loads `testdata/<suite>/exceptions.toml`.
    pub fn new(suite: &'static str) -> Self {
        let path = suite_dir(suite).join("exceptions.toml");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let table: toml::Table = toml::from_str(&text).expect("exceptions.toml parses");
        let mut exceptions = BTreeMap::new();
        for (case, entry) in table {
            let entry = entry.as_table().expect("exception entries are tables");
            let reason = entry
                .get("reason")
                .and_then(toml::Value::as_str)
                .expect("every exception has a reason")
                .to_owned();
            let status = entry
                .get("status")
                .and_then(toml::Value::as_str)
                .unwrap_or("unsupported")
                .to_owned();
            assert!(
                status == "unsupported" || status == "partial",
                "{case}: status must be unsupported or partial"
            );
            let skip_checks = entry
                .get("skip_checks")
                .and_then(toml::Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(toml::Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            exceptions.insert(
                case,
                Exception {
                    reason,
                    status,
                    skip_checks,
                },
            );
        }
        Self {
            suite,
            exceptions,
            seen: BTreeSet::new(),
            passed: 0,
            excepted: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// The checks `exceptions.toml` tells the runner to leave out for `case`.
    pub fn skipped_checks(&self, case: &str) -> Vec<String> {
        self.exceptions
            .get(case)
            .map(|e| e.skip_checks.clone())
            .unwrap_or_default()
    }

    /// Records the outcome of `case`.
    pub fn record(&mut self, case: &str, outcome: Outcome) {
        assert!(self.seen.insert(case.to_owned()), "case {case} run twice");
        match (self.exceptions.get(case), outcome) {
            (None, Outcome::Pass) => self.passed += 1,
            (None, Outcome::Fail(detail)) => self.failures.push(format!("{case}: {detail}")),
            (None, Outcome::Partial(detail)) => self.failures.push(format!(
                "{case}: only partly checked ({detail}) but not in exceptions.toml"
            )),
            (Some(e), Outcome::Pass) if e.status == "unsupported" => self.failures.push(format!(
                "{case}: passes now, remove its stale exception ({})",
                e.reason
            )),
            (Some(e), Outcome::Pass | Outcome::Partial(_)) if e.status == "partial" => {
                self.excepted.push(format!("{case}: partial: {}", e.reason));
            }
            (Some(e), Outcome::Fail(detail)) if e.status == "partial" => self.failures.push(
                format!("{case}: the checkable part failed: {detail} ({})", e.reason),
            ),
            (Some(e), Outcome::Fail(detail) | Outcome::Partial(detail)) => {
                self.excepted
                    .push(format!("{case}: {} [actual: {detail}]", e.reason));
            }
            (Some(e), Outcome::Pass) => self.excepted.push(format!("{case}: {}", e.reason)),
        }
    }

    /// Prints the summary and fails the test on any failure or orphan exception.
    pub fn finish(self) {
        let orphans: Vec<&String> = self
            .exceptions
            .keys()
            .filter(|k| !self.seen.contains(*k))
            .collect();
        println!(
            "== {}: {} cases: {} passed, {} skipped (exceptions.toml), {} failed",
            self.suite,
            self.seen.len(),
            self.passed,
            self.excepted.len(),
            self.failures.len()
        );
        for e in &self.excepted {
            println!("  skip  {e}");
        }
        for f in &self.failures {
            println!("  FAIL  {f}");
        }
        assert!(
            orphans.is_empty(),
            "exceptions.toml names cases that do not exist: {orphans:?}"
        );
        assert!(
            self.failures.is_empty(),
            "{} failed: {} case(s), see above",
            self.suite,
            self.failures.len()
        );
        assert!(self.passed > 0, "{}: no case passed", self.suite);
    }
}

/// `crates/vc-jose/testdata/<suite>`.
pub fn suite_dir(suite: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(suite)
}

/// Every file under `dir`, as paths relative to it with `/` separators, sorted.
pub fn walk(dir: &Path) -> Vec<String> {
    fn go(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("readable dir")
            .map(|e| e.expect("dir entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                go(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).expect("under base");
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    let mut out = Vec::new();
    go(dir, dir, &mut out);
    out
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("readable")).expect("JSON")
}

/// A fixed "now" for vectors that carry no time of their own: 2026-11-23T00:00:00Z.
pub fn fixed_now() -> UnixTime {
    UnixTime::parse_rfc3339("2026-11-23T00:00:00Z").expect("valid")
}

/// A signer for round trips: the W3C VC-JOSE-COSE P-256 test key.
pub fn test_signer() -> SoftwareSigner {
    let vm = read_json(&suite_dir("vc-jose-cose").join("test-suite-input/vm-p256.json"));
    SoftwareSigner::from_private_jwk(&vm["secretKeyJwk"]).expect("P-256 test key")
}

/// The public keys of the W3C VC-JOSE-COSE verification methods this backend supports.
pub fn test_keys() -> Vec<PublicJwk> {
    ["vm-p256.json", "vm-p384.json", "vm-ed25519.json"]
        .iter()
        .map(|f| {
            let vm = read_json(&suite_dir("vc-jose-cose").join("test-suite-input").join(f));
            PublicJwk::from_json(&vm["publicKeyJwk"]).expect("public test key")
        })
        .collect()
}

/// The variant name of an error's `Debug` form, e.g. `MissingBaseContext`.
pub fn debug_of<E: std::fmt::Debug>(error: &E) -> String {
    format!("{error:?}")
}

/// Checks that an error's `Debug` form starts with `expected` (an error variant, optionally
/// with its nested variant: `Jose(Crypto(BadSignature`).
pub fn error_matches<E: std::fmt::Debug>(error: &E, expected: &str) -> Result<(), String> {
    let actual = debug_of(error);
    if actual.starts_with(expected) {
        Ok(())
    } else {
        Err(format!("expected error {expected}, got {actual}"))
    }
}

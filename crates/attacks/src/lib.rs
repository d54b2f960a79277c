//! The attack table (issue 7): hostile inputs run against the real crates and routers, each
//! with the exact refusal it must meet. `kakehashi-attacks` prints the table as Markdown and
//! `--write docs/security.md` puts it between the document's markers; the crate's test fails
//! if any attack is not refused with its expected error or if the document is stale.
//!
//! Each case drives production code: the pure crates directly, the HTTP routers in-process
//! (`tower::ServiceExt::oneshot`) or on loopback, the stores on SQLite (and PostgreSQL when
//! `KAKEHASHI_TEST_DATABASE_URL` is set). Nothing here re-implements a check.

#![forbid(unsafe_code)]

mod credentials;
mod issuer;
mod limits;
mod paths;
mod portal;
mod sd_jwt;
mod support;
mod trusted_lists;
mod verifier;

use std::fmt::Debug;

pub use portal::sql_injection_on_postgres;
pub use support::SetupError;

/// One attack: what is sent where, and the refusal it must meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attack {
    /// Short name of the attack.
    pub name: &'static str,
    /// The standard rule or threat it exercises.
    pub threat: &'static str,
    /// The component that must refuse it.
    pub target: &'static str,
    /// What the attacker sends.
    pub sent: &'static str,
    /// The exact refusal: a typed error (its `Debug` form) or `HTTP <status> <error code>`.
    pub expected: &'static str,
}

/// An attack and what the code did with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub attack: Attack,
    /// The refusal observed, in the same form as [`Attack::expected`]; `accepted: …` when the
    /// attack went through.
    pub observed: String,
}

impl Outcome {
    /// Refused with exactly the expected error.
    pub fn passed(&self) -> bool {
        self.observed == self.attack.expected
    }
}

/// Records the outcome of `result` for `attack`: the error's `Debug` form (long strings
/// shortened so the table stays readable), or `accepted` when there was no error.
pub(crate) fn refused<T, E: Debug>(attack: Attack, result: Result<T, E>) -> Outcome {
    let observed = match result {
        Ok(_) => "accepted".to_owned(),
        Err(e) => support::short_debug(&e),
    };
    Outcome { attack, observed }
}

/// Records an observation made by the case itself (HTTP status and error code, a check on
/// stored rows).
pub(crate) fn observed(attack: Attack, observed: String) -> Outcome {
    Outcome { attack, observed }
}

/// Runs every attack, group by group. A group whose set-up fails yields one failed row naming
/// the group, so the table (and the test) show it.
pub async fn run_all() -> Vec<Outcome> {
    let mut out = Vec::new();
    let groups: [(&'static str, Result<Vec<Outcome>, SetupError>); 8] = [
        ("sd-jwt", sd_jwt::run()),
        ("credentials", credentials::run()),
        ("trusted lists", trusted_lists::run()),
        ("limits", limits::run()),
        ("issuer", issuer::run().await),
        ("verifier", verifier::run().await),
        ("portal", portal::run().await),
        ("paths", paths::run().await),
    ];
    for (group, result) in groups {
        match result {
            Ok(outcomes) => out.extend(outcomes),
            Err(e) => out.push(Outcome {
                attack: Attack {
                    name: group,
                    threat: "set-up",
                    target: group,
                    sent: "-",
                    expected: "set-up succeeds",
                },
                observed: format!("set-up failed: {e}"),
            }),
        }
    }
    out
}

/// Only the parser-limit cases (JSON depth, the status-list bomb), for measuring their memory.
pub fn run_limits() -> Result<Vec<Outcome>, SetupError> {
    limits::run()
}

/// The Markdown table of `outcomes`.
pub fn render_table(outcomes: &[Outcome]) -> String {
    let mut s = String::from(
        "| # | attack | standard / threat | target | what was sent | expected | observed | pass |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for (i, o) in outcomes.iter().enumerate() {
        let a = &o.attack;
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            i + 1,
            cell(a.name),
            cell(a.threat),
            cell(a.target),
            cell(a.sent),
            code(a.expected),
            code(&o.observed),
            if o.passed() { "yes" } else { "**NO**" }
        ));
    }
    s
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn code(text: &str) -> String {
    format!("`{}`", cell(text).replace('`', "'"))
}

/// Where the generated table goes in `docs/security.md`.
pub const BEGIN_MARKER: &str = "<!-- attacks:begin -->";
/// End of the generated table.
pub const END_MARKER: &str = "<!-- attacks:end -->";

/// Replaces the text between the markers of `document` by `table`.
pub fn splice(document: &str, table: &str) -> Result<String, SetupError> {
    let start = document
        .find(BEGIN_MARKER)
        .ok_or_else(|| SetupError(format!("{BEGIN_MARKER} not found")))?
        + BEGIN_MARKER.len();
    let end = document[start..]
        .find(END_MARKER)
        .ok_or_else(|| SetupError(format!("{END_MARKER} not found after {BEGIN_MARKER}")))?
        + start;
    Ok(format!(
        "{}\n{}{}",
        &document[..start],
        table,
        &document[end..]
    ))
}

/// The table currently between the markers of `document`.
pub fn current_table(document: &str) -> Option<&str> {
    let start = document.find(BEGIN_MARKER)? + BEGIN_MARKER.len();
    let end = document[start..].find(END_MARKER)? + start;
    document.get(start..end).map(|t| t.trim_start_matches('\n'))
}

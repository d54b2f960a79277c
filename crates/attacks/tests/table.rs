//! Every attack is refused with its expected error, and docs/security.md holds exactly the
//! table this run generates (regenerate with
//! `cargo run -p kakehashi-attacks -- --write docs/security.md`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a test failure

use std::path::PathBuf;

fn document() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/security.md")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_attack_is_refused_and_the_document_is_current() {
    let outcomes = kakehashi_attacks::run_all().await;
    assert!(outcomes.len() >= 60, "only {} attacks ran", outcomes.len());
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.passed())
        .map(|o| {
            format!(
                "{}\n    expected {}\n    observed {}",
                o.attack.name, o.attack.expected, o.observed
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "not refused as expected:\n{}",
        failed.join("\n")
    );
    // No attack may be listed as refused by merely being accepted.
    assert!(outcomes.iter().all(|o| !o.observed.starts_with("accepted")));

    let table = kakehashi_attacks::render_table(&outcomes);
    let doc = std::fs::read_to_string(document()).expect("docs/security.md");
    assert_eq!(
        kakehashi_attacks::current_table(&doc),
        Some(table.as_str()),
        "docs/security.md is stale: run `cargo run -p kakehashi-attacks -- --write docs/security.md`"
    );
}

/// The same SQL injection cases on PostgreSQL, when a database is configured
/// (`eval "$(scripts/pg start)"`); under CI the variable is required.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_injection_is_inert_on_postgres() {
    let url = match std::env::var("KAKEHASHI_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but KAKEHASHI_TEST_DATABASE_URL is not"
            );
            eprintln!("skipped: set KAKEHASHI_TEST_DATABASE_URL (scripts/pg start)");
            return;
        }
    };
    let outcomes = kakehashi_attacks::sql_injection_on_postgres(&url)
        .await
        .expect("set-up on PostgreSQL");
    assert_eq!(outcomes.len(), 3);
    for o in outcomes {
        assert!(
            o.passed(),
            "{}: expected {}, observed {}",
            o.attack.name,
            o.attack.expected,
            o.observed
        );
    }
}

#[test]
fn splice_replaces_only_the_marked_part() {
    let doc = "intro\n<!-- attacks:begin -->\nold\n<!-- attacks:end -->\nfuzzing\n";
    let new = kakehashi_attacks::splice(doc, "| new |\n").unwrap();
    assert_eq!(
        new,
        "intro\n<!-- attacks:begin -->\n| new |\n<!-- attacks:end -->\nfuzzing\n"
    );
    assert_eq!(kakehashi_attacks::current_table(&new), Some("| new |\n"));
    assert!(kakehashi_attacks::splice("no markers", "x").is_err());
}

//! Runs the built `kakehashi registrar import` on a generated registrar CSV: a first run
//! creates one offer per valid row, a second run of the same file creates none, and a row
//! that fails validation is reported and makes the exit status 1.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const KEK: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc";

fn import(file: &Path, data_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .args(["registrar", "import"])
        .arg(file)
        .args(["--university", "jp", "--data-dir"])
        .arg(data_dir)
        .env("KAKEHASHI_KEK", KEK)
        .output()
        .unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn csv(rows: usize, bad: bool) -> String {
    let mut text = String::from(
        "family_name_ja,family_name_latn,given_name_ja,given_name_latn,degree,title_ja,award_date,diploma_number\n",
    );
    for i in 0..rows {
        text.push_str(&format!(
            "山田,YAMADA,花子,HANAKO,修士,修士(工学),2026-03-25,M-{i:04}\n"
        ));
    }
    if bad {
        text.push_str("山田,YAMADA,花子,HANAKO,修士,修士(工学),2026-02-30,BAD-1\n");
    }
    text
}

#[test]
fn import_twice_issues_nothing_the_second_time() {
    let dir = std::env::temp_dir().join(format!("kakehashi-registrar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("graduates.csv");
    std::fs::write(&file, csv(50, false)).unwrap();
    let data = dir.join("data");

    let first = import(&file, &data);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let v = json(&first);
    assert_eq!(
        (
            v["rows"].as_u64(),
            v["issued"].as_u64(),
            v["skipped"].as_u64()
        ),
        (Some(50), Some(50), Some(0))
    );
    assert_eq!(v["errors"], serde_json::json!([]));

    let second = import(&file, &data);
    assert!(second.status.success());
    let v = json(&second);
    assert_eq!(
        (v["issued"].as_u64(), v["skipped"].as_u64()),
        (Some(0), Some(50))
    );

    // Same diplomas plus a bad row, in a new file: nothing issued twice, the bad row reported.
    let bad = dir.join("with-error.csv");
    std::fs::write(&bad, csv(50, true)).unwrap();
    let third = import(&bad, &data);
    assert_eq!(third.status.code(), Some(1));
    let v = json(&third);
    assert_eq!(
        (
            v["rows"].as_u64(),
            v["issued"].as_u64(),
            v["skipped"].as_u64()
        ),
        (Some(51), Some(0), Some(50))
    );
    assert_eq!(v["errors"][0]["line"].as_u64(), Some(52));

    // No KEK: refused before anything is written.
    let no_kek = Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .args(["registrar", "import"])
        .arg(&file)
        .args(["--university", "eu", "--data-dir"])
        .arg(&data)
        .env_remove("KAKEHASHI_KEK")
        .output()
        .unwrap();
    assert_eq!(no_kek.status.code(), Some(1));
    std::fs::remove_dir_all(&dir).unwrap();
}

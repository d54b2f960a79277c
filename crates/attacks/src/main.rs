//! `kakehashi-attacks`: runs every attack against the real code and prints the Markdown table;
//! `--write docs/security.md` replaces the table between the document's markers instead.
//! Exits 1 when any attack was not refused with its expected error.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let write = match args.as_slice() {
        [] => None,
        [flag, path] if flag == "--write" => Some(path.clone()),
        _ => {
            eprintln!("usage: kakehashi-attacks [--write docs/security.md]");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcomes = runtime.block_on(kakehashi_attacks::run_all());
    let table = kakehashi_attacks::render_table(&outcomes);
    match write {
        None => print!("{table}"),
        Some(path) => {
            let updated = std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|doc| kakehashi_attacks::splice(&doc, &table).map_err(|e| e.to_string()))
                .and_then(|doc| std::fs::write(&path, doc).map_err(|e| e.to_string()));
            if let Err(e) = updated {
                eprintln!("{path}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed()).collect();
    for o in &failed {
        eprintln!(
            "NOT REFUSED AS EXPECTED: {}\n  expected {}\n  observed {}",
            o.attack.name, o.attack.expected, o.observed
        );
    }
    eprintln!(
        "{} attacks, {} refused as expected",
        outcomes.len(),
        outcomes.len() - failed.len()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

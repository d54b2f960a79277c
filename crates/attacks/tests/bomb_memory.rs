//! The status-list bomb (4 GiB once inflated) is refused at the 32 MiB cap without the
//! process ever holding the inflated list: peak RSS, read from `/proc/self/status`, grows by
//! far less than the bomb. Its own test binary, so no other case shares the process.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a test failure

/// Peak resident set size (`VmHWM`) in KiB, where the kernel reports it.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn bomb_is_refused_without_inflating_it() {
    let Some(before) = peak_rss_kib() else {
        eprintln!("skipped: no /proc/self/status on this system");
        return;
    };
    let outcomes = kakehashi_attacks::run_limits().expect("set-up");
    let bomb = outcomes
        .iter()
        .find(|o| o.attack.name == "Status list decompression bomb")
        .expect("bomb case");
    assert!(bomb.passed(), "{}", bomb.observed);
    let grown_mib = (peak_rss_kib().unwrap() - before) / 1024;
    eprintln!("peak RSS grew by {grown_mib} MiB for a 4096 MiB bomb");
    assert!(grown_mib < 256, "peak RSS grew by {grown_mib} MiB");
}

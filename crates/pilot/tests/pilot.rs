//! The pilot end to end: every scenario behaves as expected.
#![allow(clippy::unwrap_used)] // test code

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_as_expected() {
    let dir = std::env::temp_dir().join(format!("kakehashi-pilot-test-{}", std::process::id()));
    let report = kakehashi_pilot::run(&kakehashi_pilot::PilotOptions {
        data_dir: dir.clone(),
    })
    .await
    .unwrap();
    assert_eq!(report.rows.len(), 9);
    assert!(report.all_ok(), "{}", report.table());
    let json = report.to_json();
    assert_eq!(json["all_as_expected"], true);
    std::fs::remove_dir_all(&dir).ok();
}

//! Runs the verification pipeline in a loop for `perf record` (profiling the pipeline's own
//! work): `cargo build --release -p kakehashi-bench --example pipeline_loop`, then
//! `perf record -g target/release/examples/pipeline_loop 5000 [cached]`.

fn main() {
    let s = kakehashi_bench::Scenario::new();
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5000);
    let cached = args.next().as_deref() == Some("cached");
    let mut ok = 0u32;
    for _ in 0..n {
        let verdict = if cached {
            s.pipeline_cached(s.presentation())
        } else {
            s.pipeline(s.presentation())
        };
        if verdict.is_ok() {
            ok += 1;
        }
    }
    println!(
        "{ok}/{n} verified ({})",
        if cached { "cached" } else { "uncached" }
    );
}

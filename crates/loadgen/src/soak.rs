//! The soak: N wallet tasks, each looping offer → receive (OpenID4VCI) → verifier session →
//! prepare → present (`direct_post.jwt`) → result, with a fresh diploma every iteration, while
//! the server's RSS is sampled every second.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kakehashi_http_issuer::Profile;
use kakehashi_storage_sqlite::SqliteStore;
use kakehashi_wallet::{Choice, Wallet};

use crate::node::{LoadError, Node, diploma, rss_kib};
use crate::stats::{Flatness, Latencies, RssSample, flatness, ms};

/// The steps of one iteration, in order.
pub const STEPS: [&str; 7] = [
    "offer",
    "receive",
    "session",
    "prepare",
    "present",
    "result",
    "iteration",
];

/// What a soak measured.
#[derive(Debug, Default)]
pub struct SoakReport {
    /// Latencies by step name.
    pub steps: BTreeMap<&'static str, Latencies>,
    /// Completed iterations.
    pub iterations: u64,
    /// Errors, with the first few messages.
    pub errors: u64,
    /// Up to ten error messages.
    pub error_samples: Vec<String>,
    /// Seconds the load ran.
    pub elapsed: f64,
    /// RSS samples of the server.
    pub rss: Vec<RssSample>,
    /// The flatness verdict (none when the run is too short to have both windows).
    pub flatness: Option<Flatness>,
}

/// How to run it.
#[derive(Debug, Clone)]
pub struct SoakOptions {
    /// Concurrent wallets.
    pub wallets: usize,
    /// How long.
    pub duration: Duration,
    /// Distinguishes this run's diploma numbers from every earlier run's on the same store.
    pub run_id: String,
    /// Allowed growth of the last window's mean RSS over the second window's (0.10 = 10 %).
    pub tolerance: f64,
}

#[derive(Default)]
struct TaskResult {
    steps: BTreeMap<&'static str, Latencies>,
    iterations: u64,
    errors: Vec<String>,
}

/// Runs the soak against `node` until `options.duration` has passed; every started iteration
/// is finished (no request is cut off).
pub async fn run(node: &Node, options: &SoakOptions) -> SoakReport {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let sampler = {
        let (stop, pid) = (stop.clone(), node.pid);
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                if let Some(kib) = rss_kib(pid) {
                    samples.push(RssSample {
                        at: started.elapsed().as_secs_f64(),
                        kib,
                    });
                }
            }
            samples
        })
    };
    let mut tasks = Vec::new();
    for w in 0..options.wallets {
        let (node, stop, run_id) = (node.clone(), stop.clone(), options.run_id.clone());
        tasks.push(tokio::spawn(async move {
            wallet_loop(&node, w, &run_id, &stop).await
        }));
    }
    tokio::time::sleep(options.duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut report = SoakReport::default();
    for t in tasks {
        match t.await {
            Ok(r) => {
                for (k, v) in r.steps {
                    report.steps.entry(k).or_default().extend(&v);
                }
                report.iterations += r.iterations;
                report.errors += u64::try_from(r.errors.len()).unwrap_or(u64::MAX);
                for e in r.errors {
                    if report.error_samples.len() < 10 {
                        report.error_samples.push(e);
                    }
                }
            }
            Err(e) => {
                report.errors += 1;
                report.error_samples.push(format!("wallet task: {e}"));
            }
        }
    }
    report.elapsed = started.elapsed().as_secs_f64();
    report.rss = sampler.await.unwrap_or_default();
    report.flatness = flatness(
        &report.rss,
        options.duration.as_secs_f64(),
        options.tolerance,
    );
    report
}

async fn wallet_loop(node: &Node, w: usize, run_id: &str, stop: &AtomicBool) -> TaskResult {
    let mut out = TaskResult::default();
    let wallet = match node.wallet(&format!("load{w}")).await {
        Ok(h) => h.wallet,
        Err(e) => {
            out.errors.push(e.to_string());
            return out;
        }
    };
    // Even wallets hold EU diplomas shown to the Japanese verifier, odd ones the reverse.
    let (profile, issuer, verifier) = if w.is_multiple_of(2) {
        (Profile::Eu, "eu", "jp")
    } else {
        (Profile::Jp, "jp", "eu")
    };
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let number = format!("LOAD-{run_id}-{w}-{i}");
        i += 1;
        let outcome = iteration(node, &wallet, profile, issuer, verifier, &number, &mut out).await;
        // Keep each wallet's store at most one credential, whatever happened, so the wallet's
        // own work stays constant over the run and any growth measured is the server's.
        let cleanup = clear(&wallet).await;
        match outcome.and(cleanup) {
            Ok(()) => out.iterations += 1,
            Err(e) => {
                out.errors.push(format!("wallet {w} iteration {i}: {e}"));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    out
}

async fn iteration(
    node: &Node,
    wallet: &Wallet<SqliteStore>,
    profile: Profile,
    issuer: &str,
    verifier: &str,
    number: &str,
    out: &mut TaskResult,
) -> Result<(), LoadError> {
    let diploma = diploma(profile, number)?;
    let start = Instant::now();
    let mut t = Instant::now();
    let mut lap = |out: &mut TaskResult, step: &'static str| {
        let now = Instant::now();
        out.steps.entry(step).or_default().push(now - t);
        t = now;
    };
    let (offer_uri, tx_code) = node.offer(issuer, &diploma).await?;
    lap(out, "offer");
    let received = wallet
        .receive(&offer_uri, tx_code.as_deref())
        .await
        .map_err(|source| LoadError::Wallet {
            step: "receive",
            source,
        })?;
    if received.is_empty() {
        return Err(LoadError::Check("receive: no credential".into()));
    }
    lap(out, "receive");
    let (request_uri, status_url) = node.session(verifier).await?;
    lap(out, "session");
    let consent = wallet
        .prepare_presentation(&request_uri)
        .await
        .map_err(|source| LoadError::Wallet {
            step: "prepare",
            source,
        })?;
    // The wallet holds exactly this iteration's credential: it is the one presented.
    if !consent
        .items
        .iter()
        .all(|item| received.iter().any(|c| c.id == item.credential_id))
    {
        return Err(LoadError::Check(
            "prepare: the consent lists another credential".into(),
        ));
    }
    lap(out, "prepare");
    let outcome = wallet
        .present(consent, Choice::Accept)
        .await
        .map_err(|source| LoadError::Wallet {
            step: "present",
            source,
        })?;
    if !outcome.presented {
        return Err(LoadError::Check("present: nothing presented".into()));
    }
    lap(out, "present");
    node.wait_verified(&status_url, Duration::from_secs(30))
        .await?;
    lap(out, "result");
    out.steps
        .entry("iteration")
        .or_default()
        .push(start.elapsed());
    Ok(())
}

/// Deletes every credential the wallet holds.
async fn clear(wallet: &Wallet<SqliteStore>) -> Result<(), LoadError> {
    let wallet_err = |source| LoadError::Wallet {
        step: "cleanup",
        source,
    };
    for c in wallet.credentials().await.map_err(wallet_err)? {
        wallet.delete_credential(&c.id).await.map_err(wallet_err)?;
    }
    Ok(())
}

impl SoakReport {
    /// The Markdown tables: per-step latencies, then totals and memory.
    pub fn markdown(&self, title: &str, wallets: usize) -> String {
        let mut s = format!(
            "#### {title}\n\n| step | n | p50 ms | p95 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n"
        );
        for step in STEPS {
            if let Some(l) = self.steps.get(step) {
                s.push_str(&format!(
                    "| {step} | {} | {} | {} | {} | {} |\n",
                    l.len(),
                    ms(l.percentile(50)),
                    ms(l.percentile(95)),
                    ms(l.percentile(99)),
                    ms(l.percentile(100)),
                ));
            }
        }
        let rate = if self.elapsed > 0.0 {
            f64::from(u32::try_from(self.iterations).unwrap_or(u32::MAX)) / self.elapsed
        } else {
            0.0
        };
        let mib = |kib: f64| kib / 1024.0;
        let (first, peak) = (
            self.rss.first().map_or(0, |r| r.kib),
            self.rss.iter().map(|r| r.kib).max().unwrap_or(0),
        );
        s.push_str(&format!(
            "\n| wallets | duration s | iterations | credentials/s (full flows/s) | errors | RSS start MiB | RSS peak MiB |\n|---:|---:|---:|---:|---:|---:|---:|\n| {wallets} | {:.0} | {} | {rate:.2} | {} | {:.1} | {:.1} |\n",
            self.elapsed,
            self.iterations,
            self.errors,
            mib(f64::from(u32::try_from(first).unwrap_or(u32::MAX))),
            mib(f64::from(u32::try_from(peak).unwrap_or(u32::MAX))),
        ));
        match &self.flatness {
            Some(f) => s.push_str(&format!(
                "\nMemory: mean RSS {:.1} MiB over [{w:.0} s, {w2:.0} s) → {:.1} MiB over the last {w:.0} s: ×{:.3} ({}; limit ×1.10)\n",
                mib(f.baseline_kib),
                mib(f.last_kib),
                f.ratio,
                if f.flat { "flat" } else { "GROWING" },
                w = f.window,
                w2 = 2.0 * f.window,
            )),
            None => s.push_str("\nMemory: not enough samples for the flatness check\n"),
        }
        for e in &self.error_samples {
            s.push_str(&format!("\n- error: {e}"));
        }
        s
    }
}

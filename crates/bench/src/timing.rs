//! Timers that keep ratios honest on a shared machine: subjects measured in alternating short
//! batches (load drift hits all of them alike), medians instead of means, and throughput on
//! one and two threads measured in alternation too.

#![allow(clippy::disallowed_methods)] // a benchmark measures time; the library crates never do

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// One measured operation.
pub struct Subject<'a> {
    /// Row name.
    pub name: &'static str,
    /// The operation; `false` means it failed (the run is refused, see [`interleaved`]).
    pub run: Box<dyn Fn() -> bool + 'a>,
}

impl<'a> Subject<'a> {
    /// A subject named `name`.
    pub fn new(name: &'static str, run: impl Fn() -> bool + 'a) -> Self {
        Self {
            name,
            run: Box::new(run),
        }
    }
}

/// Median microseconds per call of each subject, from `rounds` rounds of one ~`batch_time`
/// batch per subject. `Err` names a subject that failed instead of timing it.
pub fn interleaved(
    subjects: &[Subject<'_>],
    rounds: usize,
    batch_time: Duration,
) -> Result<Vec<f64>, String> {
    let mut batches = Vec::with_capacity(subjects.len());
    for s in subjects {
        // Warm up and calibrate: how many calls fill one batch.
        let start = Instant::now();
        let mut calls: u32 = 0;
        while calls < 3 || start.elapsed() < batch_time {
            if !(s.run)() {
                return Err(format!("{} failed: refusing to time it", s.name));
            }
            calls = calls.saturating_add(1);
        }
        batches.push(calls.max(1));
    }
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); subjects.len()];
    for _ in 0..rounds {
        for ((s, batch), out) in subjects.iter().zip(&batches).zip(samples.iter_mut()) {
            let start = Instant::now();
            for _ in 0..*batch {
                black_box((s.run)());
            }
            out.push(start.elapsed().as_secs_f64() * 1e6 / f64::from(*batch));
        }
    }
    Ok(samples.into_iter().map(median).collect())
}

/// The median (upper middle) of `v`; 0 for an empty vector.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Calls per second of `op` on `threads` threads for `duration`, each thread on its own input
/// (`inputs[i]`). Every result is checked; a failure stops the run with `Err`.
pub fn throughput<I: Sync>(
    inputs: &[I],
    threads: usize,
    duration: Duration,
    op: &(dyn Fn(&I) -> bool + Sync),
) -> Result<f64, String> {
    let failed = AtomicBool::new(false);
    let counts: Vec<(u64, f64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .iter()
            .cycle()
            .take(threads)
            .map(|input| {
                let failed = &failed;
                scope.spawn(move || {
                    let start = Instant::now();
                    let mut n: u64 = 0;
                    loop {
                        if !op(input) {
                            failed.store(true, Ordering::Relaxed);
                            break;
                        }
                        n = n.saturating_add(1);
                        if n % 8 == 0 && start.elapsed() >= duration {
                            break;
                        }
                    }
                    (n, start.elapsed().as_secs_f64())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or((0, 1.0)))
            .collect()
    });
    if failed.load(Ordering::Relaxed) {
        return Err("an operation failed during the throughput run".into());
    }
    // Sum of per-thread rates: each thread's own calls over its own elapsed time.
    Ok(counts
        .iter()
        .map(|(n, secs)| count_as_f64(*n) / secs.max(f64::MIN_POSITIVE))
        .sum())
}

/// Median rates on 1 and on 2 threads over `repeats` alternating runs.
pub fn scaling<I: Sync>(
    inputs: &[I],
    repeats: usize,
    duration: Duration,
    op: &(dyn Fn(&I) -> bool + Sync),
) -> Result<(f64, f64), String> {
    let (mut one, mut two) = (Vec::new(), Vec::new());
    for _ in 0..repeats {
        one.push(throughput(inputs, 1, duration, op)?);
        two.push(throughput(inputs, 2, duration, op)?);
    }
    Ok((median(one), median(two)))
}

/// Median seconds of `repeats` runs of `op` (for operations of milliseconds and more).
pub fn seconds<T>(repeats: usize, mut op: impl FnMut() -> T) -> f64 {
    let samples = (0..repeats.max(1))
        .map(|_| {
            let start = Instant::now();
            black_box(op());
            start.elapsed().as_secs_f64()
        })
        .collect();
    median(samples)
}

/// `u64` counts as `f64` for rates (exact below 2^53 calls, far above any bench run).
fn count_as_f64(n: u64) -> f64 {
    u32::try_from(n).map_or(f64::from(u32::MAX), f64::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_refusal() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(Vec::new()), 0.0);
        let failing = [Subject::new("broken", || false)];
        assert!(interleaved(&failing, 2, Duration::from_millis(1)).is_err());
        let ok = [Subject::new("sum", || black_box(2 + 2) == 4)];
        let t = interleaved(&ok, 3, Duration::from_millis(1)).unwrap();
        assert!(t[0] > 0.0);
        let rate = throughput(&[()], 2, Duration::from_millis(20), &|_| true).unwrap();
        assert!(rate > 0.0);
        assert!(throughput(&[()], 1, Duration::from_millis(5), &|_| false).is_err());
    }
}

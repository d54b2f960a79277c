//! Timers that keep ratios honest on a shared machine: subjects measured in alternating short
//! batches (load drift hits all of them alike), medians instead of means, and throughput on
//! one and two threads measured in alternation too. Besides wall time, each batch records the
//! thread's own CPU time (`CLOCK_THREAD_CPUTIME_ID`): time spent descheduled by other
//! processes on a busy machine does not count there.

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

/// Nanoseconds this thread has run on a CPU (`None` where there is no thread CPU clock).
#[cfg(unix)]
pub fn thread_cpu_nanos() -> Option<u64> {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    let secs = u64::try_from(t.tv_sec).ok()?;
    let nanos = u64::try_from(t.tv_nsec).ok()?;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// Nanoseconds this thread has run on a CPU (`None` where there is no thread CPU clock).
#[cfg(not(unix))]
pub fn thread_cpu_nanos() -> Option<u64> {
    None
}

/// Microseconds per call of one subject.
#[derive(Debug, Clone, Copy)]
pub struct PerCall {
    /// Median of the batches' wall time.
    pub wall: f64,
    /// Median of the batches' on-CPU time (equal to `wall` where the kernel does not say).
    pub cpu: f64,
}

/// Median microseconds per call of each subject, from `rounds` rounds of one ~`batch_time`
/// batch per subject. `Err` names a subject that failed instead of timing it.
pub fn interleaved(
    subjects: &[Subject<'_>],
    rounds: usize,
    batch_time: Duration,
) -> Result<Vec<PerCall>, String> {
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
    let mut wall: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); subjects.len()];
    let mut cpu: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); subjects.len()];
    for _ in 0..rounds {
        for (i, (s, batch)) in subjects.iter().zip(&batches).enumerate() {
            let cpu_start = thread_cpu_nanos();
            let start = Instant::now();
            for _ in 0..*batch {
                black_box((s.run)());
            }
            let elapsed = start.elapsed().as_secs_f64() * 1e6 / f64::from(*batch);
            let on_cpu = match (cpu_start, thread_cpu_nanos()) {
                (Some(a), Some(b)) => nanos_as_f64(b.saturating_sub(a)) / 1e3 / f64::from(*batch),
                _ => elapsed,
            };
            if let (Some(w), Some(c)) = (wall.get_mut(i), cpu.get_mut(i)) {
                w.push(elapsed);
                c.push(on_cpu);
            }
        }
    }
    Ok(wall
        .into_iter()
        .zip(cpu)
        .map(|(w, c)| PerCall {
            wall: median(w),
            cpu: median(c),
        })
        .collect())
}

/// The median (upper middle) of `v`; 0 for an empty vector.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Calls per second on some number of threads.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    /// Sum over threads of calls per wall-clock second.
    pub wall: f64,
    /// Sum over threads of calls per second on a CPU: what the threads would do if no other
    /// process took the cores (it falls below `threads ×` the one-thread rate only when the
    /// threads slow each other down: locks, shared cache lines, memory bandwidth).
    pub cpu: f64,
}

/// Calls per second of `op` on `threads` threads for `duration`, each thread on its own input
/// (`inputs[i]`). Every result is checked; a failure stops the run with `Err`.
pub fn throughput<I: Sync>(
    inputs: &[I],
    threads: usize,
    duration: Duration,
    op: &(dyn Fn(&I) -> bool + Sync),
) -> Result<Rate, String> {
    let failed = AtomicBool::new(false);
    let counts: Vec<(u64, f64, f64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .iter()
            .cycle()
            .take(threads)
            .map(|input| {
                let failed = &failed;
                scope.spawn(move || {
                    let cpu_start = thread_cpu_nanos();
                    let start = Instant::now();
                    let mut n: u64 = 0;
                    loop {
                        if !op(input) {
                            failed.store(true, Ordering::Relaxed);
                            break;
                        }
                        n = n.saturating_add(1);
                        if n.is_multiple_of(8) && start.elapsed() >= duration {
                            break;
                        }
                    }
                    let secs = start.elapsed().as_secs_f64();
                    let cpu_secs = match (cpu_start, thread_cpu_nanos()) {
                        (Some(a), Some(b)) => nanos_as_f64(b.saturating_sub(a)) / 1e9,
                        _ => secs,
                    };
                    (n, secs, cpu_secs)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or((0, 1.0, 1.0)))
            .collect()
    });
    if failed.load(Ordering::Relaxed) {
        return Err("an operation failed during the throughput run".into());
    }
    // Sums of per-thread rates: each thread's own calls over its own time.
    let rate = |n: u64, secs: f64| count_as_f64(n) / secs.max(f64::MIN_POSITIVE);
    Ok(Rate {
        wall: counts.iter().map(|(n, secs, _)| rate(*n, *secs)).sum(),
        cpu: counts.iter().map(|(n, _, cpu)| rate(*n, *cpu)).sum(),
    })
}

/// Median rates on 1 and on 2 threads over `repeats` alternating runs.
pub fn scaling<I: Sync>(
    inputs: &[I],
    repeats: usize,
    duration: Duration,
    op: &(dyn Fn(&I) -> bool + Sync),
) -> Result<(Rate, Rate), String> {
    let (mut one, mut two) = (Vec::new(), Vec::new());
    for _ in 0..repeats {
        one.push(throughput(inputs, 1, duration, op)?);
        two.push(throughput(inputs, 2, duration, op)?);
    }
    let med = |v: &[Rate]| Rate {
        wall: median(v.iter().map(|r| r.wall).collect()),
        cpu: median(v.iter().map(|r| r.cpu).collect()),
    };
    Ok((med(&one), med(&two)))
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

/// Nanoseconds as `f64` (exact below 2^53 ns, 104 days).
fn nanos_as_f64(n: u64) -> f64 {
    let high = u32::try_from(n >> 32).unwrap_or(u32::MAX);
    let low = u32::try_from(n & 0xffff_ffff).unwrap_or(0);
    f64::from(high) * 4_294_967_296.0 + f64::from(low)
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
        assert!(t[0].wall > 0.0 && t[0].cpu > 0.0);
        let rate = throughput(&[()], 2, Duration::from_millis(20), &|_| true).unwrap();
        assert!(rate.wall > 0.0 && rate.cpu > 0.0);
        assert_eq!(nanos_as_f64(5_000_000_000), 5e9);
        let a = thread_cpu_nanos();
        black_box((0..1_000_000u64).map(black_box).sum::<u64>());
        if let (Some(a), Some(b)) = (a, thread_cpu_nanos()) {
            assert!(b > a, "the thread ran: its CPU time grew");
        }
        assert!(throughput(&[()], 1, Duration::from_millis(5), &|_| false).is_err());
    }
}

//! Latency percentiles, RSS samples and the memory flatness rule. Pure: the soak and the
//! benchmarks hand in what they measured.

use std::time::Duration;

/// Latencies of one step, in the order they were measured.
#[derive(Debug, Clone, Default)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    /// Adds one measurement.
    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    /// Appends another set (one per wallet task, merged at the end).
    pub fn extend(&mut self, other: &Latencies) {
        self.0.extend_from_slice(&other.0);
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when nothing was measured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The nearest-rank percentile (`p` in 0..=100): the smallest measurement with at least
    /// `p`% of the measurements at or below it. No interpolation, so p99 of 100 values is the
    /// 99th, a value that was actually seen.
    pub fn percentile(&self, p: u32) -> Option<Duration> {
        if self.0.is_empty() {
            return None;
        }
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        let n = sorted.len();
        let p = usize::try_from(p.min(100)).unwrap_or(100);
        // ceil(p * n / 100), at least 1.
        let rank = (p * n).div_ceil(100).max(1);
        sorted.get(rank - 1).copied()
    }

    /// The arithmetic mean.
    pub fn mean(&self) -> Option<Duration> {
        let n = u32::try_from(self.0.len()).ok().filter(|n| *n > 0)?;
        let total: Duration = self.0.iter().sum();
        Some(total / n)
    }
}

/// Milliseconds with two decimals, for the tables.
pub fn ms(d: Option<Duration>) -> String {
    match d {
        Some(d) => format!("{:.2}", d.as_secs_f64() * 1000.0),
        None => "–".into(),
    }
}

/// The resident set size in KiB from the text of `/proc/<pid>/status` (`VmRSS:  1234 kB`).
pub fn vm_rss_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// One RSS sample: seconds since the load started, KiB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RssSample {
    /// Seconds since the start of the load.
    pub at: f64,
    /// Resident set size, KiB.
    pub kib: u64,
}

/// The flatness verdict on a run's RSS samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Flatness {
    /// Window length, seconds.
    pub window: f64,
    /// Mean RSS (KiB) over the second window (after one window of warm-up).
    pub baseline_kib: f64,
    /// Mean RSS (KiB) over the last window.
    pub last_kib: f64,
    /// `last / baseline`.
    pub ratio: f64,
    /// `ratio <= 1 + tolerance`.
    pub flat: bool,
}

/// The memory rule: the mean RSS of the last window must stay within `tolerance` (0.10 =
/// +10 %) of the mean over the second window. The window is one minute, or a fifth of the run
/// when it is shorter than five minutes. The first window is skipped because it holds the
/// warm-up (connection pools filling, TLS and status-list caches, the allocator's arenas
/// growing to peak concurrency); a leak keeps growing after it, a warm-up does not.
/// `None` when either window holds no sample.
pub fn flatness(samples: &[RssSample], duration: f64, tolerance: f64) -> Option<Flatness> {
    let window = (duration / 5.0).min(60.0);
    if window <= 0.0 {
        return None;
    }
    let mean = |lo: f64, hi: f64| {
        let inside: Vec<f64> = samples
            .iter()
            .filter(|s| s.at >= lo && s.at < hi)
            .map(|s| f64::from(u32::try_from(s.kib).unwrap_or(u32::MAX)))
            .collect();
        if inside.is_empty() {
            None
        } else {
            let count = f64::from(u32::try_from(inside.len()).unwrap_or(u32::MAX));
            Some(inside.iter().sum::<f64>() / count)
        }
    };
    let baseline = mean(window, 2.0 * window)?;
    let last = mean(duration - window, duration + 1.0)?;
    let ratio = last / baseline;
    Some(Flatness {
        window,
        baseline_kib: baseline,
        last_kib: last,
        ratio,
        flat: ratio <= 1.0 + tolerance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lat(ms: &[u64]) -> Latencies {
        let mut l = Latencies::default();
        for m in ms {
            l.push(Duration::from_millis(*m));
        }
        l
    }

    #[test]
    fn nearest_rank_percentiles() {
        let l = lat(&(1..=100).rev().collect::<Vec<_>>());
        assert_eq!(l.percentile(50), Some(Duration::from_millis(50)));
        assert_eq!(l.percentile(95), Some(Duration::from_millis(95)));
        assert_eq!(l.percentile(99), Some(Duration::from_millis(99)));
        assert_eq!(l.percentile(100), Some(Duration::from_millis(100)));
        assert_eq!(l.percentile(0), Some(Duration::from_millis(1)));
        let small = lat(&[30, 10, 20]);
        assert_eq!(small.percentile(50), Some(Duration::from_millis(20)));
        assert_eq!(small.percentile(99), Some(Duration::from_millis(30)));
        assert_eq!(small.mean(), Some(Duration::from_millis(20)));
        assert_eq!(Latencies::default().percentile(50), None);
        assert_eq!(ms(Some(Duration::from_micros(1500))), "1.50");
    }

    #[test]
    fn reads_vm_rss() {
        let status = "Name:\tkakehashi\nVmPeak:\t  999 kB\nVmRSS:\t   51234 kB\nThreads:\t4\n";
        assert_eq!(vm_rss_kib(status), Some(51234));
        assert_eq!(vm_rss_kib("Name:\tx\n"), None);
    }

    fn ramp(duration: u32, f: impl Fn(u64) -> u64) -> Vec<RssSample> {
        (0..=duration)
            .map(|t| RssSample {
                at: f64::from(t),
                kib: f(u64::from(t)),
            })
            .collect()
    }

    #[test]
    fn warm_up_then_flat_passes_and_a_leak_fails() {
        // Fast growth during the first minute, then flat with noise: flat.
        let warm = ramp(300, |t| {
            if t < 60 {
                50_000 + 500 * t
            } else {
                80_000 + (t % 3) * 100
            }
        });
        let f = flatness(&warm, 300.0, 0.10).unwrap();
        assert_eq!(f.window, 60.0);
        assert!(f.flat, "{f:?}");
        // +100 KiB a second after warm-up: +24 MB over four minutes against ~86 MB: a leak.
        let leak = ramp(300, |t| 80_000 + 100 * t);
        let f = flatness(&leak, 300.0, 0.10).unwrap();
        assert!(!f.flat, "{f:?}");
        assert!(f.ratio > 1.15, "{f:?}");
    }

    #[test]
    fn short_runs_use_fifths_and_empty_windows_say_none() {
        let samples = ramp(15, |_| 10_000);
        let f = flatness(&samples, 15.0, 0.10).unwrap();
        assert_eq!(f.window, 3.0);
        assert!(f.flat);
        assert_eq!(f.ratio, 1.0);
        assert_eq!(flatness(&[], 300.0, 0.10), None);
        assert_eq!(flatness(&samples, 0.0, 0.10), None);
    }
}

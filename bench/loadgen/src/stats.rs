//! Latency histogram and counts of one scenario.

use hdrhistogram::Histogram;
use std::time::{Duration, Instant};

/// Latencies are kept in microseconds, up to 60 s, with 3 significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("static histogram bounds are valid")
}

#[derive(Debug)]
pub struct Stats {
    latencies: Histogram<u64>,
    pub ok: u64,
    pub errors: u64,
    /// The first error seen, to say what went wrong.
    pub first_error: Option<String>,
    /// When the last measured request finished.
    pub last_done: Option<Instant>,
    /// Requests sent in the warm-up and the measured window alike, those still in flight at the end
    /// included (the server did, or finishes, that work too).
    pub sent: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            latencies: histogram(),
            ok: 0,
            errors: 0,
            first_error: None,
            last_done: None,
            sent: 0,
        }
    }
}

impl Stats {
    pub fn record(&mut self, latency: Duration, ok: bool, done: Instant) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latencies.saturating_record(micros.max(1));
        if ok {
            self.ok += 1;
        } else {
            self.errors += 1;
        }
        self.last_done = Some(done);
    }

    pub fn error(&mut self, what: impl FnOnce() -> String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(what());
        }
    }

    pub fn merge(&mut self, other: Stats) {
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.latencies.add(&other.latencies);
        self.ok += other.ok;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.last_done = self.last_done.max(other.last_done);
        self.sent += other.sent;
    }

    pub fn requests(&self) -> u64 {
        self.ok + self.errors
    }

    pub fn percentile_ms(&self, q: f64) -> f64 {
        self.latencies.value_at_quantile(q) as f64 / 1000.0
    }
}

/// What a scenario measured: the line that gets printed.
#[derive(Debug)]
pub struct Outcome {
    pub name: String,
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub first_error: Option<String>,
    /// Requests sent, warm-up and those in flight at the end included.
    pub sent: u64,
}

impl Outcome {
    pub fn new(name: &str, stats: &Stats, seconds: f64) -> Outcome {
        Outcome {
            name: name.to_string(),
            requests: stats.requests(),
            errors: stats.errors,
            seconds,
            p50_ms: stats.percentile_ms(0.50),
            p99_ms: stats.percentile_ms(0.99),
            first_error: stats.first_error.clone(),
            sent: stats.sent,
        }
    }

    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }

    pub fn line(&self) -> String {
        let mut s = format!(
            "{:<16} {:>10.1} req/s   p50 {:>8.2} ms   p99 {:>8.2} ms   errors {:>6}   ({} requests in {:.1} s)",
            self.name,
            self.rate(),
            self.p50_ms,
            self.p99_ms,
            self.errors,
            self.requests,
            self.seconds
        );
        if let Some(e) = &self.first_error {
            s.push_str(&format!("\n{:<16} first error: {e}", ""));
        }
        s
    }
}

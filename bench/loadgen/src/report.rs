//! The targets of the benchmark issue, and the summary rows `bench/run` prints.

use crate::argon::Baseline;
use crate::stats::Outcome;
use std::fmt::Write as _;

/// Sign-in should reach this share of raw argon2id verification on the same cores.
pub const SIGNIN_SHARE: f64 = 0.90;

/// The slowest (99th percentile) rightful sign-in during a flood, in milliseconds.
pub const FLOOD_P99_MS: f64 = 1_000.0;

/// The request rate a scenario should reach on a 2-core machine. Discovery's target is a share of
/// the JWKS rate, which `bench/run` checks from both rows. Code exchange: 8,000 req/s on SQLite;
/// `bench/run` sets `BENCH_CODE_EXCHANGE_TARGET` (4,000) on PostgreSQL.
pub fn target_rate(name: &str) -> Option<f64> {
    match name {
        "jwks" => Some(50_000.0),
        "cc-es256" => Some(30_000.0),
        "cc-rs256" => Some(2_400.0),
        "code-exchange" => Some(
            std::env::var("BENCH_CODE_EXCHANGE_TARGET")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(8_000.0),
        ),
        // A throttled attempt runs no hashing.
        "throttled" => Some(10_000.0),
        _ => None,
    }
}

fn yes_no(met: bool) -> &'static str {
    if met { "yes" } else { "no" }
}

/// One tab-separated row: what, result, p50, p99, errors, target, met.
pub fn row(outcome: &Outcome, baseline: Option<&Baseline>) -> String {
    let (target, met) = match (outcome.name.as_str(), target_rate(&outcome.name), baseline) {
        (_, Some(t), _) => (
            format!(">= {t:.0} req/s"),
            yes_no(outcome.rate() >= t).into(),
        ),
        ("signin", None, Some(b)) if b.rate() > 0.0 => {
            let share = outcome.rate() / b.rate();
            (
                format!(">= 90% of argon2id ({:.1}/s)", b.rate() * SIGNIN_SHARE),
                format!("{} ({:.0}%)", yes_no(share >= SIGNIN_SHARE), share * 100.0),
            )
        }
        // The rightful people during a flood: every sign-in succeeds, quickly enough.
        ("flood-rightful", None, _) => (
            format!("0 errors, p99 <= {FLOOD_P99_MS:.0} ms"),
            yes_no(outcome.errors == 0 && outcome.p99_ms <= FLOOD_P99_MS).into(),
        ),
        _ => ("-".to_string(), "-".to_string()),
    };
    let mut s = String::new();
    let _ = write!(
        s,
        "{}\t{:.1} req/s\t{:.2} ms\t{:.2} ms\t{}\t{target}\t{met}",
        outcome.name,
        outcome.rate(),
        outcome.p50_ms,
        outcome.p99_ms,
        outcome.errors
    );
    s
}

pub fn baseline_row(b: &Baseline, threads: usize) -> String {
    format!(
        "argon2id verify ({threads} threads)\t{:.1} /s\t-\t-\t{}\t-\t-",
        b.rate(),
        b.failures
    )
}

pub fn baseline_line(b: &Baseline, threads: usize) -> String {
    format!(
        "{:<16} {:>10.1} verifications/s on {threads} threads   failures {}   ({} in {:.1} s; m={} KiB, t={}, p=1)",
        "argon2id",
        b.rate(),
        b.failures,
        b.verifications,
        b.seconds,
        crate::argon::MEMORY_KIB,
        crate::argon::PASSES
    )
}

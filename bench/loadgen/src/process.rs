//! What /proc says about the server process: memory high-water mark and CPU time.

use std::time::{Duration, Instant};

/// A `kB` field of /proc/PID/status, such as `VmHWM` (peak RSS) or `VmRSS`.
pub fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// User plus system CPU time of the process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at field 3; utime is 14, stime 15.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Waits (at most `limit`) until the server uses under 5% of a core over 200 ms, so work left
/// over from one scenario (e.g. queued password checks) does not count against the next.
pub async fn settle(pid: u32, limit: Duration) -> Duration {
    let start = Instant::now();
    let step = Duration::from_millis(200);
    // Clock ticks are 1/100 s on Linux: 1 tick in 200 ms is 5% of a core.
    let Some(mut last) = cpu_ticks(pid) else {
        return Duration::ZERO;
    };
    while start.elapsed() < limit {
        tokio::time::sleep(step).await;
        let Some(now) = cpu_ticks(pid) else { break };
        if now.saturating_sub(last) <= 1 {
            break;
        }
        last = now;
    }
    start.elapsed()
}

/// "VmRSS … MB, VmHWM … MB" (MB = 10^6 bytes).
pub fn memory_line(pid: u32) -> String {
    let mb = |kb: Option<u64>| {
        kb.map(|k| format!("{:.1} MB", k as f64 * 1024.0 / 1e6))
            .unwrap_or_else(|| "?".into())
    };
    format!(
        "server VmRSS {}, VmHWM {}",
        mb(status_kb(pid, "VmRSS")),
        mb(status_kb(pid, "VmHWM"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_process() {
        let me = std::process::id();
        assert!(status_kb(me, "VmHWM").is_some_and(|kb| kb > 0));
        assert!(cpu_ticks(me).is_some());
    }
}

//! The closed-loop driver: N connections, each sending its next request as soon as the last one
//! is answered, for a warm-up and then a fixed measured window. Answers that arrive inside the
//! window are counted; at the deadline every loop stops and requests still in flight are dropped.

use crate::client::{self, Reply, Target};
use crate::stats::{Outcome, Stats};
use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::time::{sleep, timeout_at};

/// Pause before reconnecting after a failed connection, so a dead server is not spun on.
const RECONNECT_PAUSE: Duration = Duration::from_millis(20);

/// What the connections send and how answers are judged.
pub trait Workload: Send + Sync + 'static {
    /// The next request, or `None` when there is nothing left to send (e.g. codes ran out).
    fn next(&self, target: &Target) -> Option<Request<Full<Bytes>>>;
    /// Whether the answer counts as a success (it may also take something from it).
    fn accept(&self, reply: &Reply) -> bool;
}

#[derive(Clone, Copy, Debug)]
pub struct LoadOptions {
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// Runs `work` and reports the measured window (answers that arrived after the warm-up). With
/// several targets (server processes behind one name), connection `i` goes to target `i mod n`, so
/// the connections are spread evenly, as a round-robin load balancer would spread them.
pub async fn drive<W: Workload>(
    name: &str,
    targets: &[Target],
    work: Arc<W>,
    opts: LoadOptions,
) -> Outcome {
    let measure_from = Instant::now() + opts.warmup;
    let deadline = measure_from + opts.duration;
    let tasks: Vec<_> = (0..opts.concurrency.max(1))
        .map(|i| {
            let (target, work) = (targets[i % targets.len()].clone(), work.clone());
            tokio::spawn(connection_loop(target, work, measure_from, deadline))
        })
        .collect();
    let mut total = Stats::default();
    for task in tasks {
        match task.await {
            Ok(stats) => total.merge(stats),
            Err(e) => total.error(|| format!("connection task failed: {e}")),
        }
    }
    // A workload that ran out early is measured until its last answer, not the whole window.
    let end = total.last_done.unwrap_or(deadline).min(deadline);
    let seconds = end.saturating_duration_since(measure_from).as_secs_f64();
    Outcome::new(name, &total, seconds)
}

async fn connection_loop<W: Workload>(
    target: Target,
    work: Arc<W>,
    measure_from: Instant,
    deadline: Instant,
) -> Stats {
    let mut stats = Stats::default();
    let mut sender = None;
    let tokio_deadline = tokio::time::Instant::from_std(deadline);
    while Instant::now() < deadline {
        let mut conn = match sender.take() {
            Some(s) => s,
            None => match timeout_at(tokio_deadline, client::connect(&target)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    if Instant::now() >= measure_from {
                        stats.error(|| format!("connect: {e}"));
                    }
                    sleep(RECONNECT_PAUSE).await;
                    continue;
                }
                Err(_) => break,
            },
        };
        // A connection the server closed is replaced before a request is taken from the workload.
        match timeout_at(tokio_deadline, conn.ready()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => continue,
            Err(_) => break,
        }
        let Some(req) = work.next(&target) else {
            break;
        };
        stats.sent += 1;
        let started = Instant::now();
        let answer = timeout_at(tokio_deadline, client::send(&mut conn, req)).await;
        let done = Instant::now();
        let measured = done >= measure_from;
        match answer {
            Ok(Ok(reply)) => {
                let ok = work.accept(&reply);
                if measured {
                    stats.record(done - started, ok, done);
                    if !ok && stats.first_error.is_none() {
                        stats.first_error =
                            Some(format!("status {}: {}", reply.status, reply.snippet()));
                    }
                }
                sender = Some(conn);
            }
            Ok(Err(e)) => {
                if measured {
                    stats.error(|| format!("request: {e}"));
                }
            }
            // Still in flight at the deadline: dropped, not counted.
            Err(_) => break,
        }
    }
    stats
}

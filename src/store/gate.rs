//! Admission to a connection pool: callers queue here, cheaply, before a blocking thread is taken, and
//! the gate counts how often they had to (read by `/metrics` when it is scraped).

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use tokio::sync::{Semaphore, SemaphorePermit};

pub struct Gate {
    name: &'static str,
    permits: Semaphore,
    /// Calls that found every permit taken and waited.
    waits: AtomicU64,
    /// Calls waiting now.
    waiting: AtomicI64,
}

/// A gate's counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateStats {
    pub gate: &'static str,
    pub waits: u64,
    pub waiting: i64,
}

/// Lowers the waiting count again when dropped (also when the waiting future is cancelled).
struct Waiting<'a>(&'a AtomicI64);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Gate {
    pub fn new(name: &'static str, permits: usize) -> Gate {
        Gate {
            name,
            permits: Semaphore::new(permits),
            waits: AtomicU64::new(0),
            waiting: AtomicI64::new(0),
        }
    }

    /// Takes a permit, waiting (and counting the wait) when none is free.
    pub async fn admit(&self) -> Result<SemaphorePermit<'_>> {
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        self.waits.fetch_add(1, Ordering::Relaxed);
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let _waiting = Waiting(&self.waiting);
        self.permits.acquire().await.map_err(Error::internal)
    }

    pub fn stats(&self) -> GateStats {
        GateStats {
            gate: self.name,
            waits: self.waits.load(Ordering::Relaxed),
            waiting: self.waiting.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_gate_counts_who_waits() {
        let gate = std::sync::Arc::new(Gate::new("read", 1));
        let held = gate.admit().await.unwrap();
        assert_eq!(gate.stats().waits, 0);
        let g = gate.clone();
        let waiter = tokio::spawn(async move {
            let _p = g.admit().await.unwrap();
        });
        while gate.stats().waiting == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(gate.stats().waits, 1);
        drop(held);
        waiter.await.unwrap();
        assert_eq!(gate.stats().waiting, 0);
    }
}

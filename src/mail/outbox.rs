//! The durable outbox. `enqueue` runs inside the caller's transaction, so an email exists exactly when
//! the change that sends it committed. The worker claims due messages with a lease, delivers them,
//! and retries failures with exponential backoff. A crash between delivery and "mark sent" leads to
//! one more delivery once the lease expires: at least once, at most twice, never lost.
//!
//! No live link at rest: an invitation email carries its redemption link, whose ticket exists nowhere
//! else (the invitation keeps only its hash), so the body cannot be rendered again at send time. The
//! outbox therefore keeps the complete message only while it may still be sent, and clears the body in
//! the same update that records the delivery (`sent`) or gives up on it (`failed`); the row keeps what
//! an operator needs to follow up (recipient, kind, state, attempts, times, last error). A lost email
//! is followed up by resending the invitation, which makes a new ticket. The alternative, encrypting
//! the body under a server key until delivery, would also cover pending messages, but needs a key that
//! every process shares, rotates and keeps apart from the database, for a window of minutes (hours at
//! most, during a mail outage) before the link leaves for the recipient's mailbox anyway.

use super::transport::Transport;
use super::{OutgoingEmail, build};
use crate::error::Result;
use crate::store::Store;
use crate::store::connection::AnyConnection;
use crate::store::models::OutboxRow;
use crate::store::queries::outbox as q;
use futures_util::StreamExt;
use lettre::message::Mailbox;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Queues `email` in the current transaction; returns the outbox id.
pub fn enqueue(
    c: &mut AnyConnection,
    from: &Mailbox,
    host: &str,
    tenant_id: &str,
    kind: &str,
    email: &OutgoingEmail,
    now: i64,
) -> Result<String> {
    let id = uuid::Uuid::new_v4().to_string();
    let (to, raw) = build(from, email, &id, host)?;
    q::insert(
        c,
        &OutboxRow {
            id: id.clone(),
            tenant_id: tenant_id.to_string(),
            kind: kind.to_string(),
            recipient: to.to_string(),
            message: raw,
            state: q::PENDING.into(),
            attempts: 0,
            next_attempt_at: now,
            claim: None,
            claimed_until: None,
            last_error: None,
            created_at: now,
            sent_at: None,
        },
    )?;
    Ok(id)
}

/// Due messages read per round.
const PAGE: i64 = 100;

/// Deliveries in flight at once.
const SENDERS: usize = 8;

/// How the worker retries.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Delay after the first failure; doubled after each further one.
    pub base_delay_secs: i64,
    pub max_delay_secs: i64,
    /// Attempts before a message is marked failed.
    pub max_attempts: i64,
    /// How long a claim lasts; a crashed sender's messages become due again after it.
    pub lease_secs: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_delay_secs: 30,
            max_delay_secs: 3600,
            max_attempts: 12,
            lease_secs: 120,
        }
    }
}

impl RetryPolicy {
    /// The default policy, its first delay from `mail_retry_delay`.
    pub fn for_config(config: &crate::config::Config) -> RetryPolicy {
        RetryPolicy {
            base_delay_secs: config.mail_retry_delay,
            ..RetryPolicy::default()
        }
    }

    /// Back-channel logout deliveries: 10 s (`logout_retry_delay`), 20 s, … capped at ten minutes, ten
    /// attempts (about an hour, after which a token tells an app little its own session expiry has not),
    /// and a lease well beyond the request timeout.
    pub fn for_logout(config: &crate::config::Config) -> RetryPolicy {
        RetryPolicy {
            base_delay_secs: config.logout_retry_delay,
            max_delay_secs: 600,
            max_attempts: 10,
            lease_secs: 120,
        }
    }

    /// Seconds to wait after the `attempts`-th failed attempt (1-based): base · 2^(attempts-1), capped.
    pub fn delay_after(&self, attempts: i64) -> i64 {
        let shift = (attempts.max(1) - 1).min(30) as u32;
        self.base_delay_secs
            .saturating_mul(1i64 << shift)
            .min(self.max_delay_secs)
    }
}

pub struct OutboxWorker {
    pub store: Store,
    pub transport: Transport,
    pub from: Mailbox,
    pub policy: RetryPolicy,
    /// Identifies this process's claims.
    pub claim: String,
}

impl OutboxWorker {
    /// Delivers the messages due now (one page of them); returns how many were delivered.
    pub async fn run_once(&self) -> Result<usize> {
        Ok(self.deliver_page(&watch::channel(false).1).await?.0)
    }

    /// (delivered, seen) for one page of due messages; once `stop` is true no further message of the
    /// page is claimed (those already claimed are delivered and recorded).
    async fn deliver_page(&self, stop: &watch::Receiver<bool>) -> Result<(usize, usize)> {
        let now = crate::clock::now();
        let due = self.store.read(move |c| q::due(c, now, PAGE)).await?;
        let seen = due.len();
        // Deliveries wait on the mail server, not on us: several at once (each under its own claim).
        let results: Vec<Result<bool>> = futures_util::stream::iter(due)
            .map(|id| self.deliver_one(id, now, stop))
            .buffer_unordered(SENDERS)
            .collect()
            .await;
        let mut delivered = 0;
        for r in results {
            delivered += usize::from(r?);
        }
        Ok((delivered, seen))
    }

    /// Claims, delivers and records one message; true when it was delivered.
    async fn deliver_one(
        &self,
        id: String,
        now: i64,
        stop: &watch::Receiver<bool>,
    ) -> Result<bool> {
        if *stop.borrow() {
            return Ok(false); // stopping: leave it for the next worker
        }
        let (claim, lease) = (self.claim.clone(), now + self.policy.lease_secs);
        let Some(msg) = self
            .store
            .write(move |c| q::claim(c, &id, &claim, now, lease))
            .await?
        else {
            return Ok(false); // another worker has it
        };
        let result = self
            .transport
            .deliver(&msg.id, &self.from, &msg.recipient, &msg.message)
            .await;
        let claim = self.claim.clone();
        let attempts = msg.attempts + 1;
        let policy = self.policy;
        match result {
            Ok(()) => {
                self.store
                    .write(move |c| q::mark_sent(c, &msg.id, &claim, crate::clock::now()))
                    .await?;
                crate::observability::metrics::outbox_sent();
                Ok(true)
            }
            Err(e) => {
                let give_up = attempts >= policy.max_attempts;
                crate::observability::metrics::outbox_failed(give_up);
                tracing::warn!(outbox_id = %msg.id, attempts, give_up, error = %e, "email delivery failed");
                let next = crate::clock::now() + policy.delay_after(attempts);
                let error = e.to_string();
                self.store
                    .write(move |c| {
                        q::mark_attempt_failed(c, &msg.id, &claim, &error, next, give_up)
                    })
                    .await?;
                Ok(false)
            }
        }
    }

    /// Runs the worker every `interval` until the process ends.
    pub fn spawn(self: Arc<Self>, interval: Duration) {
        // The sender is dropped at once: nothing ever asks this worker to stop.
        drop(self.spawn_until(interval, watch::channel(false).1));
    }

    /// Runs the worker every `interval` until `stop` turns true (graceful shutdown). Then it claims
    /// no further message, finishes the deliveries it has started (recording each as sent or failed),
    /// and the returned task ends. Messages it never claimed stay due for any other worker; should the
    /// process be killed mid-delivery, that message's lease expires and it is sent again (at least
    /// once, as after a crash).
    pub fn spawn_until(
        self: Arc<Self>,
        interval: Duration,
        mut stop: watch::Receiver<bool>,
    ) -> actix_web::rt::task::JoinHandle<()> {
        actix_web::rt::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stopped(&mut stop) => break,
                }
                // Drain: keep going while a whole page of messages was due, then wait for the tick.
                while !*stop.borrow() {
                    match self.deliver_page(&stop).await {
                        Ok((_, seen)) if seen == PAGE as usize => continue,
                        Ok(_) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, "the outbox worker could not run");
                            break;
                        }
                    }
                }
            }
            tracing::info!("the outbox worker stopped");
        })
    }
}

/// Resolves once `stop` is true; never, when nobody can ask any more (the sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy {
            base_delay_secs: 30,
            max_delay_secs: 3600,
            max_attempts: 12,
            lease_secs: 120,
        };
        assert_eq!(p.delay_after(1), 30);
        assert_eq!(p.delay_after(2), 60);
        assert_eq!(p.delay_after(3), 120);
        assert_eq!(p.delay_after(10), 3600);
        assert_eq!(p.delay_after(1000), 3600);
    }
}

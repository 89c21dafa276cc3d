//! Sending webhook messages. Each process runs a [`WebhookDeliverer`]: it leases due deliveries (a
//! conditional update, so two processes never send the same one at the same time), signs each with the
//! endpoint's current secret (`webhook-id`, `webhook-timestamp`, `webhook-signature`), POSTs the JSON
//! body, and retries anything but a 2xx on the Standard Webhooks schedule for up to a day.
//!
//! Requests go through the guarded client of [`crate::service::outbound`]: never to private, loopback
//! or link-local addresses unless the operator allows them, no redirects, no proxy.

use super::secret_purpose;
use crate::domain::webhook::{retry_after, signature};
use crate::error::Result;
use crate::service::{Services, outbound};
use crate::store::models::WebhookDeliveryRow;
use crate::store::queries::webhooks as q;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;

/// Due deliveries read per round.
const PAGE: i64 = 200;

/// Deliveries in flight at once per process.
const SENDERS: usize = 16;

/// How long a receiver may take to answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a claim lasts; a crashed process's deliveries become due again after it. Well beyond the
/// request timeout, and taken when the message is claimed (not when its page was read).
const LEASE_SECS: i64 = 120;

pub struct WebhookDeliverer {
    svc: Services,
    http: reqwest::Client,
    claim: String,
}

/// Why a message was not delivered.
struct Undelivered {
    status: Option<i32>,
    error: String,
    /// Retrying cannot help (a refused address, an endpoint that is gone).
    last: bool,
}

impl WebhookDeliverer {
    pub fn new(svc: &Services) -> Result<WebhookDeliverer> {
        Ok(WebhookDeliverer {
            svc: svc.clone(),
            http: outbound::client(svc.config.webhook_allow_private, REQUEST_TIMEOUT)?,
            claim: uuid::Uuid::new_v4().to_string(),
        })
    }

    /// Sends the messages due now (one page of them); returns how many the receivers acknowledged.
    pub async fn run_once(&self) -> Result<usize> {
        Ok(self.page().await?.0)
    }

    /// (acknowledged, seen) for one page of due messages.
    async fn page(&self) -> Result<(usize, usize)> {
        let now = self.svc.now();
        let due = self.svc.store.read(move |c| q::due(c, now, PAGE)).await?;
        let seen = due.len();
        let sent: Vec<Result<bool>> = futures_util::stream::iter(due)
            .map(|id| self.deliver_one(id))
            .buffer_unordered(SENDERS)
            .collect()
            .await;
        let mut delivered = 0;
        for s in sent {
            delivered += usize::from(s?);
        }
        Ok((delivered, seen))
    }

    async fn deliver_one(&self, id: String) -> Result<bool> {
        let (claim, now) = (self.claim.clone(), self.svc.now());
        let Some(row) = self
            .svc
            .store
            .write(move |c| q::claim(c, &id, &claim, now, now + LEASE_SECS))
            .await?
        else {
            return Ok(false);
        };
        let outcome = self.send(&row).await;
        let at = self.svc.now();
        let attempts = row.attempts + 1;
        let (state, status, error, next) = match &outcome {
            Ok(status) => (q::DELIVERED, Some(*status), None, at),
            Err(u) => {
                let retry = if u.last {
                    None
                } else {
                    let age = at - row.created_at;
                    retry_after(attempts, self.svc.config.webhook_retry_delay, age)
                };
                let state = if retry.is_some() {
                    q::PENDING
                } else {
                    q::FAILED
                };
                (
                    state,
                    u.status,
                    Some(u.error.clone()),
                    at + retry.unwrap_or(0),
                )
            }
        };
        crate::observability::metrics::webhook_delivery(match state {
            q::DELIVERED => "delivered",
            q::PENDING => "retry",
            _ => "gave_up",
        });
        if let Err(u) = &outcome {
            tracing::warn!(delivery = %row.id, endpoint = %row.endpoint_id, attempts, state, error = %u.error, "webhook delivery failed");
        }
        let claim = self.claim.clone();
        self.svc
            .store
            .write(move |c| {
                q::record_attempt(
                    c,
                    &q::Attempt {
                        id: &row.id,
                        claim: &claim,
                        state,
                        status,
                        error: error.as_deref(),
                        next_attempt_at: next,
                        now: at,
                    },
                )
            })
            .await?;
        Ok(outcome.is_ok())
    }

    /// Signs and POSTs one message: the receiver's status when it was 2xx.
    async fn send(&self, row: &WebhookDeliveryRow) -> std::result::Result<i32, Undelivered> {
        let fail = |error: String, last: bool| Undelivered {
            status: None,
            error,
            last,
        };
        let endpoint_id = row.endpoint_id.clone();
        let endpoint = self
            .svc
            .store
            .read(move |c| q::endpoint_by_id(c, &endpoint_id))
            .await
            .map_err(|e| fail(e.to_string(), false))?
            .filter(|e| e.enabled)
            .ok_or_else(|| fail("the endpoint is gone or disabled".into(), true))?;
        let url = url::Url::parse(&endpoint.url).map_err(|e| fail(e.to_string(), true))?;
        if let Some(why) = outbound::refused_literal(&url, self.svc.config.webhook_allow_private) {
            return Err(fail(why, true));
        }
        let secret = self
            .svc
            .sealer
            .open(&secret_purpose(&endpoint.id), &endpoint.secret_sealed)
            .map_err(|e| fail(e.to_string(), false))?;
        let timestamp = self.svc.now();
        let mut signed = signature(&secret, &row.message_id, timestamp, &row.payload)
            .ok_or_else(|| fail("the signing secret is not usable".into(), true))?;
        // Within a rotation's grace period the previous secret signs too: Standard Webhooks
        // receivers accept a message when any of the space-separated signatures verifies.
        if let (Some(previous), Some(until)) = (
            &endpoint.previous_secret_sealed,
            endpoint.previous_secret_until,
        ) && until > timestamp
        {
            let old = self
                .svc
                .sealer
                .open(&secret_purpose(&endpoint.id), previous)
                .map_err(|e| fail(e.to_string(), false))?;
            if let Some(also) = signature(&old, &row.message_id, timestamp, &row.payload) {
                signed = format!("{signed} {also}");
            }
        }
        let answer = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &row.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signed)
            .body(row.payload.clone())
            .send()
            .await
            .map_err(|e| match outbound::refusal(&e) {
                Some(why) => fail(why, true),
                None => fail(outbound::unanswered(e), false),
            })?;
        let status = i32::from(answer.status().as_u16());
        if answer.status().is_success() {
            Ok(status)
        } else {
            Err(Undelivered {
                status: Some(status),
                error: format!("the receiver answered {status}"),
                last: false,
            })
        }
    }

    /// Runs the deliverer every `interval` (and at once again after a full page) until the process
    /// ends.
    pub fn spawn(self: Arc<Self>, interval: Duration) {
        crate::service::rounds::repeat(interval, "webhook round", move || {
            let me = self.clone();
            async move { Ok(me.page().await?.1 as i64 == PAGE) }
        });
    }
}

//! Sending webhook messages. Each process runs a [`WebhookDeliverer`]: it leases due deliveries (a
//! conditional update, so two processes never send the same one at the same time), signs each with the
//! endpoint's current secret (`webhook-id`, `webhook-timestamp`, `webhook-signature`), POSTs the JSON
//! body, and retries anything but a 2xx on the Standard Webhooks schedule for up to a day.
//!
//! Outbound requests never reach private, loopback or link-local addresses unless the operator allows
//! them (`GUESTLIST_WEBHOOK_ALLOW_PRIVATE`): IP literals are checked before sending, host names after
//! resolution by the client's own resolver (so the address checked is the address connected to), and
//! redirects are not followed.

use super::secret_purpose;
use crate::domain::webhook::{is_forbidden, retry_after, signature};
use crate::error::{Error, Result};
use crate::service::Services;
use crate::store::models::WebhookDeliveryRow;
use crate::store::queries::webhooks as q;
use futures_util::StreamExt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Due deliveries read per round.
const PAGE: i64 = 200;

/// Deliveries in flight at once per process.
const SENDERS: usize = 16;

/// How long a receiver may take to answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a claim lasts; a crashed process's deliveries become due again after it.
const LEASE_SECS: i64 = 60;

pub struct WebhookDeliverer {
    svc: Services,
    http: reqwest::Client,
    claim: String,
}

/// A resolver that refuses names resolving to a forbidden address (any of them).
struct PublicOnly;

/// The refusal, recognised in the client's error chain so the delivery is given up at once.
#[derive(Debug)]
struct PrivateAddress(String);

impl std::fmt::Display for PrivateAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "refused: {} is a private, loopback or link-local address",
            self.0
        )
    }
}

impl std::error::Error for PrivateAddress {}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = addrs.iter().find(|a| is_forbidden(a.ip())) {
                return Err(Box::new(PrivateAddress(format!("{host} ({})", bad.ip())))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
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
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("guestlist/", env!("CARGO_PKG_VERSION")));
        if !svc.config.webhook_allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(WebhookDeliverer {
            svc: svc.clone(),
            http: builder.build().map_err(Error::internal)?,
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
            .map(|id| self.deliver_one(id, now))
            .buffer_unordered(SENDERS)
            .collect()
            .await;
        let mut delivered = 0;
        for s in sent {
            delivered += usize::from(s?);
        }
        Ok((delivered, seen))
    }

    async fn deliver_one(&self, id: String, now: i64) -> Result<bool> {
        let claim = self.claim.clone();
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
                let retry = (!u.last)
                    .then(|| {
                        retry_after(
                            attempts,
                            self.svc.config.webhook_retry_delay,
                            at - row.created_at,
                        )
                    })
                    .flatten();
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
        if !self.svc.config.webhook_allow_private {
            let literal = match url.host() {
                Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
                Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
                _ => None,
            };
            if let Some(ip) = literal.filter(|ip| is_forbidden(*ip)) {
                return Err(fail(PrivateAddress(ip.to_string()).to_string(), true));
            }
        }
        let secret = self
            .svc
            .sealer
            .open(&secret_purpose(&endpoint.id), &endpoint.secret_sealed)
            .map_err(|e| fail(e.to_string(), false))?;
        let timestamp = self.svc.now();
        let signed = signature(&secret, &row.message_id, timestamp, &row.payload)
            .ok_or_else(|| fail("the signing secret is not usable".into(), true))?;
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
            .map_err(|e| match refusal(&e) {
                Some(why) => fail(why, true),
                None => fail(format!("no answer: {e}"), false),
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

/// The resolver's refusal, when that is why the request failed.
fn refusal(e: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(p) = s.downcast_ref::<PrivateAddress>() {
            return Some(p.to_string());
        }
        source = s.source();
    }
    None
}

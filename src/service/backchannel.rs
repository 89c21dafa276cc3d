//! OpenID Connect Back-Channel Logout 1.0: delivering the logout tokens that ending a session or a
//! grant queued (see `store::queries::backchannel`, called in the transaction that ends them).
//!
//! Each process runs a [`LogoutDeliverer`]. It claims due deliveries with a lease (a conditional
//! update, so two processes never deliver the same one at the same time), signs the token at delivery
//! with the key and algorithm the app's ID tokens use, and POSTs it as `logout_token` through the
//! guarded client of [`crate::service::outbound`] (no private addresses unless the operator allows
//! them). A 2xx answer is a delivery. A 4xx other than 408 and 429 is the app saying it cannot log the
//! session out (§2.8): not retried. Anything else is retried with exponential backoff, the same token
//! (same `jti`) each time so an app can tell a retry from a new logout. A crash between the answer and recording it leads to
//! one more delivery after the lease: at least once, and exactly once in the normal case.

use super::{Services, outbound};
use crate::domain::backchannel::{LOGOUT_TOKEN_TYPE, LogoutNotice, logout_claims};
use crate::domain::tenant::issuer;
use crate::error::{Error, Result};
use crate::keys::SigningAlg;
use crate::mail::outbox::RetryPolicy;
use crate::store::models::LogoutDeliveryRow;
use crate::store::queries;
use crate::store::queries::backchannel as q;
use futures_util::StreamExt;
use josekit::jwt::JwtPayload;
use std::sync::Arc;
use std::time::Duration;

/// Due deliveries read per round.
const PAGE: i64 = 200;

/// Deliveries in flight at once per process.
const SENDERS: usize = 16;

/// How long one delivery may take: apps answer at once or not at all.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

pub struct LogoutDeliverer {
    svc: Services,
    http: reqwest::Client,
    retry: RetryPolicy,
    /// Identifies this process's claims.
    claim: String,
}

/// What became of one due delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Delivered,
    Failed,
    /// Another process holds it, or it is no longer due.
    NotOurs,
}

impl LogoutDeliverer {
    pub fn new(svc: &Services) -> Result<LogoutDeliverer> {
        Ok(LogoutDeliverer {
            http: outbound::client(svc.config.webhook_allow_private, REQUEST_TIMEOUT)?,
            svc: svc.clone(),
            retry: RetryPolicy::for_logout(&svc.config),
            claim: uuid::Uuid::new_v4().to_string(),
        })
    }

    /// Delivers the tokens due now (one page of them); returns how many the apps acknowledged.
    pub async fn run_once(&self) -> Result<usize> {
        Ok(self.page().await?.0)
    }

    /// Delivers one page of due tokens: (acknowledged, seen).
    async fn page(&self) -> Result<(usize, usize)> {
        let now = self.svc.now();
        let due = self.svc.store.read(move |c| q::due(c, now, PAGE)).await?;
        let seen = due.len();
        let outcomes: Vec<Result<Outcome>> = futures_util::stream::iter(due)
            .map(|id| self.deliver_one(id))
            .buffer_unordered(SENDERS)
            .collect()
            .await;
        let mut delivered = 0;
        for o in outcomes {
            delivered += usize::from(o? == Outcome::Delivered);
        }
        Ok((delivered, seen))
    }

    async fn deliver_one(&self, id: String) -> Result<Outcome> {
        // The lease starts when this message is claimed, not when its page was read.
        let now = self.svc.now();
        let (claim, lease) = (self.claim.clone(), now + self.retry.lease_secs);
        let Some(row) = self
            .svc
            .store
            .write(move |c| q::claim(c, &id, &claim, now, lease))
            .await?
        else {
            return Ok(Outcome::NotOurs);
        };
        let sent = self.send(&row).await;
        let (id, claim, attempts) = (row.id.clone(), self.claim.clone(), row.attempts + 1);
        match sent {
            Ok(()) => {
                let at = self.svc.now();
                self.svc
                    .store
                    .write(move |c| q::mark_delivered(c, &id, &claim, at))
                    .await?;
                crate::observability::metrics::logout_delivery("delivered");
                Ok(Outcome::Delivered)
            }
            Err(why) => {
                let give_up = why.is_final() || attempts >= self.retry.max_attempts;
                let outcome = if give_up { "gave_up" } else { "retry" };
                crate::observability::metrics::logout_delivery(outcome);
                tracing::warn!(delivery = %row.id, app = %row.app_id, attempts, give_up, error = %why, "back-channel logout delivery failed");
                let next = self.svc.now() + self.retry.delay_after(attempts);
                let error = why.to_string();
                self.svc
                    .store
                    .write(move |c| q::mark_attempt_failed(c, &id, &claim, &error, next, give_up))
                    .await?;
                Ok(Outcome::Failed)
            }
        }
    }

    /// Signs the token and POSTs it to the app.
    async fn send(&self, row: &LogoutDeliveryRow) -> std::result::Result<(), Undelivered> {
        let (app_id, tenant_id) = (row.app_id.clone(), row.tenant_id.clone());
        let found = self
            .svc
            .store
            .read(move |c| {
                Ok((
                    queries::apps::by_id(c, &app_id)?,
                    queries::tenants::by_id(c, &tenant_id)?,
                ))
            })
            .await
            .map_err(|e| Undelivered::Retry(e.to_string()))?;
        let (Some(app), Some(tenant)) = found else {
            return Err(Undelivered::Final("the app or its tenant is gone".into()));
        };
        let app = crate::service::apps::App::from_row(app);
        let Some(uri) = app.backchannel_logout_uri.clone().filter(|_| app.enabled) else {
            return Err(Undelivered::Final(
                "the app no longer takes back-channel logouts".into(),
            ));
        };
        let issuer = issuer(&self.svc.config.public_url, &tenant.slug);
        let notice = LogoutNotice {
            issuer: &issuer,
            client_id: &app.client_id,
            subject: &row.subject,
            session_id: row.session_id.as_deref(),
            jti: &row.jti,
        };
        let token = self
            .sign(&notice, app.signing_alg)
            .map_err(|e| Undelivered::Retry(e.to_string()))?;
        let url = url::Url::parse(&uri).map_err(|e| Undelivered::Final(e.to_string()))?;
        if let Some(why) = outbound::refused_literal(&url, self.svc.config.webhook_allow_private) {
            return Err(Undelivered::Final(why));
        }
        let answer = self
            .http
            .post(url)
            .header("cache-control", "no-store")
            .form(&[("logout_token", token.as_str())])
            .send()
            .await
            .map_err(|e| match outbound::refusal(&e) {
                Some(why) => Undelivered::Final(why),
                None => Undelivered::Retry(outbound::unanswered(e)),
            })?;
        let status = answer.status();
        let why = format!("the app answered {status}");
        match status.as_u16() {
            200..=299 => Ok(()),
            408 | 429 => Err(Undelivered::Retry(why)),
            400..=499 => Err(Undelivered::Final(why)),
            _ => Err(Undelivered::Retry(why)),
        }
    }

    fn sign(&self, notice: &LogoutNotice<'_>, alg: SigningAlg) -> Result<String> {
        let mut payload = JwtPayload::new();
        for (k, v) in logout_claims(notice, self.svc.now()) {
            payload.set_claim(&k, Some(v)).map_err(Error::internal)?;
        }
        self.svc.keys.sign(alg, &payload, LOGOUT_TOKEN_TYPE)
    }

    /// Runs the deliverer every `interval` (and at once again after a full page) until the process
    /// ends.
    pub fn spawn(self: Arc<Self>, interval: Duration) {
        crate::service::rounds::repeat(interval, "back-channel logout round", move || {
            let me = self.clone();
            async move { Ok(me.page().await?.1 as i64 == PAGE) }
        });
    }
}

/// Why a delivery did not happen.
#[derive(Debug)]
enum Undelivered {
    /// Try again later (no answer, an error answer, a database hiccup).
    Retry(String),
    /// Trying again cannot help (the app is gone or stopped listening).
    Final(String),
}

impl Undelivered {
    fn is_final(&self) -> bool {
        matches!(self, Undelivered::Final(_))
    }
}

impl std::fmt::Display for Undelivered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Undelivered::Retry(why) | Undelivered::Final(why) => f.write_str(why),
        }
    }
}

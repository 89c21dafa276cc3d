//! Prometheus metrics of this process (`/metrics`, text exposition format).
//!
//! Counters and histograms live in one process-wide registry and are recorded where things happen
//! (requests, sign-ins, token grants, invitations, mail deliveries). Gauges that describe shared state
//! (outbox depth, pool usage) are read when `/metrics` is scraped and rendered beside them.
//!
//! Every label takes its values from a small fixed set (outcomes, grant types, route patterns, status
//! codes): never an id, an email, a ticket or a raw path, so the number of series stays bounded.

use crate::error::{Error, Result};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use std::sync::LazyLock;
use std::time::Duration;

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How a sign-in attempt ended (`guestlist_sign_ins_total{outcome}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    Success,
    /// Unknown email or wrong password (they look the same to the person).
    BadCredentials,
    /// The password was right but the account is disabled.
    Disabled,
    /// The person is not (or no longer) a member or accepted guest of the tenant.
    NoAccess,
}

impl SignIn {
    const ALL: [SignIn; 4] = [
        SignIn::Success,
        SignIn::BadCredentials,
        SignIn::Disabled,
        SignIn::NoAccess,
    ];

    fn label(self) -> &'static str {
        match self {
            SignIn::Success => "success",
            SignIn::BadCredentials => "bad_credentials",
            SignIn::Disabled => "disabled",
            SignIn::NoAccess => "no_access",
        }
    }
}

/// What happened to an invitation (`guestlist_invitations_total{event}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invitation {
    Created,
    Redeemed,
}

impl Invitation {
    fn label(self) -> &'static str {
        match self {
            Invitation::Created => "created",
            Invitation::Redeemed => "redeemed",
        }
    }
}

const GRANT_TYPES: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];

/// The label for a grant type the token endpoint supports, so a client cannot invent label values.
fn grant_label(grant_type: &str) -> Option<&'static str> {
    GRANT_TYPES.iter().copied().find(|g| *g == grant_type)
}

/// HTTP methods as labels; anything unusual is `other`.
pub fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    http_in_flight: IntGauge,
    sign_ins: IntCounterVec,
    tokens_issued: IntCounterVec,
    token_reuse: IntCounterVec,
    invitations: IntCounterVec,
    throttled: IntCounterVec,
    outbox_sent: IntCounter,
    outbox_failures: IntCounterVec,
    logout_deliveries: IntCounterVec,
    webhook_deliveries: IntCounterVec,
    lifecycle_runs: IntCounterVec,
    lifecycle_actions: IntCounterVec,
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry
        .register(Box::new(c.clone()))
        .expect("unique metric");
    c
}

impl Metrics {
    fn new() -> Metrics {
        let registry = Registry::new();
        let r = &registry;
        let http_requests = counter_vec(
            r,
            "guestlist_http_requests_total",
            "HTTP requests answered, by method, route pattern and status code.",
            &["method", "route", "status"],
        );
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "guestlist_http_request_duration_seconds",
                "Time from receiving a request to its response head, by method, route pattern and status class.",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "route", "status_class"],
        )
        .expect("valid metric");
        r.register(Box::new(http_duration.clone()))
            .expect("unique metric");
        let http_in_flight = IntGauge::new(
            "guestlist_http_requests_in_flight",
            "HTTP requests being handled now.",
        )
        .expect("valid metric");
        r.register(Box::new(http_in_flight.clone()))
            .expect("unique metric");
        let sign_ins = counter_vec(
            r,
            "guestlist_sign_ins_total",
            "Password sign-in attempts, by outcome.",
            &["outcome"],
        );
        let tokens_issued = counter_vec(
            r,
            "guestlist_tokens_issued_total",
            "Token responses issued by the token endpoint, by grant type.",
            &["grant_type"],
        );
        let token_reuse = counter_vec(
            r,
            "guestlist_token_reuse_detected_total",
            "Replayed authorization codes and reused refresh tokens (each revokes its grant).",
            &["kind"],
        );
        let invitations = counter_vec(
            r,
            "guestlist_invitations_total",
            "Invitations created and redeemed.",
            &["event"],
        );
        let throttled = counter_vec(
            r,
            "guestlist_throttled_total",
            "Attempts answered 429 without being tried, by limit.",
            &["limit"],
        );
        let outbox_sent = IntCounter::new(
            "guestlist_outbox_sent_total",
            "Emails delivered by this process's outbox worker.",
        )
        .expect("valid metric");
        r.register(Box::new(outbox_sent.clone()))
            .expect("unique metric");
        let outbox_failures = counter_vec(
            r,
            "guestlist_outbox_send_failures_total",
            "Failed email delivery attempts; gave_up=\"true\" when the message will not be retried.",
            &["gave_up"],
        );
        let logout_deliveries = counter_vec(
            r,
            "guestlist_logout_deliveries_total",
            "Back-channel logout token deliveries by this process, by outcome (delivered, retry, gave_up).",
            &["outcome"],
        );
        let webhook_deliveries = counter_vec(
            r,
            "guestlist_webhook_deliveries_total",
            "Webhook delivery attempts by this process, by outcome (delivered, retry, gave_up).",
            &["outcome"],
        );
        let lifecycle_runs = counter_vec(
            r,
            "guestlist_lifecycle_runs_total",
            "Guest lifecycle job rounds in this process, by outcome (ran, skipped: another process held the lease, failed).",
            &["outcome"],
        );
        let lifecycle_actions = counter_vec(
            r,
            "guestlist_lifecycle_actions_total",
            "Guest lifecycle steps taken by this process, by action.",
            &["action"],
        );
        let build = IntGaugeVec::new(
            Opts::new("guestlist_build_info", "The running guestlist version."),
            &["version"],
        )
        .expect("valid metric");
        r.register(Box::new(build.clone())).expect("unique metric");
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        // Known label values start at zero, so rates and alerts work before the first event.
        for s in SignIn::ALL {
            sign_ins.with_label_values(&[s.label()]);
        }
        for g in GRANT_TYPES {
            tokens_issued.with_label_values(&[g]);
        }
        for k in ["authorization_code", "refresh_token"] {
            token_reuse.with_label_values(&[k]);
        }
        for e in [Invitation::Created, Invitation::Redeemed] {
            invitations.with_label_values(&[e.label()]);
        }
        for g in ["false", "true"] {
            outbox_failures.with_label_values(&[g]);
        }
        for l in THROTTLE_LIMITS {
            throttled.with_label_values(&[l]);
        }
        for o in DELIVERY_OUTCOMES {
            logout_deliveries.with_label_values(&[o]);
            webhook_deliveries.with_label_values(&[o]);
        }
        for o in LIFECYCLE_RUN_OUTCOMES {
            lifecycle_runs.with_label_values(&[o]);
        }
        for a in LifecycleAction::ALL {
            lifecycle_actions.with_label_values(&[a.label()]);
        }
        Metrics {
            registry,
            http_requests,
            http_duration,
            http_in_flight,
            sign_ins,
            tokens_issued,
            token_reuse,
            invitations,
            throttled,
            outbox_sent,
            outbox_failures,
            logout_deliveries,
            webhook_deliveries,
            lifecycle_runs,
            lifecycle_actions,
        }
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// One answered HTTP request. `route` must be a route pattern (`/t/{slug}/token`) or a fixed word.
pub fn http_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    let m = &*METRICS;
    let method = method_label(method);
    m.http_requests
        .with_label_values(&[method, route, &status.to_string()])
        .inc();
    m.http_duration
        .with_label_values(&[method, route, status_class(status)])
        .observe(elapsed.as_secs_f64());
}

/// Counts a request as in flight until dropped.
pub struct InFlight(());

impl InFlight {
    pub fn start() -> InFlight {
        METRICS.http_in_flight.inc();
        InFlight(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        METRICS.http_in_flight.dec();
    }
}

pub fn sign_in(outcome: SignIn) {
    METRICS.sign_ins.with_label_values(&[outcome.label()]).inc();
}

/// The limits of `crate::service::throttle`, by their metric label.
pub const THROTTLE_LIMITS: [&str; 10] = [
    "sign_in_account",
    "sign_in_address",
    "sign_in_device",
    "client_auth",
    "one_time_link",
    "sign_up",
    "invitation",
    "authorize",
    "account_email",
    "account_email_request",
];

/// An attempt refused by the limit labelled `limit` (one of [`THROTTLE_LIMITS`]).
pub fn throttled(limit: &'static str) {
    METRICS.throttled.with_label_values(&[limit]).inc();
}

/// A token response was issued for `grant_type` (unsupported grant types are not counted).
pub fn token_issued(grant_type: &str) {
    if let Some(g) = grant_label(grant_type) {
        METRICS.tokens_issued.with_label_values(&[g]).inc();
    }
}

/// A spent authorization code or refresh token was presented again (`kind` is its grant type).
pub fn token_reuse(kind: &str) {
    if let Some(k) = grant_label(kind) {
        METRICS.token_reuse.with_label_values(&[k]).inc();
    }
}

pub fn invitation(event: Invitation) {
    METRICS
        .invitations
        .with_label_values(&[event.label()])
        .inc();
}

pub fn outbox_sent() {
    METRICS.outbox_sent.inc();
}

pub fn outbox_failed(gave_up: bool) {
    METRICS
        .outbox_failures
        .with_label_values(&[if gave_up { "true" } else { "false" }])
        .inc();
}

/// The outcomes of a delivery attempt (back-channel logout tokens, webhooks).
const DELIVERY_OUTCOMES: [&str; 3] = ["delivered", "retry", "gave_up"];

/// One back-channel logout delivery attempt: `delivered`, `retry` or `gave_up`.
pub fn logout_delivery(outcome: &'static str) {
    METRICS
        .logout_deliveries
        .with_label_values(&[outcome])
        .inc();
}

/// One webhook delivery attempt: `delivered`, `retry` or `gave_up`.
pub fn webhook_delivery(outcome: &'static str) {
    METRICS
        .webhook_deliveries
        .with_label_values(&[outcome])
        .inc();
}

const LIFECYCLE_RUN_OUTCOMES: [&str; 3] = ["ran", "skipped", "failed"];

/// One round of the lifecycle job: `ran`, `skipped` (another process held the lease) or `failed`.
pub fn lifecycle_run(outcome: &'static str) {
    METRICS.lifecycle_runs.with_label_values(&[outcome]).inc();
}

/// A step of the guest lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleAction {
    DisabledAccessEnded,
    DisabledInactive,
    DisabledUnreviewed,
    RemovedBySponsor,
    KeptBySponsor,
    Deleted,
    ReviewEmailSent,
}

impl LifecycleAction {
    const ALL: [LifecycleAction; 7] = [
        LifecycleAction::DisabledAccessEnded,
        LifecycleAction::DisabledInactive,
        LifecycleAction::DisabledUnreviewed,
        LifecycleAction::RemovedBySponsor,
        LifecycleAction::KeptBySponsor,
        LifecycleAction::Deleted,
        LifecycleAction::ReviewEmailSent,
    ];

    fn label(self) -> &'static str {
        match self {
            LifecycleAction::DisabledAccessEnded => "disabled_access_ended",
            LifecycleAction::DisabledInactive => "disabled_inactive",
            LifecycleAction::DisabledUnreviewed => "disabled_unreviewed",
            LifecycleAction::RemovedBySponsor => "removed_by_sponsor",
            LifecycleAction::KeptBySponsor => "kept_by_sponsor",
            LifecycleAction::Deleted => "deleted",
            LifecycleAction::ReviewEmailSent => "review_email_queued",
        }
    }
}

pub fn lifecycle_action(action: LifecycleAction, n: usize) {
    METRICS
        .lifecycle_actions
        .with_label_values(&[action.label()])
        .inc_by(n as u64);
}

/// State read when `/metrics` is scraped.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Messages waiting in the outbox (`None` when the database could not be asked).
    pub outbox_pending: Option<i64>,
    /// Messages the outbox gave up on.
    pub outbox_failed: Option<i64>,
    /// Logout tokens waiting for delivery, and those given up on.
    pub logout_pending: Option<i64>,
    pub logout_failed: Option<i64>,
    /// Webhook messages waiting for delivery, and those given up on.
    pub webhook_pending: Option<i64>,
    pub webhook_failed: Option<i64>,
    pub pools: Vec<crate::store::PoolStats>,
    /// Calls that queued at each database admission gate, and how many queue now.
    pub gates: Vec<crate::store::gate::GateStats>,
    /// Signing keys loaded (published in the JWKS).
    pub signing_keys: usize,
}

/// Reads the scrape-time state: pool usage, signing keys and (with one cheap indexed query) the outbox
/// depth. A database that does not answer leaves the outbox gauges out rather than failing the scrape.
pub async fn snapshot(store: &crate::store::Store, keys: &crate::keys::KeyStore) -> Snapshot {
    use crate::store::queries::{backchannel as b, outbox as q, webhooks as w};
    let pools = store.pool_stats();
    let depth = store
        .read(|c| {
            Ok([
                q::depth(c)?,
                q::failed_count(c)?,
                b::count_in(c, b::PENDING)?,
                b::count_in(c, b::FAILED)?,
                w::count_in(c, w::PENDING)?,
                w::count_in(c, w::FAILED)?,
            ])
        })
        .await;
    let [
        outbox_pending,
        outbox_failed,
        logout_pending,
        logout_failed,
        webhook_pending,
        webhook_failed,
    ] = match depth {
        Ok(n) => n.map(Some),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the queue depths could not be read");
            [None; 6]
        }
    };
    Snapshot {
        outbox_pending,
        outbox_failed,
        logout_pending,
        logout_failed,
        webhook_pending,
        webhook_failed,
        pools,
        gates: store.gate_stats().to_vec(),
        signing_keys: keys.kids().len(),
    }
}

fn gauge_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> Result<IntGaugeVec> {
    let g = IntGaugeVec::new(Opts::new(name, help), labels).map_err(Error::internal)?;
    registry
        .register(Box::new(g.clone()))
        .map_err(Error::internal)?;
    Ok(g)
}

/// The text exposition of every metric, with the scrape-time gauges of `snapshot`.
pub fn render(snapshot: &Snapshot) -> Result<String> {
    let scrape = Registry::new();
    for (name, what, pending, failed) in [
        (
            "guestlist_outbox_messages",
            "Outbox messages",
            snapshot.outbox_pending,
            snapshot.outbox_failed,
        ),
        (
            "guestlist_logout_deliveries",
            "Back-channel logout tokens",
            snapshot.logout_pending,
            snapshot.logout_failed,
        ),
        (
            "guestlist_webhook_deliveries",
            "Webhook messages",
            snapshot.webhook_pending,
            snapshot.webhook_failed,
        ),
    ] {
        let help =
            format!("{what} by state: pending (queued, not yet delivered) and failed (given up).");
        let queue = gauge_vec(&scrape, name, &help, &["state"])?;
        for (state, n) in [("pending", pending), ("failed", failed)] {
            if let Some(n) = n {
                queue.with_label_values(&[state]).set(n);
            }
        }
    }
    let connections = gauge_vec(
        &scrape,
        "guestlist_db_pool_connections",
        "Open database connections by pool and state (in_use, idle).",
        &["pool", "state"],
    )?;
    let max = gauge_vec(
        &scrape,
        "guestlist_db_pool_max_connections",
        "The most connections a pool opens.",
        &["pool"],
    )?;
    for p in &snapshot.pools {
        let in_use = p.connections.saturating_sub(p.idle);
        connections
            .with_label_values(&[p.pool, "in_use"])
            .set(i64::from(in_use));
        connections
            .with_label_values(&[p.pool, "idle"])
            .set(i64::from(p.idle));
        max.with_label_values(&[p.pool]).set(i64::from(p.max));
    }
    let waits = counter_vec(
        &scrape,
        "guestlist_db_admission_waits_total",
        "Database calls that had to queue because every connection of their pool was busy.",
        &["gate"],
    );
    let waiting = gauge_vec(
        &scrape,
        "guestlist_db_admission_waiting",
        "Database calls queued for a connection now.",
        &["gate"],
    )?;
    for g in &snapshot.gates {
        waits.with_label_values(&[g.gate]).inc_by(g.waits);
        waiting.with_label_values(&[g.gate]).set(g.waiting);
    }
    let keys =
        IntGauge::new("guestlist_signing_keys", "Signing keys loaded.").map_err(Error::internal)?;
    keys.set(snapshot.signing_keys as i64);
    scrape.register(Box::new(keys)).map_err(Error::internal)?;
    let mut families = METRICS.registry.gather();
    families.extend(scrape.gather());
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&families, &mut out)
        .map_err(Error::internal)?;
    String::from_utf8(out).map_err(Error::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_fixed_sets() {
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("BREW"), "other");
        assert_eq!(grant_label("refresh_token"), Some("refresh_token"));
        assert_eq!(grant_label("urn:made-up"), None);
        assert_eq!(status_class(204), "2xx");
        assert_eq!(status_class(503), "5xx");
    }

    #[test]
    fn render_shows_counters_and_scrape_gauges() {
        sign_in(SignIn::Disabled);
        token_issued("client_credentials");
        token_issued("not-a-grant");
        http_request("GET", "/t/{slug}/jwks", 200, Duration::from_millis(3));
        let text = render(&Snapshot {
            outbox_pending: Some(7),
            outbox_failed: Some(0),
            logout_pending: Some(3),
            logout_failed: Some(1),
            webhook_pending: Some(2),
            webhook_failed: Some(0),
            pools: vec![crate::store::PoolStats {
                pool: "read",
                connections: 3,
                idle: 1,
                max: 4,
            }],
            gates: vec![crate::store::gate::GateStats {
                gate: "write",
                waits: 5,
                waiting: 1,
            }],
            signing_keys: 2,
        })
        .unwrap();
        for line in [
            "guestlist_outbox_messages{state=\"pending\"} 7",
            "guestlist_logout_deliveries{state=\"pending\"} 3",
            "guestlist_logout_deliveries{state=\"failed\"} 1",
            "guestlist_webhook_deliveries{state=\"pending\"} 2",
            "guestlist_webhook_deliveries_total{outcome=\"retry\"}",
            "guestlist_logout_deliveries_total{outcome=\"gave_up\"}",
            "guestlist_db_pool_connections{pool=\"read\",state=\"in_use\"} 2",
            "guestlist_db_pool_connections{pool=\"read\",state=\"idle\"} 1",
            "guestlist_db_pool_max_connections{pool=\"read\"} 4",
            "guestlist_signing_keys 2",
            "guestlist_db_admission_waits_total{gate=\"write\"} 5",
            "guestlist_db_admission_waiting{gate=\"write\"} 1",
            "guestlist_token_reuse_detected_total{kind=\"refresh_token\"}",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        assert!(text.contains("guestlist_sign_ins_total{outcome=\"disabled\"}"));
        assert!(text.contains(
            "guestlist_http_requests_total{method=\"GET\",route=\"/t/{slug}/jwks\",status=\"200\"}"
        ));
        assert!(!text.contains("not-a-grant"));
    }
}

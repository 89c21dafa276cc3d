//! `/metrics`, request ids, and the one log line per request.
//!
//! Every request gets an id: the caller's `X-Request-Id` when it is a short plain token, else a new
//! one. It is returned as `X-Request-Id`, and every event logged while the request is handled carries
//! it (the `request` span). The request line names the route pattern (`/invite/{ticket}`), never the
//! URI: paths hold tickets and setup tokens, `/authorize` query strings hold `state` and PKCE values,
//! and headers and bodies hold credentials, so none of them is logged or used as a metric label.

use crate::http::routes::RoutePattern;
use crate::observability::metrics::{self, InFlight};
use crate::service::Services;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being handled (in the request's extensions, for handlers that want it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// The route label of a request that matched no route.
const UNMATCHED: &str = "unmatched";

/// An incoming request id worth keeping: 1 to 64 letters, digits, `-`, `_` or `.`.
fn sane_request_id(value: &HeaderValue) -> Option<String> {
    let v = value.to_str().ok()?;
    let ok = (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    ok.then(|| v.to_string())
}

fn new_request_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Probes and scrapes come every few seconds: their request lines are `debug`, not `info`.
fn is_probe(route: &str) -> bool {
    matches!(route, "/healthz" | "/readyz" | "/metrics")
}

/// The middleware: request id, span, metrics and the request line.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(sane_request_id)
        .unwrap_or_else(new_request_id);
    let method = metrics::method_label(req.method().as_str());
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %method);
    let in_flight = InFlight::start();
    let result = next.call(req).instrument(span.clone()).await;
    drop(in_flight);
    let elapsed = started.elapsed();
    let (status, route) = match &result {
        Ok(res) => {
            let req = res.request();
            let route = match req.app_data::<RoutePattern>() {
                Some(p) => Some(p.0.to_string()),
                None => req.match_pattern(),
            };
            (res.status().as_u16(), route)
        }
        Err(e) => (e.as_response_error().status_code().as_u16(), None),
    };
    let route = route.unwrap_or_else(|| UNMATCHED.to_string());
    metrics::http_request(method, &route, status, elapsed);
    let latency_ms = (elapsed.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0;
    span.in_scope(|| {
        if is_probe(&route) {
            tracing::debug!(target: "guestlist::request", route = %route, status, latency_ms, "request");
        } else {
            tracing::info!(target: "guestlist::request", route = %route, status, latency_ms, "request");
        }
    });
    let mut res = result?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(res)
}

/// True when the request carries `Authorization: Bearer <token>` (compared in constant time).
fn bearer_matches(req: &HttpRequest, token: &str) -> bool {
    use subtle::ConstantTimeEq;
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| bool::from(given.trim().as_bytes().ct_eq(token.as_bytes())))
}

/// `GET /metrics`: the Prometheus text format. Open unless `metrics_token` is configured; either way
/// it belongs on an internal network, not the public one (see `docs/operations.md`).
pub async fn metrics(svc: web::Data<Services>, req: HttpRequest) -> HttpResponse {
    if let Some(token) = svc.config.metrics_token.as_deref()
        && !bearer_matches(&req, token)
    {
        return HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\""))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body("a bearer token is required\n");
    }
    let snapshot = metrics::snapshot(&svc.store, &svc.keys).await;
    match metrics::render(&snapshot) {
        Ok(text) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .content_type(metrics::CONTENT_TYPE)
            .body(text),
        Err(e) => {
            tracing::error!(error = %e, "rendering metrics failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_request_ids_are_kept() {
        let keep = |v: &str| sane_request_id(&HeaderValue::from_str(v).unwrap());
        assert_eq!(keep("abc-123_x.y"), Some("abc-123_x.y".into()));
        assert_eq!(keep(""), None);
        assert_eq!(keep(&"a".repeat(65)), None);
        assert_eq!(keep("a b"), None);
        assert_eq!(keep("id\"<script>"), None);
        assert_eq!(keep("ticket/../x"), None);
        assert!(uuid::Uuid::parse_str(&new_request_id()).is_ok());
    }
}

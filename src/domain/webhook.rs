//! Signed webhooks after the Standard Webhooks convention: which endpoint URLs are acceptable, which
//! addresses an outbound request may reach, which events an endpoint wants, the payload, the signature,
//! and the retry schedule.

use super::DomainError;
use super::calendar::timestamp_of;
use super::outbound::parse_outbound_url;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// The prefix of a signing secret; the rest is the key, base64 (Standard Webhooks).
pub const SECRET_PREFIX: &str = "whsec_";

/// The subscription to every event.
pub const ALL_EVENTS: &str = "*";

/// Checks an endpoint URL (see [`parse_outbound_url`]).
pub fn parse_endpoint_url(raw: &str, allow_private: bool) -> Result<String, DomainError> {
    parse_outbound_url(raw, allow_private, "url")
}

/// Checks the event names an endpoint subscribes to: at least one, each 1–100 characters, `*` alone
/// for all. Names are those of the audit log ("Invite external user", "Disable user", …).
pub fn parse_events(names: &[String]) -> Result<Vec<String>, DomainError> {
    let mut out: Vec<String> = Vec::new();
    for n in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if n.chars().count() > 100 || n.chars().any(char::is_control) {
            return Err(DomainError::new(
                "events",
                format!("{n:?} is not an event name"),
            ));
        }
        if !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
    }
    if out.is_empty() {
        return Err(DomainError::new(
            "events",
            "name at least one audit event, or * for all",
        ));
    }
    if out.len() > 1 && out.iter().any(|o| o == ALL_EVENTS) {
        return Err(DomainError::new(
            "events",
            "* stands alone: it means every event",
        ));
    }
    Ok(out)
}

/// Whether an endpoint subscribed to `events` wants `event_name`.
pub fn wants(events: &[String], event_name: &str) -> bool {
    events.iter().any(|e| e == ALL_EVENTS || e == event_name)
}

/// One audit event as a webhook payload: `type` (the event name), `timestamp` and `data`.
pub struct EventFacts<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub at: i64,
    pub event_name: &'a str,
    pub actor: &'a str,
    pub target: &'a str,
    pub outcome: &'a str,
    pub details: &'a Value,
}

pub fn payload(e: &EventFacts<'_>) -> Value {
    json!({
        "type": e.event_name,
        "timestamp": timestamp_of(e.at),
        "data": {
            "id": e.id,
            "tenantId": e.tenant_id,
            "at": e.at,
            "eventName": e.event_name,
            "actor": e.actor,
            "target": e.target,
            "outcome": e.outcome,
            "details": e.details,
        },
    })
}

/// The `webhook-signature` value for a message: `v1,` and the base64 HMAC-SHA256, under the secret's
/// key, of `{id}.{timestamp}.{body}`. `None` when the secret is not a `whsec_` base64 key.
pub fn signature(secret: &str, message_id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{message_id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// A signing secret made of 32 random bytes.
pub fn secret_of(random: &[u8; 32]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(random))
}

/// Seconds to wait after the `attempts`-th failed attempt: the Standard Webhooks schedule (5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 10 h) scaled by `base_secs / 5`; `None` once the next attempt would come
/// more than a day after the message was made (`age_secs` ago).
pub fn retry_after(attempts: i64, base_secs: i64, age_secs: i64) -> Option<i64> {
    const SCHEDULE: [i64; 7] = [1, 60, 360, 1440, 3600, 7200, 7200];
    let step = usize::try_from(attempts.max(1) - 1).ok()?;
    let delay = SCHEDULE.get(step)?.saturating_mul(base_secs.max(1));
    (age_secs + delay <= 86_400).then_some(delay)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let sig = signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sig.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        let other = signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232315}"#,
        );
        assert_ne!(sig, other, "the body is signed");
        assert!(signature("whsec_not base64!", "m", 1, "{}").is_none());
    }

    #[test]
    fn events_are_named_or_all() {
        let e = parse_events(&["Disable user".into(), " Disable user ".into(), "".into()]).unwrap();
        assert_eq!(e, vec!["Disable user"]);
        assert!(wants(&e, "Disable user") && !wants(&e, "Delete user"));
        assert!(wants(&["*".into()], "Delete user"));
        assert!(parse_events(&[]).is_err());
        assert!(parse_events(&["*".into(), "Delete user".into()]).is_err());
    }

    #[test]
    fn retries_follow_the_schedule_for_a_day() {
        assert_eq!(retry_after(1, 5, 0), Some(5));
        assert_eq!(retry_after(2, 5, 5), Some(300));
        assert_eq!(retry_after(3, 5, 305), Some(1800));
        assert_eq!(retry_after(7, 5, 60_000), None, "past a day");
        assert_eq!(retry_after(8, 5, 0), None, "the schedule ended");
        assert_eq!(retry_after(1, 1, 0), Some(1), "scaled down for tests");
    }

    #[test]
    fn the_payload_names_the_event() {
        let details = json!({"k": 1});
        let p = payload(&EventFacts {
            id: "e1",
            tenant_id: "t1",
            at: 0,
            event_name: "Disable user",
            actor: "admin",
            target: "u1",
            outcome: "success",
            details: &details,
        });
        assert_eq!(p["type"], "Disable user");
        assert_eq!(p["timestamp"], "1970-01-01T00:00:00Z");
        assert_eq!(p["data"]["target"], "u1");
        assert_eq!(p["data"]["details"]["k"], 1);
    }
}

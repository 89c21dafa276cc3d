//! Signed webhooks: tenant admins register endpoints for audit events; each event is queued for every
//! endpoint that wants it in the transaction that records it (`audit::record`), and `delivery` sends
//! it, signed after the Standard Webhooks convention, with retries for up to a day and a log that can
//! be replayed.
//!
//! The signing secret is shown once, when it is made (and when it is rotated). Unlike the secrets the
//! server only compares (passwords, client secrets), it must be read back to sign every message, so it
//! is stored sealed under the server's sealing key, like upstream providers' client secrets.

pub mod delivery;

use super::Services;
use super::audit::{self, AuditEvent, events};
use super::auth::Actor;
use super::etag::{Tagged, check_if_match, etag_of};
use super::tenants::Tenant;
use crate::domain::access::Action;
use crate::domain::webhook::{parse_endpoint_url, parse_events, secret_of};
use crate::error::{Error, Result};
use crate::store::connection::AnyConnection;
use crate::store::models::{WebhookDeliveryRow, WebhookEndpointRow};
use crate::store::queries::webhooks as q;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Deliveries an endpoint's log shows.
const LOG_LENGTH: i64 = 100;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub description: String,
    /// Audit event names, or `["*"]` for every event.
    pub events: Vec<String>,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// Unix seconds: until then the secret before the last rotation also signs.
    pub previous_secret_until: Option<i64>,
    #[serde(skip)]
    pub etag: String,
}

impl WebhookView {
    fn of(row: &WebhookEndpointRow) -> WebhookView {
        let mut v = WebhookView {
            id: row.id.clone(),
            url: row.url.clone(),
            description: row.description.clone(),
            events: serde_json::from_str(&row.events).unwrap_or_default(),
            enabled: row.enabled,
            created_at: row.created_at,
            updated_at: row.updated_at,
            previous_secret_until: row.previous_secret_until,
            etag: String::new(),
        };
        // A rotated secret changes the ETag too.
        v.etag = etag_of(&(&v, &row.secret_sealed));
        v
    }
}

impl Tagged for WebhookView {
    fn etag(&self) -> &str {
        &self.etag
    }
}

/// An endpoint with its signing secret: the only time the secret is shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookWithSecret {
    pub webhook: WebhookView,
    /// `whsec_…`: the key (base64 after the prefix) of the HMAC-SHA256 in `webhook-signature`.
    pub secret: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewWebhook {
    /// An https URL (http and private addresses only when the operator allows them).
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// Audit event names ("Invite external user", "Redeem external user invite", "Disable user", …),
    /// or `["*"]` for every event.
    pub events: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// One message to an endpoint, as the delivery log shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    pub id: String,
    /// The `webhook-id` header; a replay keeps it, so a receiver can tell a message it has seen.
    pub message_id: String,
    pub event_name: String,
    /// `pending`, `delivered` or `failed` (given up).
    pub state: String,
    pub attempts: i64,
    /// The HTTP status of the last attempt, when there was an answer.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub next_attempt_at: Option<i64>,
    pub delivered_at: Option<i64>,
    /// The body that was (or will be) sent.
    pub payload: serde_json::Value,
}

impl DeliveryView {
    fn of(r: WebhookDeliveryRow) -> DeliveryView {
        DeliveryView {
            next_attempt_at: (r.state == q::PENDING).then_some(r.next_attempt_at),
            payload: serde_json::from_str(&r.payload).unwrap_or_default(),
            id: r.id,
            message_id: r.message_id,
            event_name: r.event_name,
            state: r.state,
            attempts: r.attempts,
            last_status: r.last_status,
            last_error: r.last_error,
            created_at: r.created_at,
            delivered_at: r.delivered_at,
        }
    }
}

/// What a secret is sealed for: this endpoint's signing key only.
fn secret_purpose(endpoint_id: &str) -> String {
    format!("webhook-secret:{endpoint_id}")
}

fn new_secret() -> String {
    secret_of(&crate::crypto::random_bytes())
}

fn own(c: &mut AnyConnection, tenant: &Tenant, id: &str) -> Result<WebhookEndpointRow> {
    q::endpoint(c, &tenant.id, id)?.ok_or_else(|| Error::NotFound(format!("webhook {id}")))
}

fn audit_endpoint(
    c: &mut AnyConnection,
    tenant: &Tenant,
    event_name: &str,
    actor: &str,
    row: &WebhookEndpointRow,
) -> Result<()> {
    audit::record(
        c,
        AuditEvent {
            tenant_id: &tenant.id,
            event_name,
            actor,
            target: &row.id,
            outcome: "success",
            // The URL without its query: a receiver's token there must not reach the audit log, nor
            // through it the tenant's other endpoints.
            details: serde_json::json!({
                "url": without_query(&row.url),
                "events": serde_json::from_str::<serde_json::Value>(&row.events).unwrap_or_default(),
                "enabled": row.enabled,
            }),
        },
    )
}

fn without_query(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            u.set_query(None);
            u.to_string()
        }
        Err(_) => String::new(),
    }
}

pub async fn list(svc: &Services, actor: &Actor, tenant: &Tenant) -> Result<Vec<WebhookView>> {
    let tenant_id = tenant.id.clone();
    svc.read_as(
        actor,
        tenant,
        Action::Administer,
        "webhooks",
        move |c, _| {
            Ok(q::endpoints_of(c, &tenant_id)?
                .iter()
                .map(WebhookView::of)
                .collect())
        },
    )
    .await
}

pub async fn get(svc: &Services, actor: &Actor, tenant: &Tenant, id: &str) -> Result<WebhookView> {
    let (t, id_c) = (tenant.clone(), id.to_string());
    svc.read_as(actor, tenant, Action::Administer, id, move |c, _| {
        Ok(WebhookView::of(&own(c, &t, &id_c)?))
    })
    .await
}

pub async fn create(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    input: NewWebhook,
) -> Result<WebhookWithSecret> {
    let url = parse_endpoint_url(&input.url, svc.config.webhook_allow_private)?;
    let events = parse_events(&input.events)?;
    let description = checked_description(&input.description)?;
    let id = uuid::Uuid::new_v4().to_string();
    let secret = new_secret();
    let now = svc.now();
    let row = WebhookEndpointRow {
        secret_sealed: svc.sealer.seal(&secret_purpose(&id), &secret)?,
        previous_secret_sealed: None,
        previous_secret_until: None,
        id,
        tenant_id: tenant.id.clone(),
        url,
        description,
        events: serde_json::to_string(&events).map_err(Error::internal)?,
        enabled: input.enabled.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    let (t, actor_id) = (tenant.clone(), actor.id());
    let webhook = svc
        .write_as(
            actor,
            tenant,
            Action::Administer,
            &row.url.clone(),
            move |c, _| {
                q::insert_endpoint(c, &row)?;
                audit_endpoint(c, &t, events::ADD_WEBHOOK, &actor_id, &row)?;
                Ok(WebhookView::of(&row))
            },
        )
        .await?;
    Ok(WebhookWithSecret { webhook, secret })
}

fn checked_description(raw: &str) -> Result<String> {
    let d = raw.trim();
    if d.chars().count() > 200 {
        return Err(Error::invalid("description", "at most 200 characters"));
    }
    Ok(d.to_string())
}

pub async fn update(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    patch: WebhookPatch,
    if_match: Option<String>,
) -> Result<WebhookView> {
    let allow_private = svc.config.webhook_allow_private;
    let url = patch
        .url
        .as_deref()
        .map(|u| parse_endpoint_url(u, allow_private))
        .transpose()?;
    let events = patch.events.as_deref().map(parse_events).transpose()?;
    let description = patch
        .description
        .as_deref()
        .map(checked_description)
        .transpose()?;
    let (t, id_c, actor_id, now) = (tenant.clone(), id.to_string(), actor.id(), svc.now());
    svc.write_as(actor, tenant, Action::Administer, id, move |c, _| {
        let mut row = own(c, &t, &id_c)?;
        check_if_match(&WebhookView::of(&row).etag, if_match.as_deref())?;
        if let Some(u) = url {
            row.url = u;
        }
        if let Some(e) = events {
            row.events = serde_json::to_string(&e).map_err(Error::internal)?;
        }
        if let Some(d) = description {
            row.description = d;
        }
        if let Some(v) = patch.enabled {
            row.enabled = v;
        }
        row.updated_at = now;
        q::update_endpoint(c, &row)?;
        audit_endpoint(c, &t, events::UPDATE_WEBHOOK, &actor_id, &row)?;
        Ok(WebhookView::of(&row))
    })
    .await
}

pub async fn delete(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    if_match: Option<String>,
) -> Result<()> {
    let (t, id_c, actor_id) = (tenant.clone(), id.to_string(), actor.id());
    svc.write_as(actor, tenant, Action::Administer, id, move |c, _| {
        let row = own(c, &t, &id_c)?;
        check_if_match(&WebhookView::of(&row).etag, if_match.as_deref())?;
        q::delete_endpoint(c, &row.id)?;
        audit_endpoint(c, &t, events::DELETE_WEBHOOK, &actor_id, &row)
    })
    .await
}

/// The longest the previous secret may keep signing after a rotation: a week.
pub const MAX_KEEP_PREVIOUS_HOURS: i64 = 168;

/// A new signing secret, shown only now. The old one stops signing at once, or, with
/// `keep_previous_hours`, signs beside the new one for that long (each message then carries both
/// signatures), so receivers can switch without refusing anything.
pub async fn rotate_secret(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    keep_previous_hours: i64,
) -> Result<WebhookWithSecret> {
    if !(0..=MAX_KEEP_PREVIOUS_HOURS).contains(&keep_previous_hours) {
        return Err(Error::invalid(
            "keepPreviousHours",
            format!("from 0 to {MAX_KEEP_PREVIOUS_HOURS} hours"),
        ));
    }
    let secret = new_secret();
    let sealed = svc.sealer.seal(&secret_purpose(id), &secret)?;
    let (t, id_c, actor_id, now) = (tenant.clone(), id.to_string(), actor.id(), svc.now());
    let webhook = svc
        .write_as(actor, tenant, Action::Administer, id, move |c, _| {
            let mut row = own(c, &t, &id_c)?;
            let previous = std::mem::replace(&mut row.secret_sealed, sealed);
            (row.previous_secret_sealed, row.previous_secret_until) = if keep_previous_hours > 0 {
                (Some(previous), Some(now + keep_previous_hours * 3600))
            } else {
                (None, None)
            };
            row.updated_at = now;
            q::update_endpoint(c, &row)?;
            audit_endpoint(c, &t, events::ROTATE_WEBHOOK_SECRET, &actor_id, &row)?;
            Ok(WebhookView::of(&row))
        })
        .await?;
    Ok(WebhookWithSecret { webhook, secret })
}

/// The endpoint's newest deliveries.
pub async fn deliveries(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
) -> Result<Vec<DeliveryView>> {
    let (t, id_c) = (tenant.clone(), id.to_string());
    svc.read_as(actor, tenant, Action::Administer, id, move |c, _| {
        let row = own(c, &t, &id_c)?;
        Ok(q::deliveries_of(c, &row.id, LOG_LENGTH)?
            .into_iter()
            .map(DeliveryView::of)
            .collect())
    })
    .await
}

/// Sends a logged message again, now, as a new delivery with the same `webhook-id` and body (signed
/// afresh: a new timestamp, under the current secret).
pub async fn replay(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    delivery_id: &str,
) -> Result<DeliveryView> {
    let (t, id_c, delivery_c) = (tenant.clone(), id.to_string(), delivery_id.to_string());
    let (actor_id, now) = (actor.id(), svc.now());
    svc.write_as(actor, tenant, Action::Administer, id, move |c, _| {
        let endpoint = own(c, &t, &id_c)?;
        let original = q::delivery(c, &endpoint.id, &delivery_c)?
            .ok_or_else(|| Error::NotFound(format!("delivery {delivery_c}")))?;
        let again = WebhookDeliveryRow {
            id: uuid::Uuid::now_v7().to_string(),
            state: q::PENDING.into(),
            attempts: 0,
            next_attempt_at: now,
            claim: None,
            claimed_until: None,
            last_status: None,
            last_error: None,
            created_at: now,
            delivered_at: None,
            ..original
        };
        q::insert_delivery(c, &again)?;
        audit::record(
            c,
            AuditEvent {
                tenant_id: &t.id,
                event_name: events::REPLAY_WEBHOOK,
                actor: &actor_id,
                target: &endpoint.id,
                outcome: "success",
                details: serde_json::json!({ "delivery": delivery_c, "messageId": again.message_id }),
            },
        )?;
        Ok(DeliveryView::of(again))
    })
    .await
}

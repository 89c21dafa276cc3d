//! Webhook endpoints, and their deliveries: queued in the transaction that records an audit event,
//! leased by the deliverers of every process like the mail outbox.

use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::{WebhookDeliveryRow, WebhookEndpointRow};
use crate::store::schema::webhook_deliveries::dsl as d;
use crate::store::schema::webhook_endpoints::dsl as e;
use diesel::prelude::*;

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

pub fn insert_endpoint(c: &mut AnyConnection, row: &WebhookEndpointRow) -> Result<()> {
    diesel::insert_into(e::webhook_endpoints)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn update_endpoint(c: &mut AnyConnection, row: &WebhookEndpointRow) -> Result<()> {
    diesel::update(e::webhook_endpoints.find(&row.id))
        .set(row)
        .execute(c)?;
    Ok(())
}

pub fn delete_endpoint(c: &mut AnyConnection, id: &str) -> Result<()> {
    diesel::delete(d::webhook_deliveries.filter(d::endpoint_id.eq(id))).execute(c)?;
    diesel::delete(e::webhook_endpoints.find(id)).execute(c)?;
    Ok(())
}

/// The endpoint `id` of tenant `tenant_id`.
pub fn endpoint(
    c: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<WebhookEndpointRow>> {
    Ok(e::webhook_endpoints
        .filter(e::id.eq(id).and(e::tenant_id.eq(tenant_id)))
        .select(WebhookEndpointRow::as_select())
        .first(c)
        .optional()?)
}

/// The endpoint `id`, whatever its tenant (for the deliverer).
pub fn endpoint_by_id(c: &mut AnyConnection, id: &str) -> Result<Option<WebhookEndpointRow>> {
    Ok(e::webhook_endpoints
        .find(id)
        .select(WebhookEndpointRow::as_select())
        .first(c)
        .optional()?)
}

/// A tenant's endpoints, oldest first.
pub fn endpoints_of(c: &mut AnyConnection, tenant_id: &str) -> Result<Vec<WebhookEndpointRow>> {
    Ok(e::webhook_endpoints
        .filter(e::tenant_id.eq(tenant_id))
        .order(e::created_at.asc())
        .select(WebhookEndpointRow::as_select())
        .load(c)?)
}

/// The enabled endpoints of a tenant: (id, events as stored).
pub fn listening(c: &mut AnyConnection, tenant_id: &str) -> Result<Vec<(String, String)>> {
    Ok(e::webhook_endpoints
        .filter(e::tenant_id.eq(tenant_id).and(e::enabled.eq(true)))
        .select((e::id, e::events))
        .load(c)?)
}

pub fn insert_delivery(c: &mut AnyConnection, row: &WebhookDeliveryRow) -> Result<()> {
    diesel::insert_into(d::webhook_deliveries)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn delivery(
    c: &mut AnyConnection,
    endpoint_id: &str,
    id: &str,
) -> Result<Option<WebhookDeliveryRow>> {
    Ok(d::webhook_deliveries
        .filter(d::id.eq(id).and(d::endpoint_id.eq(endpoint_id)))
        .select(WebhookDeliveryRow::as_select())
        .first(c)
        .optional()?)
}

/// An endpoint's deliveries, newest first (the delivery log).
pub fn deliveries_of(
    c: &mut AnyConnection,
    endpoint_id: &str,
    limit: i64,
) -> Result<Vec<WebhookDeliveryRow>> {
    Ok(d::webhook_deliveries
        .filter(d::endpoint_id.eq(endpoint_id))
        .order((d::created_at.desc(), d::id.desc()))
        .limit(limit)
        .select(WebhookDeliveryRow::as_select())
        .load(c)?)
}

leased_queue!(webhook_deliveries, WebhookDeliveryRow);

/// What one attempt came to.
pub struct Attempt<'a> {
    pub id: &'a str,
    pub claim: &'a str,
    /// `delivered`, `pending` (retry at `next_attempt_at`) or `failed`.
    pub state: &'a str,
    pub status: Option<i32>,
    pub error: Option<&'a str>,
    pub next_attempt_at: i64,
    pub now: i64,
}

pub fn record_attempt(c: &mut AnyConnection, a: &Attempt<'_>) -> Result<()> {
    let delivered_at = (a.state == DELIVERED).then_some(a.now);
    diesel::update(d::webhook_deliveries.filter(d::id.eq(a.id).and(d::claim.eq(a.claim))))
        .set((
            d::state.eq(a.state),
            d::attempts.eq(d::attempts + 1),
            d::next_attempt_at.eq(a.next_attempt_at),
            d::claimed_until.eq(None::<i64>),
            d::last_status.eq(a.status),
            d::last_error.eq(a.error),
            d::delivered_at.eq(delivered_at),
        ))
        .execute(c)?;
    Ok(())
}

/// Deliveries in `state`, for metrics.
pub fn count_in(c: &mut AnyConnection, state: &str) -> Result<i64> {
    Ok(d::webhook_deliveries
        .filter(d::state.eq(state))
        .count()
        .get_result(c)?)
}

/// Removes deliveries that ended (delivered or given up) before `before`.
pub fn purge(c: &mut AnyConnection, before: i64) -> Result<usize> {
    Ok(diesel::delete(
        d::webhook_deliveries.filter(d::state.ne(PENDING).and(d::created_at.lt(before))),
    )
    .execute(c)?)
}

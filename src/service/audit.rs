//! Audit events, written in the transaction of the change they record.

use crate::domain::access::Action;
use crate::domain::spreadsheet::safe_cell;
use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::AuditEventRow;
use crate::store::queries;

/// Event names, exact: operators filter on them.
pub mod events {
    pub const SIGN_IN_SUCCESS: &str = "Sign-in success";
    pub const SIGN_IN_FAILURE: &str = "Sign-in failure";
    pub const SIGN_IN_THROTTLED: &str = "Sign-in throttled";
    pub const SIGN_OUT: &str = "Sign-out";
    pub const CREATE_TENANT: &str = "Create tenant";
    pub const CREATE_USER: &str = "Add user";
    pub const SELF_SERVICE_SIGN_UP: &str = "Self-service sign-up";
    pub const CREATE_GROUP: &str = "Add group";
    pub const ADD_GROUP_MEMBER: &str = "Add member to group";
    pub const CREATE_APP: &str = "Add application";
    pub const CONSENT: &str = "Consent to application";
    pub const FIRST_ADMIN_SETUP: &str = "First administrator set up";
    pub const TOKEN_REUSE: &str = "Token reuse detected";
    pub const UPDATE_USER: &str = "Update user";
    pub const CONVERT_USER: &str = "Convert user type";
    pub const DISABLE_USER: &str = "Disable user";
    pub const DELETE_USER: &str = "Delete user";
    pub const RESET_PASSWORD: &str = "Reset user password";
    /// A guest removed themselves from an organisation on their account page.
    pub const USER_LEFT_ORGANIZATION: &str = "User left organization";
    /// A person changed their own name or language on their account page.
    pub const UPDATE_OWN_PROFILE: &str = "Update own profile";
    /// A person changed their password on their account page (with the current one).
    pub const CHANGE_OWN_PASSWORD: &str = "Change own password";
    /// A person ended their other sessions on their account page.
    pub const SIGN_OUT_ELSEWHERE: &str = "Sign out other sessions";
    /// A person asked for a password link on the forgotten-password page and one was sent.
    pub const REQUEST_PASSWORD_RESET: &str = "Request password reset";
    /// A person who signed up followed the link that proves their address.
    pub const VERIFY_EMAIL: &str = "Verify email";
    /// An admin published a new version of the terms of use.
    pub const PUBLISH_TERMS: &str = "Publish terms of use";
    /// A guest accepted a version of the terms of use.
    pub const ACCEPT_TERMS: &str = "Accept terms of use";
    /// A one-time code was emailed to prove an address.
    pub const SEND_ONE_TIME_CODE: &str = "Send one-time code";
    /// The owner of an address proved it, and the unverified account that claimed it was disabled.
    pub const TAKE_OVER_UNVERIFIED: &str = "Take over unverified account";
    pub const UPDATE_GROUP: &str = "Update group";
    pub const DELETE_GROUP: &str = "Delete group";
    pub const REMOVE_GROUP_MEMBER: &str = "Remove member from group";
    pub const UPDATE_APP: &str = "Update application";
    pub const DELETE_APP: &str = "Delete application";
    pub const ROTATE_APP_SECRET: &str = "Rotate application secret";
    pub const ASSIGN_APP: &str = "Add app role assignment";
    pub const UNASSIGN_APP: &str = "Remove app role assignment";
    pub const UPDATE_BRANDING: &str = "Update company branding";
    pub const UPDATE_POLICY: &str = "Update policy";
    pub const REVOKE_INVITATION: &str = "Revoke invitation";
    pub const ADD_WEBHOOK: &str = "Add webhook";
    pub const UPDATE_WEBHOOK: &str = "Update webhook";
    pub const DELETE_WEBHOOK: &str = "Delete webhook";
    pub const ROTATE_WEBHOOK_SECRET: &str = "Rotate webhook secret";
    /// An admin sent a logged webhook message again.
    pub const REPLAY_WEBHOOK: &str = "Replay webhook";
    /// An authorization rule refused a caller; nothing else changed.
    /// A sponsor answered a review link (details: `decision`).
    pub const REVIEW_GUEST: &str = "Review guest";
    /// The lifecycle job sent sponsors their review emails.
    pub const START_GUEST_REVIEW: &str = "Start guest review";
    pub const UPDATE_SPONSORS: &str = "Update sponsors";
    pub const ACCESS_DENIED: &str = "Access denied";
}

pub struct AuditEvent<'a> {
    pub tenant_id: &'a str,
    pub event_name: &'a str,
    pub actor: &'a str,
    pub target: &'a str,
    pub outcome: &'a str,
    pub details: serde_json::Value,
}

pub fn record(c: &mut AnyConnection, e: AuditEvent<'_>) -> Result<()> {
    let row = row_of(&e);
    queries::audit::insert(c, &row)?;
    let listening = queries::webhooks::listening(c, &row.tenant_id)?;
    queue_webhooks(c, &listening, &row, &e.details)
}

/// Records the events of one tenant that one use case made in one transaction (an invitation with
/// its groups and apps), in order: one statement writes them, and the tenant's webhook endpoints are
/// read once for all of them.
pub fn record_all(
    c: &mut AnyConnection,
    tenant_id: &str,
    events: Vec<AuditEvent<'_>>,
) -> Result<()> {
    debug_assert!(events.iter().all(|e| e.tenant_id == tenant_id));
    if events.is_empty() {
        return Ok(());
    }
    let rows: Vec<AuditEventRow> = events.iter().map(row_of).collect();
    queries::audit::insert_all(c, &rows)?;
    let listening = queries::webhooks::listening(c, tenant_id)?;
    for (row, e) in rows.iter().zip(&events) {
        queue_webhooks(c, &listening, row, &e.details)?;
    }
    Ok(())
}

fn row_of(e: &AuditEvent<'_>) -> AuditEventRow {
    AuditEventRow {
        // Time-ordered ids: events of the same second keep their order in "newest first".
        id: uuid::Uuid::now_v7().to_string(),
        tenant_id: e.tenant_id.to_string(),
        at: crate::clock::now(),
        event_name: e.event_name.to_string(),
        actor: e.actor.to_string(),
        target: e.target.to_string(),
        outcome: e.outcome.to_string(),
        details: e.details.to_string(),
    }
}

/// Queues the event for every enabled webhook endpoint of its tenant that subscribed to it, in the
/// transaction that records it: the message exists exactly when the event does.
fn queue_webhooks(
    c: &mut AnyConnection,
    listening: &[(String, String)],
    row: &AuditEventRow,
    details: &serde_json::Value,
) -> Result<()> {
    use crate::domain::webhook::{EventFacts, payload, wants};
    let mut body = None;
    for (endpoint_id, events) in listening {
        let events: Vec<String> = serde_json::from_str(events).unwrap_or_default();
        if !wants(&events, &row.event_name) {
            continue;
        }
        let body = body.get_or_insert_with(|| {
            payload(&EventFacts {
                id: &row.id,
                tenant_id: &row.tenant_id,
                at: row.at,
                event_name: &row.event_name,
                actor: &row.actor,
                target: &row.target,
                outcome: &row.outcome,
                details,
            })
            .to_string()
        });
        queries::webhooks::insert_delivery(
            c,
            &crate::store::models::WebhookDeliveryRow {
                id: uuid::Uuid::now_v7().to_string(),
                message_id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
                endpoint_id: endpoint_id.clone(),
                tenant_id: row.tenant_id.clone(),
                event_name: row.event_name.clone(),
                payload: body.clone(),
                state: queries::webhooks::PENDING.into(),
                attempts: 0,
                next_attempt_at: row.at,
                claim: None,
                claimed_until: None,
                last_status: None,
                last_error: None,
                created_at: row.at,
                delivered_at: None,
            },
        )?;
    }
    Ok(())
}

/// An audit event as admins read it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditView {
    pub id: String,
    /// Unix seconds.
    pub at: i64,
    pub event_name: String,
    pub actor: String,
    pub target: String,
    pub outcome: String,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub event_name: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub value: Vec<AuditView>,
    pub next_cursor: Option<String>,
}

fn filter_of(q: &AuditQuery) -> crate::error::Result<queries::audit::AuditFilter> {
    let nonempty = |v: &Option<String>| {
        v.as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let before = match nonempty(&q.cursor) {
        None => None,
        Some(c) => Some(
            c.split_once('.')
                .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.to_string())))
                .ok_or_else(|| {
                    crate::error::Error::invalid("cursor", "not a cursor this server gave out")
                })?,
        ),
    };
    Ok(queries::audit::AuditFilter {
        event_name: nonempty(&q.event_name),
        actor: nonempty(&q.actor),
        target: nonempty(&q.target),
        from: q.from,
        until: q.until,
        before,
    })
}

fn view(r: AuditEventRow) -> AuditView {
    AuditView {
        details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
        id: r.id,
        at: r.at,
        event_name: r.event_name,
        actor: r.actor,
        target: r.target,
        outcome: r.outcome,
    }
}

/// A page of the tenant's audit log, newest first.
pub async fn list(
    svc: &super::Services,
    actor: &super::auth::Actor,
    tenant: &super::tenants::Tenant,
    q: AuditQuery,
) -> crate::error::Result<AuditPage> {
    let filter = filter_of(&q)?;
    let limit = super::etag::page_limit(q.limit);
    let tenant_id = tenant.id.clone();
    let mut rows = svc
        .read_as(actor, tenant, Action::Administer, "audit", move |c, _| {
            queries::audit::list(c, &tenant_id, &filter, limit + 1)
        })
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| rows.last().map(|r| format!("{}.{}", r.at, r.id)))
        .flatten();
    Ok(AuditPage {
        value: rows.into_iter().map(view).collect(),
        next_cursor,
    })
}

/// Every matching event (up to 100,000) as CSV, for export.
pub async fn export_csv(
    svc: &super::Services,
    actor: &super::auth::Actor,
    tenant: &super::tenants::Tenant,
    q: AuditQuery,
) -> crate::error::Result<String> {
    let filter = filter_of(&q)?;
    let tenant_id = tenant.id.clone();
    let rows = svc
        .read_as(actor, tenant, Action::Administer, "audit", move |c, _| {
            queries::audit::list(c, &tenant_id, &filter, 100_000)
        })
        .await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| crate::error::Error::internal(e);
    w.write_record(["at", "eventName", "actor", "target", "outcome", "details"])
        .map_err(io)?;
    for r in rows {
        let at = r.at.to_string();
        // Actors and targets can be what someone typed on the sign-in page: every cell is made safe.
        let cells = [
            at.as_str(),
            &r.event_name,
            &r.actor,
            &r.target,
            &r.outcome,
            &r.details,
        ]
        .map(safe_cell);
        w.write_record(cells.iter().map(|cell| cell.as_bytes()))
            .map_err(io)?;
    }
    String::from_utf8(w.into_inner().map_err(crate::error::Error::internal)?)
        .map_err(crate::error::Error::internal)
}

/// The event names present in the tenant's log (the console's filter).
pub async fn event_names(
    svc: &super::Services,
    actor: &super::auth::Actor,
    tenant: &super::tenants::Tenant,
) -> crate::error::Result<Vec<String>> {
    let tenant_id = tenant.id.clone();
    svc.read_as(actor, tenant, Action::Administer, "audit", move |c, _| {
        queries::audit::event_names(c, &tenant_id)
    })
    .await
}

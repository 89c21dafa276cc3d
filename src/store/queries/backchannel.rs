//! Back-channel logout: queueing a logout token for every app that holds a grant which just ended, in
//! the transaction that ends it, and the delivery queue the worker leases from (like the mail outbox).

use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::LogoutDeliveryRow;
use crate::store::schema::apps::dsl as a;
use crate::store::schema::grants::dsl as g;
use crate::store::schema::logout_deliveries::dsl as d;
use diesel::prelude::*;
use std::collections::BTreeSet;

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

/// What ended.
#[derive(Debug, Clone, Copy)]
pub enum Ended<'a> {
    /// These sessions (sign-out, RP-initiated logout, "sign out everywhere else").
    Sessions(&'a [String]),
    /// Every grant of these user objects (disabled, deleted, reset, left the organisation).
    GrantsOf(&'a [String]),
    /// One grant (its refresh token was reused).
    Grant(&'a str),
}

/// Queues one logout token per (app, user object, session) among the grants `ended` touches whose app
/// listens on the back channel and was not told about that grant before. Returns how many were queued.
/// Called in the transaction that deletes the sessions or revokes the grants.
pub fn queue(c: &mut AnyConnection, ended: Ended<'_>, reason: &str, now: i64) -> Result<usize> {
    let mut q = g::grants.filter(g::logout_queued_at.is_null()).into_boxed();
    q = match ended {
        Ended::Sessions([]) | Ended::GrantsOf([]) => return Ok(0),
        Ended::Sessions(ids) => q.filter(g::session_id.eq_any(ids)),
        Ended::GrantsOf(users) => q.filter(g::user_id.eq_any(users)),
        Ended::Grant(id) => q.filter(g::id.eq(id)),
    };
    let grants: Vec<(String, String, String, String, Option<String>)> = q
        .select((g::id, g::tenant_id, g::app_id, g::user_id, g::session_id))
        .load(c)?;
    if grants.is_empty() {
        return Ok(0);
    }
    let app_ids: BTreeSet<&String> = grants.iter().map(|r| &r.2).collect();
    let listening: BTreeSet<String> = a::apps
        .filter(a::id.eq_any(app_ids))
        .filter(
            a::backchannel_logout_uri
                .is_not_null()
                .and(a::enabled.eq(true)),
        )
        .select(a::id)
        .load::<String>(c)?
        .into_iter()
        .collect();
    let mut told = BTreeSet::new();
    for (grant_id, tenant_id, app_id, user_id, session_id) in &grants {
        if !listening.contains(app_id) {
            continue;
        }
        // The update that marks the grant decides who tells: of two transactions ending it at once
        // (a sign-out while an admin disables the account), only one queues a token for it.
        let won =
            diesel::update(g::grants.filter(g::id.eq(grant_id).and(g::logout_queued_at.is_null())))
                .set(g::logout_queued_at.eq(Some(now)))
                .execute(c)?
                == 1;
        if !won || !told.insert((app_id, user_id, session_id)) {
            continue;
        }
        diesel::insert_into(d::logout_deliveries)
            .values(&LogoutDeliveryRow {
                id: uuid::Uuid::new_v4().to_string(),
                tenant_id: tenant_id.clone(),
                app_id: app_id.clone(),
                subject: user_id.clone(),
                session_id: session_id.clone(),
                jti: uuid::Uuid::new_v4().to_string(),
                reason: reason.to_string(),
                state: PENDING.into(),
                attempts: 0,
                next_attempt_at: now,
                claim: None,
                claimed_until: None,
                last_error: None,
                created_at: now,
                delivered_at: None,
            })
            .execute(c)?;
    }
    Ok(told.len())
}

leased_queue!(logout_deliveries, LogoutDeliveryRow);

/// Records a delivery the app acknowledged.
pub fn mark_delivered(c: &mut AnyConnection, id: &str, claim: &str, now: i64) -> Result<()> {
    diesel::update(d::logout_deliveries.filter(d::id.eq(id).and(d::claim.eq(claim))))
        .set((
            d::state.eq(DELIVERED),
            d::delivered_at.eq(Some(now)),
            d::attempts.eq(d::attempts + 1),
            d::claimed_until.eq(None::<i64>),
            d::last_error.eq(None::<String>),
        ))
        .execute(c)?;
    Ok(())
}

/// Records a failed attempt: retry at `next_attempt_at`, or give up (`failed`) when `give_up`.
pub fn mark_attempt_failed(
    c: &mut AnyConnection,
    id: &str,
    claim: &str,
    error: &str,
    next_attempt_at: i64,
    give_up: bool,
) -> Result<()> {
    let state = if give_up { FAILED } else { PENDING };
    diesel::update(d::logout_deliveries.filter(d::id.eq(id).and(d::claim.eq(claim))))
        .set((
            d::state.eq(state),
            d::attempts.eq(d::attempts + 1),
            d::next_attempt_at.eq(next_attempt_at),
            d::claimed_until.eq(None::<i64>),
            d::last_error.eq(Some(error)),
        ))
        .execute(c)?;
    Ok(())
}

/// An app's deliveries, newest first (the delivery log).
pub fn of_app(c: &mut AnyConnection, app_id: &str, limit: i64) -> Result<Vec<LogoutDeliveryRow>> {
    Ok(d::logout_deliveries
        .filter(d::app_id.eq(app_id))
        .order(d::created_at.desc())
        .limit(limit)
        .select(LogoutDeliveryRow::as_select())
        .load(c)?)
}

/// Deliveries in `state` (pending or failed), for readiness and metrics.
pub fn count_in(c: &mut AnyConnection, state: &str) -> Result<i64> {
    Ok(d::logout_deliveries
        .filter(d::state.eq(state))
        .count()
        .get_result(c)?)
}

/// Removes deliveries that ended (delivered or given up) before `before`.
pub fn purge(c: &mut AnyConnection, before: i64) -> Result<usize> {
    Ok(diesel::delete(
        d::logout_deliveries.filter(d::state.ne(PENDING).and(d::created_at.lt(before))),
    )
    .execute(c)?)
}

//! The mail outbox: enqueue in the caller's transaction; workers claim due messages one by one with a
//! conditional update (a lease), so two processes never send the same message at the same time.

use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::OutboxRow;
use crate::store::schema::outbox_messages::dsl as o;
use diesel::prelude::*;

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

/// The body of a message that can no longer be sent (delivered, or given up on): nothing, since it held a
/// live link (see `mail::outbox`).
pub const CLEARED: &str = "";

pub fn insert(c: &mut AnyConnection, row: &OutboxRow) -> Result<()> {
    diesel::insert_into(o::outbox_messages)
        .values(row)
        .execute(c)?;
    Ok(())
}

leased_queue!(outbox_messages, OutboxRow);

/// Records a delivery and clears the body.
pub fn mark_sent(c: &mut AnyConnection, id: &str, claim: &str, now: i64) -> Result<()> {
    diesel::update(o::outbox_messages.filter(o::id.eq(id).and(o::claim.eq(claim))))
        .set((
            o::state.eq(SENT),
            o::message.eq(CLEARED),
            o::sent_at.eq(Some(now)),
            o::attempts.eq(o::attempts + 1),
            o::claimed_until.eq(None::<i64>),
            o::last_error.eq(None::<String>),
        ))
        .execute(c)?;
    Ok(())
}

/// Records a failed attempt: retry at `next_attempt_at`, or give up (`failed`, the body cleared) when
/// `give_up`.
pub fn mark_attempt_failed(
    c: &mut AnyConnection,
    id: &str,
    claim: &str,
    error: &str,
    next_attempt_at: i64,
    give_up: bool,
) -> Result<()> {
    let attempt = (
        o::attempts.eq(o::attempts + 1),
        o::next_attempt_at.eq(next_attempt_at),
        o::claimed_until.eq(None::<i64>),
        o::last_error.eq(Some(error)),
    );
    let claimed = o::id.eq(id).and(o::claim.eq(claim));
    if give_up {
        diesel::update(o::outbox_messages.filter(claimed))
            .set((o::state.eq(FAILED), o::message.eq(CLEARED), attempt))
            .execute(c)?;
    } else {
        diesel::update(o::outbox_messages.filter(claimed))
            .set((o::state.eq(PENDING), attempt))
            .execute(c)?;
    }
    Ok(())
}

pub fn by_id(c: &mut AnyConnection, id: &str) -> Result<Option<OutboxRow>> {
    Ok(o::outbox_messages
        .find(id)
        .select(OutboxRow::as_select())
        .first(c)
        .optional()?)
}

/// Messages still waiting to be delivered (pending), for readiness and metrics.
pub fn depth(c: &mut AnyConnection) -> Result<i64> {
    Ok(o::outbox_messages
        .filter(o::state.eq(PENDING))
        .count()
        .get_result(c)?)
}

/// Messages given up on after their last attempt (`failed`), for metrics; like [`depth`] it walks the
/// `outbox_due` index, never the sent messages.
pub fn failed_count(c: &mut AnyConnection) -> Result<i64> {
    Ok(o::outbox_messages
        .filter(o::state.eq(FAILED))
        .count()
        .get_result(c)?)
}

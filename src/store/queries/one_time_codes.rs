//! Emailed one-time codes.

use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::OneTimeCodeRow;
use crate::store::schema::one_time_codes::dsl as otc;
use diesel::prelude::*;

pub fn insert(c: &mut AnyConnection, row: &OneTimeCodeRow) -> Result<()> {
    diesel::insert_into(otc::one_time_codes)
        .values(row)
        .execute(c)?;
    Ok(())
}

/// The code of challenge `id`, used or not (the caller tells the cases apart).
pub fn by_id(c: &mut AnyConnection, id: &str) -> Result<Option<OneTimeCodeRow>> {
    Ok(otc::one_time_codes
        .find(id)
        .select(OneTimeCodeRow::as_select())
        .first(c)
        .optional()?)
}

/// Counts one wrong try; the code is used up at `max` tries. Returns the tries so far.
pub fn wrong_try(c: &mut AnyConnection, id: &str, max: i32, now: i64) -> Result<i32> {
    diesel::update(otc::one_time_codes.find(id).filter(otc::used_at.is_null()))
        .set(otc::attempts.eq(otc::attempts + 1))
        .execute(c)?;
    diesel::update(
        otc::one_time_codes
            .find(id)
            .filter(otc::used_at.is_null().and(otc::attempts.ge(max))),
    )
    .set(otc::used_at.eq(Some(now)))
    .execute(c)?;
    Ok(otc::one_time_codes
        .find(id)
        .select(otc::attempts)
        .first(c)
        .optional()?
        .unwrap_or(max))
}

/// Marks a code used; false when another request used it (or used it up) first.
pub fn mark_used(c: &mut AnyConnection, id: &str, now: i64) -> Result<bool> {
    let n = diesel::update(otc::one_time_codes.find(id).filter(otc::used_at.is_null()))
        .set(otc::used_at.eq(Some(now)))
        .execute(c)?;
    Ok(n == 1)
}

/// Ends every unused code for `email_lower` at `tenant_id` (a new code replaces the old ones).
pub fn void_unused(
    c: &mut AnyConnection,
    tenant_id: &str,
    email_lower: &str,
    now: i64,
) -> Result<()> {
    diesel::update(
        otc::one_time_codes.filter(
            otc::tenant_id
                .eq(tenant_id)
                .and(otc::email_lower.eq(email_lower))
                .and(otc::used_at.is_null()),
        ),
    )
    .set(otc::used_at.eq(Some(now)))
    .execute(c)?;
    Ok(())
}

/// Removes codes that expired before `now`.
pub fn purge(c: &mut AnyConnection, now: i64) -> Result<usize> {
    Ok(diesel::delete(otc::one_time_codes.filter(otc::expires_at.lt(now))).execute(c)?)
}

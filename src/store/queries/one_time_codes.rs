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

/// Takes one of a code's tries, in one statement so that guesses sent at once cannot all slip under
/// the limit: the code (with the try counted) while it is unused, unexpired and has tries left, else
/// `None`.
pub fn take_try(
    c: &mut AnyConnection,
    id: &str,
    max: i32,
    now: i64,
) -> Result<Option<OneTimeCodeRow>> {
    let taken = diesel::update(
        otc::one_time_codes.find(id).filter(
            otc::used_at
                .is_null()
                .and(otc::expires_at.gt(now))
                .and(otc::attempts.lt(max)),
        ),
    )
    .set(otc::attempts.eq(otc::attempts + 1))
    .execute(c)?;
    if taken != 1 {
        return Ok(None);
    }
    by_id(c, id)
}

/// Marks a code used; false when another request used it (or used it up) first.
pub fn mark_used(c: &mut AnyConnection, id: &str, now: i64) -> Result<bool> {
    let n = diesel::update(otc::one_time_codes.find(id).filter(otc::used_at.is_null()))
        .set(otc::used_at.eq(Some(now)))
        .execute(c)?;
    Ok(n == 1)
}

/// Ends every unused code of `purpose` for `email_lower` at `tenant_id` (a new one replaces them).
pub fn void_unused(
    c: &mut AnyConnection,
    tenant_id: &str,
    email_lower: &str,
    purpose: &str,
    now: i64,
) -> Result<()> {
    diesel::update(
        otc::one_time_codes.filter(
            otc::tenant_id
                .eq(tenant_id)
                .and(otc::email_lower.eq(email_lower))
                .and(otc::purpose.eq(purpose))
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

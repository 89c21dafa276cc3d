use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::ActionTokenRow;
use crate::store::schema::action_tokens::dsl as at;
use diesel::prelude::*;

pub fn insert(c: &mut AnyConnection, row: &ActionTokenRow) -> Result<()> {
    diesel::insert_into(at::action_tokens)
        .values(row)
        .execute(c)?;
    Ok(())
}

/// A usable (unexpired, unused) token of `purpose`.
pub fn usable(
    c: &mut AnyConnection,
    hash: &str,
    purpose: &str,
    now: i64,
) -> Result<Option<ActionTokenRow>> {
    Ok(at::action_tokens
        .filter(
            at::token_hash
                .eq(hash)
                .and(at::purpose.eq(purpose))
                .and(at::used_at.is_null())
                .and(at::expires_at.gt(now)),
        )
        .select(ActionTokenRow::as_select())
        .first(c)
        .optional()?)
}

/// Marks a token used; returns false when another request used it first.
pub fn mark_used(c: &mut AnyConnection, hash: &str, now: i64) -> Result<bool> {
    let n = diesel::update(
        at::action_tokens.filter(at::token_hash.eq(hash).and(at::used_at.is_null())),
    )
    .set(at::used_at.eq(Some(now)))
    .execute(c)?;
    Ok(n == 1)
}

/// Voids every unused token of `purpose` in a tenant (a new setup link replaces the old one).
pub fn void_unused(c: &mut AnyConnection, tenant_id: &str, purpose: &str, now: i64) -> Result<()> {
    diesel::update(
        at::action_tokens.filter(
            at::tenant_id
                .eq(tenant_id)
                .and(at::purpose.eq(purpose))
                .and(at::used_at.is_null()),
        ),
    )
    .set(at::used_at.eq(Some(now)))
    .execute(c)?;
    Ok(())
}

/// Voids every unused token of `purpose` for one user (a new reset link replaces the old one).
pub fn void_unused_for_user(
    c: &mut AnyConnection,
    user_id: &str,
    purpose: &str,
    now: i64,
) -> Result<()> {
    diesel::update(
        at::action_tokens.filter(
            at::user_id
                .eq(user_id)
                .and(at::purpose.eq(purpose))
                .and(at::used_at.is_null()),
        ),
    )
    .set(at::used_at.eq(Some(now)))
    .execute(c)?;
    Ok(())
}

//! Authorization codes, grants (token families), refresh tokens, revoked access tokens and consents.

use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::{
    CodeRow, ConsentRow, GrantRow, PendingAuthorizationRow, RefreshTokenRow,
};
use crate::store::schema::authorization_codes::dsl as ac;
use crate::store::schema::consents::dsl as cs;
use crate::store::schema::grants::dsl as g;
use crate::store::schema::pending_authorizations::dsl as pa;
use crate::store::schema::refresh_tokens::dsl as rt;
use crate::store::schema::revoked_tokens::dsl as rv;
use diesel::prelude::*;

pub fn insert_code(c: &mut AnyConnection, row: &CodeRow) -> Result<()> {
    diesel::insert_into(ac::authorization_codes)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn code_by_hash(c: &mut AnyConnection, hash: &str) -> Result<Option<CodeRow>> {
    Ok(ac::authorization_codes
        .find(hash)
        .select(CodeRow::as_select())
        .first(c)
        .optional()?)
}

/// Marks a code consumed and records the grant it produced. Returns false when it was consumed
/// already (a concurrent exchange won), so a code is exchanged at most once.
pub fn consume_code(c: &mut AnyConnection, hash: &str, grant_id: &str, now: i64) -> Result<bool> {
    let n = diesel::update(
        ac::authorization_codes.filter(ac::code_hash.eq(hash).and(ac::consumed_at.is_null())),
    )
    .set((
        ac::consumed_at.eq(Some(now)),
        ac::grant_id.eq(Some(grant_id)),
    ))
    .execute(c)?;
    Ok(n == 1)
}

pub fn insert_grant(c: &mut AnyConnection, row: &GrantRow) -> Result<()> {
    diesel::insert_into(g::grants).values(row).execute(c)?;
    Ok(())
}

pub fn grant_by_id(c: &mut AnyConnection, id: &str) -> Result<Option<GrantRow>> {
    Ok(g::grants
        .find(id)
        .select(GrantRow::as_select())
        .first(c)
        .optional()?)
}

pub fn revoke_grant(c: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    diesel::update(g::grants.filter(g::id.eq(id).and(g::revoked_at.is_null())))
        .set(g::revoked_at.eq(Some(now)))
        .execute(c)?;
    Ok(())
}

/// Revokes every live grant of the user objects `user_ids`: their refresh tokens stop working and so do
/// the access tokens issued under them (each use looks its grant up). Their apps are told on the back
/// channel.
pub fn revoke_grants_of(c: &mut AnyConnection, user_ids: &[String], now: i64) -> Result<usize> {
    super::backchannel::queue(
        c,
        super::backchannel::Ended::GrantsOf(user_ids),
        "access ended",
        now,
    )?;
    Ok(
        diesel::update(g::grants.filter(g::user_id.eq_any(user_ids).and(g::revoked_at.is_null())))
            .set(g::revoked_at.eq(Some(now)))
            .execute(c)?,
    )
}

pub fn insert_refresh(c: &mut AnyConnection, row: &RefreshTokenRow) -> Result<()> {
    diesel::insert_into(rt::refresh_tokens)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn refresh_by_hash(c: &mut AnyConnection, hash: &str) -> Result<Option<RefreshTokenRow>> {
    Ok(rt::refresh_tokens
        .find(hash)
        .select(RefreshTokenRow::as_select())
        .first(c)
        .optional()?)
}

/// Marks a refresh token rotated; false when it already was (reuse, or a concurrent refresh).
pub fn rotate_refresh(c: &mut AnyConnection, hash: &str, now: i64) -> Result<bool> {
    let n = diesel::update(
        rt::refresh_tokens.filter(rt::token_hash.eq(hash).and(rt::rotated_at.is_null())),
    )
    .set(rt::rotated_at.eq(Some(now)))
    .execute(c)?;
    Ok(n == 1)
}

pub fn revoke_jti(c: &mut AnyConnection, jti: &str, expires_at: i64) -> Result<()> {
    let exists = rv::revoked_tokens.find(jti).count().get_result::<i64>(c)? > 0;
    if !exists {
        diesel::insert_into(rv::revoked_tokens)
            .values((rv::jti.eq(jti), rv::expires_at.eq(expires_at)))
            .execute(c)?;
    }
    Ok(())
}

pub fn is_jti_revoked(c: &mut AnyConnection, jti: &str) -> Result<bool> {
    Ok(rv::revoked_tokens.find(jti).count().get_result::<i64>(c)? > 0)
}

pub fn insert_pending(c: &mut AnyConnection, row: &PendingAuthorizationRow) -> Result<()> {
    diesel::insert_into(pa::pending_authorizations)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn pending(
    c: &mut AnyConnection,
    id: &str,
    tenant_id: &str,
    now: i64,
) -> Result<Option<PendingAuthorizationRow>> {
    Ok(pa::pending_authorizations
        .filter(
            pa::id
                .eq(id)
                .and(pa::tenant_id.eq(tenant_id))
                .and(pa::expires_at.gt(now)),
        )
        .select(PendingAuthorizationRow::as_select())
        .first(c)
        .optional()?)
}

pub fn delete_pending(c: &mut AnyConnection, id: &str) -> Result<()> {
    diesel::delete(pa::pending_authorizations.find(id)).execute(c)?;
    Ok(())
}

pub fn consent(c: &mut AnyConnection, user_id: &str, app_id: &str) -> Result<Option<ConsentRow>> {
    Ok(cs::consents
        .find((user_id, app_id))
        .select(ConsentRow::as_select())
        .first(c)
        .optional()?)
}

pub fn save_consent(c: &mut AnyConnection, row: &ConsentRow) -> Result<()> {
    diesel::delete(cs::consents.find((&row.user_id, &row.app_id))).execute(c)?;
    diesel::insert_into(cs::consents).values(row).execute(c)?;
    Ok(())
}

/// Deletes codes, refresh tokens and revocation records past their use; returns rows removed.
/// Consumed codes are kept until their grant would have expired, so replays stay detectable.
pub fn purge_expired(c: &mut AnyConnection, now: i64, keep_codes_for: i64) -> Result<usize> {
    let mut n =
        diesel::delete(ac::authorization_codes.filter(ac::expires_at.lt(now - keep_codes_for)))
            .execute(c)?;
    n += diesel::delete(rt::refresh_tokens.filter(rt::expires_at.lt(now))).execute(c)?;
    n += diesel::delete(rv::revoked_tokens.filter(rv::expires_at.lt(now))).execute(c)?;
    n += diesel::delete(g::grants.filter(g::expires_at.lt(now))).execute(c)?;
    n += diesel::delete(pa::pending_authorizations.filter(pa::expires_at.lt(now))).execute(c)?;
    Ok(n)
}

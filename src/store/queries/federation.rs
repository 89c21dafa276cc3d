//! Upstream identity providers, the identities people bring from them, the directories kept per
//! upstream issuer, and round trips in progress.

use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::{FederationStateRow, IdentityProviderRow, UpstreamIdentityRow};
use crate::store::schema::{
    federation_states as fs, identity_providers as ip, upstream_directories as ud,
    upstream_identities as ui,
};
use diesel::prelude::*;

/// The providers a tenant may use: its own and the operator's shared ones, by name.
pub fn providers_for(c: &mut AnyConnection, tenant_id: &str) -> Result<Vec<IdentityProviderRow>> {
    Ok(ip::table
        .filter(ip::tenant_id.eq(tenant_id).or(ip::tenant_id.is_null()))
        .order((ip::display_name.asc(), ip::id.asc()))
        .select(IdentityProviderRow::as_select())
        .load(c)?)
}

/// The providers a tenant owns (not the shared ones), or the shared ones for `None`.
pub fn providers_of(
    c: &mut AnyConnection,
    tenant_id: Option<&str>,
) -> Result<Vec<IdentityProviderRow>> {
    let query = ip::table
        .order((ip::display_name.asc(), ip::id.asc()))
        .select(IdentityProviderRow::as_select());
    Ok(match tenant_id {
        Some(t) => query.filter(ip::tenant_id.eq(t)).load(c)?,
        None => query.filter(ip::tenant_id.is_null()).load(c)?,
    })
}

pub fn provider(c: &mut AnyConnection, id: &str) -> Result<Option<IdentityProviderRow>> {
    Ok(ip::table
        .find(id)
        .select(IdentityProviderRow::as_select())
        .first(c)
        .optional()?)
}

pub fn insert_provider(c: &mut AnyConnection, row: &IdentityProviderRow) -> Result<()> {
    diesel::insert_into(ip::table).values(row).execute(c)?;
    Ok(())
}

pub fn update_provider(c: &mut AnyConnection, row: &IdentityProviderRow) -> Result<()> {
    diesel::update(ip::table.find(&row.id))
        .set(row)
        .execute(c)?;
    Ok(())
}

pub fn delete_provider(c: &mut AnyConnection, id: &str) -> Result<bool> {
    Ok(diesel::delete(ip::table.find(id)).execute(c)? > 0)
}

pub fn identity(
    c: &mut AnyConnection,
    issuer: &str,
    subject: &str,
) -> Result<Option<UpstreamIdentityRow>> {
    Ok(ui::table
        .filter(ui::issuer.eq(issuer).and(ui::subject.eq(subject)))
        .select(UpstreamIdentityRow::as_select())
        .first(c)
        .optional()?)
}

pub fn identity_of_user(
    c: &mut AnyConnection,
    user_id: &str,
) -> Result<Option<UpstreamIdentityRow>> {
    Ok(ui::table
        .find(user_id)
        .select(UpstreamIdentityRow::as_select())
        .first(c)
        .optional()?)
}

pub fn insert_identity(c: &mut AnyConnection, row: &UpstreamIdentityRow) -> Result<()> {
    diesel::insert_into(ui::table).values(row).execute(c)?;
    Ok(())
}

pub fn touch_identity(c: &mut AnyConnection, user_id: &str, email: &str, now: i64) -> Result<()> {
    diesel::update(ui::table.find(user_id))
        .set((ui::last_sign_in_at.eq(now), ui::email.eq(email)))
        .execute(c)?;
    Ok(())
}

/// The directory kept for `issuer`'s people, when there is one.
pub fn directory(c: &mut AnyConnection, issuer: &str) -> Result<Option<String>> {
    Ok(ud::table
        .find(issuer)
        .select(ud::tenant_id)
        .first(c)
        .optional()?)
}

/// The upstream issuer whose directory `tenant_id` is, when it is one.
pub fn directory_issuer(c: &mut AnyConnection, tenant_id: &str) -> Result<Option<String>> {
    Ok(ud::table
        .filter(ud::tenant_id.eq(tenant_id))
        .select(ud::issuer)
        .first(c)
        .optional()?)
}

pub fn insert_directory(c: &mut AnyConnection, issuer: &str, tenant_id: &str) -> Result<()> {
    diesel::insert_into(ud::table)
        .values((ud::issuer.eq(issuer), ud::tenant_id.eq(tenant_id)))
        .execute(c)?;
    Ok(())
}

pub fn insert_state(c: &mut AnyConnection, row: &FederationStateRow) -> Result<()> {
    diesel::insert_into(fs::table).values(row).execute(c)?;
    Ok(())
}

/// Takes the round trip `id` out of the store: the one caller whose delete removed it gets it, so a
/// `state` is used at most once even when two requests race.
pub fn take_state(c: &mut AnyConnection, id: &str) -> Result<Option<FederationStateRow>> {
    let Some(row) = fs::table
        .find(id)
        .select(FederationStateRow::as_select())
        .first(c)
        .optional()?
    else {
        return Ok(None);
    };
    let removed = diesel::delete(fs::table.find(id)).execute(c)?;
    Ok((removed == 1).then_some(row))
}

/// Forgets round trips that ended before `now`; returns how many.
pub fn purge_states(c: &mut AnyConnection, now: i64) -> Result<usize> {
    Ok(diesel::delete(fs::table.filter(fs::expires_at.lt(now))).execute(c)?)
}

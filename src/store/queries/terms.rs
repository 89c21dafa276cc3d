//! Terms of use and their acceptances.

use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::{TermsAcceptanceRow, TermsRow};
use crate::store::schema::terms_acceptances::dsl as ta;
use crate::store::schema::terms_of_use::dsl as tu;
use diesel::prelude::*;

/// The newest version a tenant published, if any.
pub fn latest_version(c: &mut AnyConnection, tenant_id: &str) -> Result<Option<i32>> {
    Ok(tu::terms_of_use
        .filter(tu::tenant_id.eq(tenant_id))
        .select(diesel::dsl::max(tu::version))
        .first::<Option<i32>>(c)?)
}

/// Every language of one version.
pub fn texts(c: &mut AnyConnection, tenant_id: &str, version: i32) -> Result<Vec<TermsRow>> {
    Ok(tu::terms_of_use
        .filter(tu::tenant_id.eq(tenant_id).and(tu::version.eq(version)))
        .order(tu::language.asc())
        .select(TermsRow::as_select())
        .load(c)?)
}

/// One row at a time: a batch insert has no form shared by both backends.
pub fn insert(c: &mut AnyConnection, rows: &[TermsRow]) -> Result<()> {
    for row in rows {
        diesel::insert_into(tu::terms_of_use)
            .values(row)
            .execute(c)?;
    }
    Ok(())
}

/// Whether `user_id` accepted `version`.
pub fn accepted(c: &mut AnyConnection, user_id: &str, version: i32) -> Result<bool> {
    Ok(ta::terms_acceptances
        .find((user_id, version))
        .count()
        .get_result::<i64>(c)?
        > 0)
}

pub fn insert_acceptance(c: &mut AnyConnection, row: &TermsAcceptanceRow) -> Result<()> {
    diesel::insert_into(ta::terms_acceptances)
        .values(row)
        .execute(c)?;
    Ok(())
}

/// A tenant's acceptances, newest first, at most `limit`.
pub fn acceptances(
    c: &mut AnyConnection,
    tenant_id: &str,
    limit: i64,
) -> Result<Vec<TermsAcceptanceRow>> {
    Ok(ta::terms_acceptances
        .filter(ta::tenant_id.eq(tenant_id))
        .order((ta::accepted_at.desc(), ta::user_id.asc()))
        .limit(limit)
        .select(TermsAcceptanceRow::as_select())
        .load(c)?)
}

use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::TenantRow;
use crate::store::schema::tenants::dsl as t;
use diesel::prelude::*;

pub fn insert(c: &mut AnyConnection, row: &TenantRow) -> Result<()> {
    diesel::insert_into(t::tenants).values(row).execute(c)?;
    Ok(())
}

pub fn by_slug(c: &mut AnyConnection, slug: &str) -> Result<Option<TenantRow>> {
    Ok(t::tenants
        .filter(t::slug.eq(slug))
        .select(TenantRow::as_select())
        .first(c)
        .optional()?)
}

pub fn by_id(c: &mut AnyConnection, id: &str) -> Result<Option<TenantRow>> {
    Ok(t::tenants
        .find(id)
        .select(TenantRow::as_select())
        .first(c)
        .optional()?)
}

pub fn list(c: &mut AnyConnection) -> Result<Vec<TenantRow>> {
    Ok(t::tenants
        .order(t::slug.asc())
        .select(TenantRow::as_select())
        .load(c)?)
}

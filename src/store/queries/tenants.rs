use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::{TenantLogoRow, TenantRow};
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

/// The unmanaged directory made for exactly `domain`, if any (never a managed tenant, whatever its domain).
pub fn unmanaged_for_domain(c: &mut AnyConnection, domain: &str) -> Result<Option<TenantRow>> {
    Ok(t::tenants
        .filter(t::unmanaged.eq(true).and(t::primary_domain.eq(domain)))
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

pub fn update(c: &mut AnyConnection, row: &TenantRow) -> Result<()> {
    diesel::update(t::tenants.find(&row.id))
        .set(row)
        .execute(c)?;
    Ok(())
}

pub fn logo(c: &mut AnyConnection, tenant_id: &str) -> Result<Option<TenantLogoRow>> {
    use crate::store::schema::tenant_logos::dsl as l;
    Ok(l::tenant_logos
        .find(tenant_id)
        .select(TenantLogoRow::as_select())
        .first(c)
        .optional()?)
}

/// Stores `row` as the tenant's logo, replacing any earlier one.
pub fn set_logo(c: &mut AnyConnection, row: &TenantLogoRow) -> Result<()> {
    use crate::store::schema::tenant_logos::dsl as l;
    diesel::delete(l::tenant_logos.find(&row.tenant_id)).execute(c)?;
    diesel::insert_into(l::tenant_logos)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn delete_logo(c: &mut AnyConnection, tenant_id: &str) -> Result<()> {
    use crate::store::schema::tenant_logos::dsl as l;
    diesel::delete(l::tenant_logos.find(tenant_id)).execute(c)?;
    Ok(())
}

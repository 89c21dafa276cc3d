use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::{AppRow, AssignmentRow};
use crate::store::schema::app_assignments::dsl as aa;
use crate::store::schema::apps::dsl as a;
use diesel::prelude::*;

pub fn insert(c: &mut AnyConnection, row: &AppRow) -> Result<()> {
    diesel::insert_into(a::apps).values(row).execute(c)?;
    Ok(())
}

pub fn by_client_id(
    c: &mut AnyConnection,
    tenant_id: &str,
    client_id: &str,
) -> Result<Option<AppRow>> {
    Ok(a::apps
        .filter(a::client_id.eq(client_id).and(a::tenant_id.eq(tenant_id)))
        .select(AppRow::as_select())
        .first(c)
        .optional()?)
}

pub fn by_id(c: &mut AnyConnection, id: &str) -> Result<Option<AppRow>> {
    Ok(a::apps
        .find(id)
        .select(AppRow::as_select())
        .first(c)
        .optional()?)
}

pub fn list_for_tenant(c: &mut AnyConnection, tenant_id: &str) -> Result<Vec<AppRow>> {
    Ok(a::apps
        .filter(a::tenant_id.eq(tenant_id))
        .order(a::name.asc())
        .select(AppRow::as_select())
        .load(c)?)
}

pub fn insert_assignment(c: &mut AnyConnection, row: &AssignmentRow) -> Result<()> {
    diesel::insert_into(aa::app_assignments)
        .values(row)
        .execute(c)?;
    Ok(())
}

/// Assignments of `app_id` to the user directly or to any of `group_ids`.
pub fn assignments_for(
    c: &mut AnyConnection,
    app_id: &str,
    user_id: &str,
    group_ids: &[String],
) -> Result<Vec<AssignmentRow>> {
    let mut principals: Vec<&str> = group_ids.iter().map(String::as_str).collect();
    principals.push(user_id);
    Ok(aa::app_assignments
        .filter(
            aa::app_id
                .eq(app_id)
                .and(aa::principal_id.eq_any(principals)),
        )
        .select(AssignmentRow::as_select())
        .load(c)?)
}

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

pub fn update(c: &mut AnyConnection, row: &AppRow) -> Result<()> {
    diesel::update(a::apps.find(&row.id)).set(row).execute(c)?;
    Ok(())
}

/// Deletes the app with its assignments, consents and codes; issued tokens die with their grants.
pub fn delete(c: &mut AnyConnection, id: &str) -> Result<()> {
    use crate::store::schema::{consents::dsl as co, grants::dsl as gr};
    diesel::delete(aa::app_assignments.filter(aa::app_id.eq(id))).execute(c)?;
    diesel::delete(co::consents.filter(co::app_id.eq(id))).execute(c)?;
    diesel::update(gr::grants.filter(gr::app_id.eq(id).and(gr::revoked_at.is_null())))
        .set(gr::revoked_at.eq(crate::clock::now()))
        .execute(c)?;
    diesel::delete(a::apps.find(id)).execute(c)?;
    Ok(())
}

/// Removes one assignment (any app role); false when there was none.
pub fn remove_assignment(
    c: &mut AnyConnection,
    app_id: &str,
    principal_type: &str,
    principal_id: &str,
) -> Result<bool> {
    Ok(diesel::delete(
        aa::app_assignments.filter(
            aa::app_id
                .eq(app_id)
                .and(aa::principal_type.eq(principal_type))
                .and(aa::principal_id.eq(principal_id)),
        ),
    )
    .execute(c)?
        > 0)
}

/// Every assignment of the app.
pub fn assignments_of_app(c: &mut AnyConnection, app_id: &str) -> Result<Vec<AssignmentRow>> {
    Ok(aa::app_assignments
        .filter(aa::app_id.eq(app_id))
        .select(AssignmentRow::as_select())
        .order((aa::principal_type.asc(), aa::principal_id.asc()))
        .load(c)?)
}

/// Ids of the apps a principal is assigned to directly.
pub fn app_ids_assigned_to(c: &mut AnyConnection, principal_id: &str) -> Result<Vec<String>> {
    Ok(aa::app_assignments
        .filter(aa::principal_id.eq(principal_id))
        .select(aa::app_id)
        .distinct()
        .load(c)?)
}

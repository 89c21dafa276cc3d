use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::{GroupMemberRow, GroupRow};
use crate::store::schema::group_members::dsl as gm;
use crate::store::schema::tenant_groups::dsl as g;
use diesel::prelude::*;

pub fn insert(c: &mut AnyConnection, row: &GroupRow) -> Result<()> {
    diesel::insert_into(g::tenant_groups)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn by_id(c: &mut AnyConnection, tenant_id: &str, id: &str) -> Result<Option<GroupRow>> {
    Ok(g::tenant_groups
        .filter(g::id.eq(id).and(g::tenant_id.eq(tenant_id)))
        .select(GroupRow::as_select())
        .first(c)
        .optional()?)
}

pub fn add_member(c: &mut AnyConnection, row: &GroupMemberRow) -> Result<()> {
    diesel::insert_into(gm::group_members)
        .values(row)
        .execute(c)?;
    Ok(())
}

/// Ids of the groups `user_id` is a direct member of.
pub fn group_ids_of(c: &mut AnyConnection, user_id: &str) -> Result<Vec<String>> {
    Ok(gm::group_members
        .filter(gm::user_id.eq(user_id))
        .select(gm::group_id)
        .order(gm::group_id.asc())
        .load(c)?)
}

pub fn update(c: &mut AnyConnection, row: &GroupRow) -> Result<()> {
    diesel::update(g::tenant_groups.find(&row.id))
        .set(row)
        .execute(c)?;
    Ok(())
}

/// Deletes the group, its memberships and its app assignments.
pub fn delete(c: &mut AnyConnection, id: &str) -> Result<()> {
    use crate::store::schema::app_assignments::dsl as a;
    diesel::delete(gm::group_members.filter(gm::group_id.eq(id))).execute(c)?;
    diesel::delete(
        a::app_assignments.filter(a::principal_type.eq("group").and(a::principal_id.eq(id))),
    )
    .execute(c)?;
    diesel::delete(g::tenant_groups.find(id)).execute(c)?;
    Ok(())
}

pub fn list(
    c: &mut AnyConnection,
    tenant_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<GroupRow>> {
    Ok(g::tenant_groups
        .filter(g::tenant_id.eq(tenant_id))
        .select(GroupRow::as_select())
        .order((g::display_name.asc(), g::id.asc()))
        .limit(limit)
        .offset(offset)
        .load(c)?)
}

pub fn by_ids(c: &mut AnyConnection, ids: &[String]) -> Result<Vec<GroupRow>> {
    Ok(g::tenant_groups
        .filter(g::id.eq_any(ids))
        .select(GroupRow::as_select())
        .order(g::display_name.asc())
        .load(c)?)
}

/// Removes a membership; false when there was none.
pub fn remove_member(c: &mut AnyConnection, group_id: &str, user_id: &str) -> Result<bool> {
    Ok(diesel::delete(
        gm::group_members.filter(gm::group_id.eq(group_id).and(gm::user_id.eq(user_id))),
    )
    .execute(c)?
        > 0)
}

/// The group's members, in address order.
pub fn members(
    c: &mut AnyConnection,
    group_id: &str,
    limit: i64,
) -> Result<Vec<crate::store::models::UserRow>> {
    use crate::store::schema::users::dsl as u;
    Ok(gm::group_members
        .inner_join(u::users.on(u::id.eq(gm::user_id)))
        .filter(gm::group_id.eq(group_id))
        .select(crate::store::models::UserRow::as_select())
        .order(u::mail_lower.asc())
        .limit(limit)
        .load(c)?)
}

pub fn member_count(c: &mut AnyConnection, group_id: &str) -> Result<i64> {
    Ok(gm::group_members
        .filter(gm::group_id.eq(group_id))
        .count()
        .get_result(c)?)
}

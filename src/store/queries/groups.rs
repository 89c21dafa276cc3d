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

//! Administering groups: list, read, rename, delete, members.

use super::Services;
use super::audit::{self, AuditEvent, events};
use super::auth::Actor;
use super::etag::{check_if_match, etag_of, page_limit};
use super::tenants::Tenant;
use super::users::UserView;
use crate::domain::access::Action;
use crate::domain::user::parse_display_name;
use crate::error::{Error, Result, patch_field};
use crate::store::connection::AnyConnection;
use crate::store::models::{GroupMemberRow, GroupRow};
use crate::store::queries;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Members shown with a group (the list is for reading; large groups are paged through users).
const MEMBERS_SHOWN: i64 = 500;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    pub id: String,
    pub display_name: String,
    pub description: String,
    pub member_count: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupDetail {
    pub group: GroupView,
    /// Up to 500 members, in address order.
    pub members: Vec<UserView>,
    /// Apps the group is assigned to.
    pub apps: Vec<super::users::Ref>,
    #[serde(skip)]
    pub etag: String,
}

fn view_on(c: &mut AnyConnection, g: GroupRow) -> Result<GroupView> {
    Ok(GroupView {
        member_count: queries::groups::member_count(c, &g.id)?,
        id: g.id,
        display_name: g.display_name,
        description: g.description,
        created_at: g.created_at,
    })
}

fn group_in(c: &mut AnyConnection, tenant: &Tenant, id: &str) -> Result<GroupRow> {
    queries::groups::by_id(c, &tenant.id, id)?.ok_or_else(|| Error::NotFound(format!("group {id}")))
}

fn detail_on(c: &mut AnyConnection, tenant: &Tenant, id: &str) -> Result<GroupDetail> {
    let g = group_in(c, tenant, id)?;
    // The ETag covers the group's own fields; membership changes are separate, idempotent calls.
    let etag = etag_of(&(&g.display_name, &g.description));
    let rows = queries::groups::members(c, &g.id, MEMBERS_SHOWN)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut roles = queries::users::roles_of_many(c, &ids)?;
    let members = rows
        .into_iter()
        .map(|r| {
            let held = roles.remove(&r.id).unwrap_or_default();
            UserView::of(r.into_user(held))
        })
        .collect();
    let mut apps = Vec::new();
    for app_id in queries::apps::app_ids_assigned_to(c, &g.id)? {
        if let Some(a) = queries::apps::by_id(c, &app_id)? {
            apps.push(super::users::Ref {
                id: a.id,
                display_name: a.name,
            });
        }
    }
    Ok(GroupDetail {
        group: view_on(c, g)?,
        members,
        apps,
        etag,
    })
}

pub async fn list(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    limit: Option<i64>,
    offset: Option<i64>,
) -> Result<Vec<GroupView>> {
    let (tenant_id, limit, offset) = (
        tenant.id.clone(),
        page_limit(limit),
        offset.unwrap_or(0).max(0),
    );
    svc.read_as(actor, tenant, Action::Administer, "groups", move |c, _| {
        queries::groups::list(c, &tenant_id, limit, offset)?
            .into_iter()
            .map(|g| view_on(c, g))
            .collect()
    })
    .await
}

pub async fn get(svc: &Services, actor: &Actor, tenant: &Tenant, id: &str) -> Result<GroupDetail> {
    let (t, id_c) = (tenant.clone(), id.to_string());
    svc.read_as(actor, tenant, Action::Administer, id, move |c, _| {
        detail_on(c, &t, &id_c)
    })
    .await
}

/// A new group as the admin API and the CLI describe one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewGroupBody {
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

fn same_name(name: &str) -> impl Fn(Error) -> Error + '_ {
    move |e| match e {
        Error::Conflict(_) => Error::Conflict(format!("a group named {name} exists already")),
        other => other,
    }
}

pub async fn create(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    name: &str,
    description: Option<&str>,
) -> Result<GroupDetail> {
    let name = parse_display_name(name).map_err(|e| Error::invalid("name", e.message))?;
    let description = description.unwrap_or_default().trim().to_string();
    check_description(&description)?;
    let row = GroupRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: tenant.id.clone(),
        display_name: name,
        description,
        created_at: svc.now(),
    };
    let (t, actor_id) = (tenant.clone(), actor.id());
    svc.write_as(
        actor,
        tenant,
        Action::Administer,
        &row.display_name.clone(),
        move |c, _| {
            queries::groups::insert(c, &row).map_err(same_name(&row.display_name))?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &row.tenant_id,
                    event_name: events::CREATE_GROUP,
                    actor: &actor_id,
                    target: &row.id,
                    outcome: "success",
                    details: serde_json::json!({ "displayName": row.display_name }),
                },
            )?;
            detail_on(c, &t, &row.id)
        },
    )
    .await
}

fn check_description(d: &str) -> Result<()> {
    if d.chars().count() > 1000 {
        return Err(Error::invalid("description", "at most 1,000 characters"));
    }
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupPatch {
    pub display_name: Option<String>,
    pub description: Option<String>,
}

pub async fn update(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    patch: GroupPatch,
    if_match: Option<String>,
) -> Result<GroupDetail> {
    let name = patch_field(
        "displayName",
        patch.display_name.as_deref(),
        parse_display_name,
    )?;
    let description = patch.description.map(|d| d.trim().to_string());
    if let Some(d) = &description {
        check_description(d)?;
    }
    let (t, id_c, actor_id) = (tenant.clone(), id.to_string(), actor.id());
    svc.write_as(actor, tenant, Action::Administer, id, move |c, _| {
        let (tenant, id) = (&t, &id_c);
        let current = detail_on(c, tenant, id)?;
        check_if_match(&current.etag, if_match.as_deref())?;
        let mut g = group_in(c, tenant, id)?;
        if let Some(n) = name {
            g.display_name = n;
        }
        if let Some(d) = description {
            g.description = d;
        }
        queries::groups::update(c, &g).map_err(same_name(&g.display_name))?;
        audit::record(
            c,
            AuditEvent {
                tenant_id: &tenant.id,
                event_name: events::UPDATE_GROUP,
                actor: &actor_id,
                target: &g.id,
                outcome: "success",
                details: serde_json::json!({ "displayName": g.display_name, "description": g.description }),
            },
        )?;
        detail_on(c, tenant, id)
    })
    .await
}

pub async fn delete(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    if_match: Option<String>,
) -> Result<()> {
    let (t, id_c, actor_id) = (tenant.clone(), id.to_string(), actor.id());
    svc.write_as(actor, tenant, Action::Administer, id, move |c, _| {
        let current = detail_on(c, &t, &id_c)?;
        check_if_match(&current.etag, if_match.as_deref())?;
        queries::groups::delete(c, &id_c)?;
        audit::record(
            c,
            AuditEvent {
                tenant_id: &t.id,
                event_name: events::DELETE_GROUP,
                actor: &actor_id,
                target: &id_c,
                outcome: "success",
                details: serde_json::json!({ "displayName": current.group.display_name }),
            },
        )
    })
    .await
}

/// Adds a user of the tenant to a group; adding someone who is a member already changes nothing.
pub async fn add_member(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    group_id: &str,
    user_id: &str,
) -> Result<()> {
    let (t, group_id, user_id, actor_id, now) = (
        tenant.clone(),
        group_id.to_string(),
        user_id.to_string(),
        actor.id(),
        svc.now(),
    );
    let target = user_id.clone();
    svc.write_as(actor, tenant, Action::Administer, &target, move |c, _| {
        group_in(c, &t, &group_id)?;
        let user = queries::users::by_id(c, &user_id)?
            .filter(|u| u.tenant_id == t.id)
            .ok_or_else(|| Error::NotFound(format!("user {user_id}")))?;
        if queries::groups::group_ids_of(c, &user.id)?.contains(&group_id) {
            return Ok(());
        }
        queries::groups::add_member(
            c,
            &GroupMemberRow {
                group_id: group_id.clone(),
                user_id: user.id.clone(),
                created_at: now,
            },
        )?;
        audit::record(
            c,
            AuditEvent {
                tenant_id: &t.id,
                event_name: events::ADD_GROUP_MEMBER,
                actor: &actor_id,
                target: &user.id,
                outcome: "success",
                details: serde_json::json!({ "groupId": group_id }),
            },
        )
    })
    .await
}

pub async fn remove_member(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    group_id: &str,
    user_id: &str,
) -> Result<()> {
    let (t, group_id, user_id, actor_id) = (
        tenant.clone(),
        group_id.to_string(),
        user_id.to_string(),
        actor.id(),
    );
    let target = user_id.clone();
    svc.write_as(actor, tenant, Action::Administer, &target, move |c, _| {
        group_in(c, &t, &group_id)?;
        if !queries::groups::remove_member(c, &group_id, &user_id)? {
            return Err(Error::NotFound(format!(
                "{user_id} is not a member of this group"
            )));
        }
        audit::record(
            c,
            AuditEvent {
                tenant_id: &t.id,
                event_name: events::REMOVE_GROUP_MEMBER,
                actor: &actor_id,
                target: &user_id,
                outcome: "success",
                details: serde_json::json!({ "groupId": group_id }),
            },
        )
    })
    .await
}

impl super::etag::Tagged for GroupDetail {
    fn etag(&self) -> &str {
        &self.etag
    }
}

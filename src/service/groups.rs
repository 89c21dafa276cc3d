//! Administering groups: list, read, rename, delete, members.

use super::Services;
use super::admin::{check_if_match, etag_of, page_limit, require_admin};
use super::audit::{self, AuditEvent, events};
use super::directory;
use super::invitations::Actor;
use super::tenants::Tenant;
use super::users::UserView;
use crate::domain::user::parse_display_name;
use crate::error::{Error, Result};
use crate::store::connection::AnyConnection;
use crate::store::models::GroupRow;
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
    let members = queries::groups::members(c, &g.id, MEMBERS_SHOWN)?
        .into_iter()
        .map(UserView::from_row)
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
    require_admin(actor)?;
    let (tenant_id, limit, offset) = (
        tenant.id.clone(),
        page_limit(limit),
        offset.unwrap_or(0).max(0),
    );
    svc.store
        .read(move |c| {
            queries::groups::list(c, &tenant_id, limit, offset)?
                .into_iter()
                .map(|g| view_on(c, g))
                .collect()
        })
        .await
}

pub async fn get(svc: &Services, actor: &Actor, tenant: &Tenant, id: &str) -> Result<GroupDetail> {
    require_admin(actor)?;
    let (tenant, id) = (tenant.clone(), id.to_string());
    svc.store.read(move |c| detail_on(c, &tenant, &id)).await
}

pub async fn create(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    name: &str,
    description: Option<&str>,
) -> Result<GroupDetail> {
    require_admin(actor)?;
    let created = directory::create_group(svc, &actor.id, tenant, name).await?;
    if let Some(d) = description.filter(|d| !d.trim().is_empty()) {
        let patch = GroupPatch {
            display_name: None,
            description: Some(d.to_string()),
        };
        return update(svc, actor, tenant, &created.id, patch, None).await;
    }
    get(svc, actor, tenant, &created.id).await
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
    require_admin(actor)?;
    let name = patch
        .display_name
        .as_deref()
        .map(parse_display_name)
        .transpose()
        .map_err(|e| Error::invalid("displayName", e.message))?;
    let description = patch.description.map(|d| d.trim().to_string());
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 1000)
    {
        return Err(Error::invalid("description", "at most 1,000 characters"));
    }
    let (tenant, id, actor) = (tenant.clone(), id.to_string(), actor.clone());
    svc.store
        .write(move |c| {
            let current = detail_on(c, &tenant, &id)?;
            check_if_match(&current.etag, if_match.as_deref())?;
            let mut g = group_in(c, &tenant, &id)?;
            if let Some(n) = name {
                g.display_name = n;
            }
            if let Some(d) = description {
                g.description = d;
            }
            queries::groups::update(c, &g).map_err(|e| match e {
                Error::Conflict(_) => Error::Conflict(format!("a group named {} exists already", g.display_name)),
                other => other,
            })?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant.id,
                    event_name: events::UPDATE_GROUP,
                    actor: &actor.id,
                    target: &g.id,
                    outcome: "success",
                    details: serde_json::json!({ "displayName": g.display_name, "description": g.description }),
                },
            )?;
            detail_on(c, &tenant, &id)
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
    require_admin(actor)?;
    let (tenant, id, actor) = (tenant.clone(), id.to_string(), actor.clone());
    svc.store
        .write(move |c| {
            let current = detail_on(c, &tenant, &id)?;
            check_if_match(&current.etag, if_match.as_deref())?;
            queries::groups::delete(c, &id)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant.id,
                    event_name: events::DELETE_GROUP,
                    actor: &actor.id,
                    target: &id,
                    outcome: "success",
                    details: serde_json::json!({ "displayName": current.group.display_name }),
                },
            )
        })
        .await
}

pub async fn add_member(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    group_id: &str,
    user_id: &str,
) -> Result<()> {
    require_admin(actor)?;
    match directory::add_group_member(svc, &actor.id, tenant, group_id, user_id).await {
        // Adding someone who is a member already is not an error: the call is idempotent.
        Err(Error::Conflict(_)) => Ok(()),
        other => other,
    }
}

pub async fn remove_member(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    group_id: &str,
    user_id: &str,
) -> Result<()> {
    require_admin(actor)?;
    let (tenant, group_id, user_id, actor) = (
        tenant.clone(),
        group_id.to_string(),
        user_id.to_string(),
        actor.clone(),
    );
    svc.store
        .write(move |c| {
            group_in(c, &tenant, &group_id)?;
            if !queries::groups::remove_member(c, &group_id, &user_id)? {
                return Err(Error::NotFound(format!(
                    "{user_id} is not a member of this group"
                )));
            }
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant.id,
                    event_name: events::REMOVE_GROUP_MEMBER,
                    actor: &actor.id,
                    target: &user_id,
                    outcome: "success",
                    details: serde_json::json!({ "groupId": group_id }),
                },
            )
        })
        .await
}

//! Administering user objects (members and guests): list, read, change, delete, password reset links.

use super::Services;
use super::admin::{check_if_match, etag_of, page_limit, require_admin};
use super::audit::{self, AuditEvent, events};
use super::invitations::Actor;
use super::tenants::Tenant;
use crate::crypto::{hash_secret, random_token};
use crate::domain::language::Language;
use crate::domain::user::{
    ExternalUserState, Role, UserType, format_roles, parse_display_name, parse_roles,
};
use crate::error::{Error, Result};
use crate::store::connection::AnyConnection;
use crate::store::models::{ActionTokenRow, UserRow};
use crate::store::queries;
use crate::store::queries::users::UserListFilter;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const PASSWORD_RESET_PURPOSE: &str = "password-reset";
const PASSWORD_RESET_TTL: i64 = 24 * 3600;

/// A user object as admins see it (spec §1 attributes).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: String,
    pub mail: String,
    /// `Member` or `Guest`.
    pub user_type: String,
    /// null, `Invitation` or `SelfServiceSignUp`.
    pub creation_type: Option<String>,
    /// `PendingAcceptance` or `Accepted` (guests).
    pub external_user_state: Option<String>,
    /// Unix seconds.
    pub external_user_state_changed_at: Option<i64>,
    pub sign_in_name: Option<String>,
    pub account_enabled: bool,
    pub roles: Vec<String>,
    pub preferred_language: Option<String>,
    /// Where the person signs in: `This directory`, or the issuer of their home directory.
    pub source: String,
    pub home_issuer: Option<String>,
    pub email_verified: bool,
    pub last_sign_in_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl UserView {
    pub fn from_row(row: UserRow) -> UserView {
        UserView {
            source: row
                .home_issuer
                .clone()
                .unwrap_or_else(|| "This directory".into()),
            roles: parse_roles(&row.roles)
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            id: row.id,
            user_principal_name: row.user_principal_name,
            display_name: row.display_name,
            mail: row.mail,
            user_type: row.user_type,
            creation_type: row.creation_type,
            external_user_state: row.external_user_state,
            external_user_state_changed_at: row.external_user_state_changed_at,
            sign_in_name: row.sign_in_name,
            account_enabled: row.enabled,
            preferred_language: row.preferred_language,
            home_issuer: row.home_issuer,
            email_verified: row.email_verified,
            last_sign_in_at: row.last_sign_in_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ref {
    pub id: String,
    pub display_name: String,
}

/// A user with what hangs off them: groups, apps, their latest invitation.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDetail {
    pub user: UserView,
    pub groups: Vec<Ref>,
    /// Apps assigned directly or through a group.
    pub apps: Vec<Ref>,
    pub invitation: Option<super::invitation_admin::InvitationView>,
    /// Whether the user has a password in this directory (members who sign in here).
    pub has_password: bool,
    #[serde(skip)]
    pub etag: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// `Member` or `Guest`.
    pub user_type: Option<String>,
    /// `PendingAcceptance` or `Accepted`.
    pub external_user_state: Option<String>,
    /// Prefix of the address or display name, or part of the UPN.
    pub search: Option<String>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserPage {
    pub value: Vec<UserView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn encode_cursor(row: &UserRow) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}\u{0}{}", row.mail_lower, row.id))
}

fn decode_cursor(raw: &str) -> Result<(String, String)> {
    URL_SAFE_NO_PAD
        .decode(raw.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once('\u{0}')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .ok_or_else(|| Error::invalid("cursor", "not a cursor this server gave out"))
}

pub async fn list(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    q: UserQuery,
) -> Result<UserPage> {
    require_admin(actor)?;
    let filter = UserListFilter {
        user_type: q
            .user_type
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|t| UserType::parse(t).map(|t| t.as_str().to_string()))
            .transpose()
            .map_err(|e| Error::invalid("userType", e.message))?,
        external_user_state: q
            .external_user_state
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|t| ExternalUserState::parse(t).map(|t| t.as_str().to_string()))
            .transpose()
            .map_err(|e| Error::invalid("externalUserState", e.message))?,
        search: q
            .search
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        after: q
            .cursor
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(decode_cursor)
            .transpose()?,
    };
    let limit = page_limit(q.limit);
    let tenant_id = tenant.id.clone();
    let mut rows = svc
        .store
        .read(move |c| queries::users::list(c, &tenant_id, &filter, limit + 1))
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more.then(|| rows.last().map(encode_cursor)).flatten();
    Ok(UserPage {
        value: rows.into_iter().map(UserView::from_row).collect(),
        next_cursor,
    })
}

fn user_in(c: &mut AnyConnection, tenant: &Tenant, id: &str) -> Result<UserRow> {
    queries::users::by_id(c, id)?
        .filter(|u| u.tenant_id == tenant.id)
        .ok_or_else(|| Error::NotFound(format!("user {id}")))
}

/// The detail of `id`, read on connection `c` (inside a transaction when the caller writes).
pub(crate) fn detail_on(
    c: &mut AnyConnection,
    tenant: &Tenant,
    id: &str,
    now: i64,
) -> Result<UserDetail> {
    let row = user_in(c, tenant, id)?;
    let group_ids = queries::groups::group_ids_of(c, &row.id)?;
    let groups = queries::groups::by_ids(c, &group_ids)?;
    let mut principals = group_ids.clone();
    principals.push(row.id.clone());
    let mut app_ids = Vec::new();
    for p in &principals {
        app_ids.extend(queries::apps::app_ids_assigned_to(c, p)?);
    }
    app_ids.sort();
    app_ids.dedup();
    let mut apps = Vec::new();
    for app_id in &app_ids {
        if let Some(a) = queries::apps::by_id(c, app_id)? {
            apps.push(Ref {
                id: a.id,
                display_name: a.name,
            });
        }
    }
    let invitation = queries::invitations::latest_for_user(c, &row.id)?
        .map(|inv| super::invitation_admin::view_on(c, inv, now))
        .transpose()?;
    let has_password = queries::users::has_credential(c, &row.id)?;
    let user = UserView::from_row(row);
    let etag = etag_of(&user);
    Ok(UserDetail {
        user,
        groups: groups
            .into_iter()
            .map(|g| Ref {
                id: g.id,
                display_name: g.display_name,
            })
            .collect(),
        apps,
        invitation,
        has_password,
        etag,
    })
}

pub async fn get(svc: &Services, actor: &Actor, tenant: &Tenant, id: &str) -> Result<UserDetail> {
    require_admin(actor)?;
    let (tenant, id, now) = (tenant.clone(), id.to_string(), svc.now());
    svc.store
        .read(move |c| detail_on(c, &tenant, &id, now))
        .await
}

/// A change to a user object; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub account_enabled: Option<bool>,
    /// Convert between `Guest` and `Member`.
    pub user_type: Option<String>,
    /// The complete new set of roles: `Admin`, `GuestInviter` (and `Operator`, by operators only).
    pub roles: Option<Vec<String>>,
    /// A language code, or an empty string for none.
    pub preferred_language: Option<String>,
}

pub async fn update(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    patch: UserPatch,
    if_match: Option<String>,
) -> Result<UserDetail> {
    require_admin(actor)?;
    let display_name = patch
        .display_name
        .as_deref()
        .map(parse_display_name)
        .transpose()
        .map_err(|e| Error::invalid("displayName", e.message))?;
    let user_type = patch
        .user_type
        .as_deref()
        .map(UserType::parse)
        .transpose()
        .map_err(|e| Error::invalid("userType", e.message))?;
    let roles = patch
        .roles
        .as_ref()
        .map(|rs| {
            rs.iter()
                .map(|r| Role::parse(r).map_err(|e| Error::invalid("roles", e.message)))
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?;
    if roles.as_ref().is_some_and(|r| r.contains(&Role::Operator))
        && !actor.inviter.roles.contains(&Role::Operator)
    {
        return Err(Error::Forbidden("only operators may make operators".into()));
    }
    let language = match patch.preferred_language.as_deref() {
        None => None,
        Some(raw) => Some(
            Language::parse_optional(raw)
                .map_err(|e| Error::invalid("preferredLanguage", e.message))?
                .map(|l| l.as_str().to_string()),
        ),
    };
    let (tenant, id, actor, now) = (tenant.clone(), id.to_string(), actor.clone(), svc.now());
    svc.store
        .write(move |c| {
            let current = detail_on(c, &tenant, &id, now)?;
            check_if_match(&current.etag, if_match.as_deref())?;
            let mut row = user_in(c, &tenant, &id)?;
            let before = UserView::from_row(row.clone());
            let is_self = row.id == actor.id;
            if is_self && patch.account_enabled == Some(false) {
                return Err(Error::invalid(
                    "accountEnabled",
                    "you cannot disable yourself",
                ));
            }
            if let Some(name) = display_name {
                row.display_name = name;
            }
            // Only enabled admins count: a disabled one cannot administer anything.
            let admin_now = parse_roles(&row.roles).contains(&Role::Admin) && row.enabled;
            let enabled_admins =
                queries::users::count_enabled_with_role(c, &tenant.id, Role::Admin.as_str())?;
            if admin_now && patch.account_enabled == Some(false) && enabled_admins <= 1 {
                return Err(Error::invalid(
                    "accountEnabled",
                    "the organisation needs at least one Admin who can sign in",
                ));
            }
            if let Some(enabled) = patch.account_enabled {
                row.enabled = enabled;
                if !enabled {
                    queries::users::end_sessions(c, &row.id)?;
                }
            }
            if let Some(t) = user_type {
                row.user_type = t.as_str().to_string();
            }
            if let Some(r) = &roles {
                let was_admin = parse_roles(&row.roles).contains(&Role::Admin);
                if was_admin && !r.contains(&Role::Admin) {
                    if is_self {
                        return Err(Error::invalid(
                            "roles",
                            "you cannot remove your own Admin role",
                        ));
                    }
                    if admin_now && enabled_admins <= 1 {
                        return Err(Error::invalid(
                            "roles",
                            "the organisation needs at least one Admin who can sign in",
                        ));
                    }
                }
                row.roles = format_roles(r);
            }
            if let Some(l) = language {
                row.preferred_language = l;
            }
            row.updated_at = now;
            queries::users::update(c, &row)?;
            let after = UserView::from_row(row.clone());
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant.id,
                    event_name: if before.user_type != after.user_type {
                        events::CONVERT_USER
                    } else if before.account_enabled && !after.account_enabled {
                        events::DISABLE_USER
                    } else {
                        events::UPDATE_USER
                    },
                    actor: &actor.id,
                    target: &row.id,
                    outcome: "success",
                    details: serde_json::json!({ "before": before, "after": after }),
                },
            )?;
            detail_on(c, &tenant, &id, now)
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
    let (tenant, id, actor, now) = (tenant.clone(), id.to_string(), actor.clone(), svc.now());
    svc.store
        .write(move |c| {
            let current = detail_on(c, &tenant, &id, now)?;
            check_if_match(&current.etag, if_match.as_deref())?;
            if current.user.id == actor.id {
                return Err(Error::invalid("id", "you cannot delete yourself"));
            }
            if current.user.account_enabled
                && current.user.roles.iter().any(|r| r == Role::Admin.as_str())
                && queries::users::count_enabled_with_role(c, &tenant.id, Role::Admin.as_str())?
                    <= 1
            {
                return Err(Error::invalid(
                    "id",
                    "the organisation needs at least one Admin",
                ));
            }
            queries::users::end_sessions(c, &id)?;
            queries::users::delete(c, &id)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant.id,
                    event_name: events::DELETE_USER,
                    actor: &actor.id,
                    target: &id,
                    outcome: "success",
                    details: serde_json::json!({
                        "userPrincipalName": current.user.user_principal_name,
                        "mail": current.user.mail,
                        "userType": current.user.user_type,
                    }),
                },
            )
        })
        .await
}

/// A one-time link (24 h) with which a member of this directory sets a new password. Earlier unused
/// links of the same user stop working.
pub async fn password_reset_link(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
) -> Result<String> {
    require_admin(actor)?;
    let token = random_token();
    let now = svc.now();
    let row = ActionTokenRow {
        token_hash: hash_secret(&token),
        purpose: PASSWORD_RESET_PURPOSE.into(),
        tenant_id: tenant.id.clone(),
        user_id: Some(id.to_string()),
        created_at: now,
        expires_at: now + PASSWORD_RESET_TTL,
        used_at: None,
    };
    let (tenant_c, id, actor) = (tenant.clone(), id.to_string(), actor.clone());
    svc.store
        .write(move |c| {
            let user = user_in(c, &tenant_c, &id)?;
            // Guests sign in with their home directory's account; only members of this one have a
            // password here (or get one through this link).
            if user.user_type == UserType::Guest.as_str() || user.home_issuer.is_some() {
                return Err(Error::invalid(
                    "id",
                    "this user signs in with another directory's account; only that directory can reset the password",
                ));
            }
            queries::action_tokens::void_unused_for_user(c, &user.id, PASSWORD_RESET_PURPOSE, now)?;
            queries::action_tokens::insert(c, &row)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_c.id,
                    event_name: events::RESET_PASSWORD,
                    actor: &actor.id,
                    target: &user.id,
                    outcome: "success",
                    details: serde_json::json!({}),
                },
            )
        })
        .await?;
    Ok(format!("{}/reset/{token}", tenant.issuer))
}

/// The address of the user a usable password reset link of `tenant` is for, or `None`.
pub async fn password_reset_for(
    svc: &Services,
    tenant: &Tenant,
    token: &str,
) -> Result<Option<String>> {
    let (hash, now, tenant_id) = (hash_secret(token), svc.now(), tenant.id.clone());
    svc.store
        .read(move |c| {
            let Some(t) = queries::action_tokens::usable(c, &hash, PASSWORD_RESET_PURPOSE, now)?
                .filter(|t| t.tenant_id == tenant_id)
            else {
                return Ok(None);
            };
            let user = match &t.user_id {
                Some(id) => queries::users::by_id(c, id)?,
                None => None,
            };
            Ok(user.filter(|u| u.enabled).map(|u| u.mail))
        })
        .await
}

/// Sets the password from a reset link (once); ends the user's sessions, so an old session of whoever
/// knew the previous password does not survive the reset. Returns the address.
pub async fn complete_password_reset(
    svc: &Services,
    tenant: &Tenant,
    token: &str,
    password: &str,
    confirm: &str,
) -> Result<String> {
    crate::domain::user::check_new_password(password, confirm)?;
    if password_reset_for(svc, tenant, token).await?.is_none() {
        return Err(Error::NotFound("password reset link".into()));
    }
    let hash = svc.passwords.hash(password.to_string()).await?;
    let (token_hash, now, tenant_id) = (hash_secret(token), svc.now(), tenant.id.clone());
    svc.store
        .write(move |c| {
            let t = queries::action_tokens::usable(c, &token_hash, PASSWORD_RESET_PURPOSE, now)?
                .filter(|t| t.tenant_id == tenant_id)
                .ok_or_else(|| Error::NotFound("password reset link".into()))?;
            let user = queries::users::by_id(c, t.user_id.as_deref().unwrap_or_default())?
                .filter(|u| u.enabled)
                .ok_or_else(|| Error::NotFound("password reset link".into()))?;
            if !queries::action_tokens::mark_used(c, &token_hash, now)? {
                return Err(Error::NotFound("password reset link".into()));
            }
            if queries::users::has_credential(c, &user.id)? {
                queries::users::set_password(c, &user.id, &hash, now)?;
            } else {
                queries::users::insert_credential(
                    c,
                    &crate::store::models::CredentialRow {
                        user_id: user.id.clone(),
                        email_lower: user.mail_lower.clone(),
                        password_hash: hash,
                        updated_at: now,
                    },
                )
                .map_err(|e| match e {
                    Error::Conflict(_) => Error::Conflict(format!(
                        "{} already has an account on this server; sign in with it",
                        user.mail
                    )),
                    other => other,
                })?;
            }
            queries::users::end_sessions(c, &user.id)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_id,
                    event_name: events::RESET_PASSWORD,
                    actor: &user.id,
                    target: &user.id,
                    outcome: "password set",
                    details: serde_json::json!({}),
                },
            )?;
            Ok(user.mail)
        })
        .await
}
